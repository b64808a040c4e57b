#include "http/static_files.hpp"

#include <fstream>
#include <sstream>

#include "api/problem.hpp"

namespace sd::http {

namespace fs = std::filesystem;

namespace {

std::string_view content_type(const fs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace

StaticFiles::StaticFiles(fs::path root) : m_root(std::move(root)) {}

bool StaticFiles::wants(const api::Request& req) {
  if (req.method != api::Method::get && req.method != api::Method::head) return false;
  auto path = path_of(req.target);
  return !path.starts_with("/api/") && path != "/api" && path != "/healthz" && path != "/readyz";
}

std::shared_ptr<const std::string> StaticFiles::load(const fs::path& file) {
  std::lock_guard lock(m_mu);
  auto it = m_cache.find(file.string());
  if (it != m_cache.end()) return it->second;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return nullptr;
  std::ifstream in(file, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream ss;
  ss << in.rdbuf();
  auto data = std::make_shared<const std::string>(ss.str());
  m_cache.emplace(file.string(), data);
  return data;
}

api::Response StaticFiles::serve(const api::Request& req) {
  std::string_view path = path_of(req.target);
  // Only plain relative names: no escapes, no parent segments, no encodings.
  bool plain =
      path.starts_with('/') && path.find("..") == std::string_view::npos &&
      path.find('\\') == std::string_view::npos && path.find('%') == std::string_view::npos &&
      path.find('\0') == std::string_view::npos && path.find("//") == std::string_view::npos;
  fs::path file;
  if (plain) {
    std::string rel(path.substr(1));
    file = rel.empty() ? m_root / "index.html" : m_root / rel;
  }
  auto data = plain ? load(file) : nullptr;
  const auto last = path.substr(path.rfind('/') + 1);
  if (!data && plain && last.find('.') == std::string_view::npos) {
    file = m_root / "index.html";  // a client-side route
    data = load(file);
  }
  if (!data) return api::problem(make_error(ErrorCode::not_found, "no such file"));
  api::Response r;
  r.content_type = std::string(content_type(file));
  r.body = *data;
  if (path.starts_with("/assets/"))
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  else
    r.headers.emplace_back("Cache-Control", "no-cache");
  if (file.extension() == ".html") {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                           "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
                           "base-uri 'self'; form-action 'self'");
    r.headers.emplace_back("Referrer-Policy", "same-origin");
  }
  return r;
}

}  // namespace sd::http
