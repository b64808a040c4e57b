// The server's insides, shared by its translation units (server.cpp: accept
// and stop; session.cpp: HTTP requests; live_session.cpp: the WebSocket
// live channel), which are split so that their coroutines compile in
// parallel. Only http/ includes this.
#pragma once

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>

#include "http/server.hpp"
#include "http/static_files.hpp"

namespace sd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
inline constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// A string as a JSON string literal, for log lines.
std::string json_string(std::string_view s);

// One open connection; its socket can be closed from the stop path when the
// connection is idle between requests.
struct Connection {
  Connection(tcp::socket s, std::string a) : stream(std::move(s)), address(std::move(a)) {}
  beast::tcp_stream stream;
  std::string address;  // the peer's, for the per-address limit
  bool busy = false;    // a request is being handled or answered
};

// A live channel: the hub's view of one WebSocket. Messages are written one
// at a time on the connection's strand; a client that cannot keep up is
// dropped rather than allowed to grow the queue without bound.
class WsClient final : public api::LiveClient, public std::enable_shared_from_this<WsClient> {
 public:
  explicit WsClient(std::shared_ptr<Connection> c) : conn(std::move(c)), ws(conn->stream) {}

  void send(std::string text) override {
    asio::post(ws.get_executor(), [self = shared_from_this(), t = std::move(text)]() mutable {
      self->enqueue(std::move(t));
    });
  }

  // Ends the channel: the credential it was opened with no longer holds.
  void close() override {
    asio::post(ws.get_executor(), [self = shared_from_this()] {
      if (self->closed) return;
      self->closed = true;
      self->queue.clear();
      boost::system::error_code ignored;
      self->conn->stream.socket().close(ignored);
    });
  }

  std::shared_ptr<Connection> conn;  // keeps the stream alive as long as this
  beast::websocket::stream<beast::tcp_stream&> ws;
  bool closed = false;

 private:
  void enqueue(std::string text) {
    if (closed) return;
    if (queue.size() >= 1000) {
      closed = true;
      boost::system::error_code ignored;
      conn->stream.socket().close(ignored);
      return;
    }
    queue.push_back(std::move(text));
    if (!writing) write_next();
  }
  void write_next() {
    writing = true;
    ws.text(true);
    ws.async_write(asio::buffer(queue.front()),
                   [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                     self->queue.pop_front();
                     if (ec) {
                       self->closed = true;
                       self->queue.clear();
                     }
                     if (self->queue.empty())
                       self->writing = false;
                     else
                       self->write_next();
                   });
  }

  std::deque<std::string> queue;
  bool writing = false;
};

struct Server::Impl {
  ServerOptions opt;
  Handler handler;
  api::LiveHub* hub;
  std::unique_ptr<StaticFiles> static_files;
  asio::io_context io;
  asio::thread_pool read_workers;
  asio::thread_pool workers;
  asio::strand<asio::io_context::executor_type> accept_strand{asio::make_strand(io)};
  tcp::acceptor acceptor{accept_strand};
  // Stop-path state (signals, grace timer) lives on one strand.
  asio::strand<asio::io_context::executor_type> control{asio::make_strand(io)};
  asio::signal_set signals{control, SIGINT, SIGTERM};
  asio::steady_timer grace{control};
  std::atomic<bool> stopping{false};
  std::mutex conns_mu;
  std::set<std::shared_ptr<Connection>> conns;
  std::unordered_map<std::string, int> per_address;  // open connections by peer address
  std::size_t max_connections = 0;                   // in total, fixed at run()
  std::atomic<std::uint64_t> refused{0};
  std::string node_tag;
  std::atomic<std::uint64_t> next_request{0};

  Impl(ServerOptions o, Handler h, api::LiveHub* live)
      : opt(std::move(o)),
        handler(std::move(h)),
        hub(live),
        static_files(opt.web_root.empty() ? nullptr : std::make_unique<StaticFiles>(opt.web_root)),
        read_workers(static_cast<std::size_t>(opt.read_worker_threads)),
        workers(static_cast<std::size_t>(opt.worker_threads)) {
    std::random_device rd;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", rd());
    node_tag = buf;
  }

  std::string new_request_id();
  bhttp::response<bhttp::string_body> to_beast(api::Response r, unsigned version, bool keep_alive,
                                               const std::string& request_id);
  // A response whose body is a file (api::Response::body_file), sent as it
  // is read; nullopt when the file cannot be opened.
  std::optional<bhttp::response<bhttp::file_body>> to_beast_file(const api::Response& r,
                                                                 unsigned version, bool keep_alive,
                                                                 const std::string& request_id);
  void log_request(const std::string& id, std::string_view method, std::string_view target,
                   int status, double ms, const std::string& remote);
  // An HTTP/1.1 connection: requests read one after another (session.cpp).
  awaitable<void> session(std::shared_ptr<Connection> conn);
  awaitable<api::Response> run_handler(const api::Request& req);
  // The live channel after an upgrade (live_session.cpp).
  awaitable<Result<std::pair<api::Caller, std::string>>> run_admit(const api::Request& req);
  awaitable<void> live_session(std::shared_ptr<Connection> conn,
                               bhttp::request<bhttp::string_body> upgrade,
                               std::pair<api::Caller, std::string> who);
  awaitable<void> accept_loop();
  // Forgets a closed connection. REQUIRES: conns_mu held.
  void forget(const std::shared_ptr<Connection>& conn);
  // Runs on `control`. io.run() returns once every connection has closed,
  // or when the grace period ends, whichever comes first.
  void begin_stop();
};

}  // namespace sd::http
