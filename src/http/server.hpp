// The HTTP/1.1 server: accepts connections on an I/O thread pool, reads each
// request with a body limit and a timeout, runs the api handler on a pool of
// worker threads (handlers may block on the store; reads and writes have
// separate pools), writes the response and
// logs one line per request. Serves the web app's files and upgrades
// /api/v1/live to a WebSocket for the live hub. SIGTERM/SIGINT stop
// accepting, let requests in flight finish, close live channels, then run()
// returns. Only http/ includes Beast.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "api/live.hpp"
#include "api/message.hpp"

namespace sd::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  int io_threads = 2;
  // Handlers of GET/HEAD run on a small pool sized to the cores (they only
  // compute and read); others on a large one, since a write waits for its
  // group commit and a batch is as large as the writers waiting together.
  int read_worker_threads = 4;
  int worker_threads = 32;
  std::size_t body_limit = 1024 * 1024;
  // Uploads (POST /api/v1/uploads) are spooled to files in this folder as
  // they arrive, up to upload_limit bytes; empty: uploads are read like any
  // other body.
  std::string upload_dir;
  std::size_t upload_limit = 110 * 1024 * 1024;
  int upload_timeout_seconds = 600;
  std::size_t header_limit = 16 * 1024;
  int read_timeout_seconds = 30;
  int first_request_timeout_seconds = 10;  // from accept to the first request's headers
  // Open connections: in total (also bounded by the descriptor limit), and
  // from one address, so that one client cannot lock everyone out.
  int max_connections = 10'000;
  int max_connections_per_address = 256;
  int shutdown_grace_seconds = 20;
  std::string web_root;  // the built web app; empty: API only
  bool hsts = false;     // served over HTTPS: every response says to keep to it
};

using Handler = std::function<api::Response(const api::Request&)>;

class Server {
 public:
  // `hub`, when given, serves the live channel at /api/v1/live.
  Server(ServerOptions options, Handler handler, api::LiveHub* hub = nullptr);
  ~Server();
  // Binds the listening socket; returns the port actually bound (useful with
  // port 0). Throws std::system_error when the address cannot be bound.
  unsigned short bind();
  // Serves until a stop signal, then drains and returns.
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace sd::http
