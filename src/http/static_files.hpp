// Serves the built web app (web/dist) from the same origin as the API:
// files by path, index.html for client-side routes, long caching for the
// content-hashed assets. Files are read once and kept in memory. Thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "api/message.hpp"

namespace sd::http {

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root);

  // Whether a request belongs to the web app rather than to the API.
  static bool wants(const api::Request& req);
  // The response for a GET or HEAD of the web app.
  api::Response serve(const api::Request& req);

 private:
  std::shared_ptr<const std::string> load(const std::filesystem::path& file);

  std::filesystem::path m_root;
  std::mutex m_mu;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> m_cache;
};

}  // namespace sd::http
