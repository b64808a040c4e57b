#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
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
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "api/problem.hpp"
#include "domain/text.hpp"
#include "http/static_files.hpp"

namespace sd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

namespace {

api::Method to_method(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
      return api::Method::get;
    case bhttp::verb::head:
      return api::Method::head;
    case bhttp::verb::post:
      return api::Method::post;
    case bhttp::verb::put:
      return api::Method::put;
    case bhttp::verb::patch:
      return api::Method::patch;
    case bhttp::verb::delete_:
      return api::Method::del;
    case bhttp::verb::options:
      return api::Method::options;
    default:
      return api::Method::other;
  }
}

std::string json_string(std::string_view s) {
  return boost::json::serialize(boost::json::string(s));
}

}  // namespace

// One open connection; its socket can be closed from the stop path when the
// connection is idle between requests.
struct Connection {
  explicit Connection(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  bool busy = false;  // a request is being handled or answered
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

  std::string new_request_id() {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s-%llx", node_tag.c_str(),
                  static_cast<unsigned long long>(++next_request));
    return buf;
  }

  bhttp::response<bhttp::string_body> to_beast(api::Response r, unsigned version, bool keep_alive,
                                               const std::string& request_id) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
    res.set(bhttp::field::server, "servicedesk");
    if (!r.content_type.empty()) res.set(bhttp::field::content_type, r.content_type);
    res.set("X-Request-Id", request_id);
    res.set("X-Content-Type-Options", "nosniff");
    for (auto& [k, v] : r.headers) res.insert(k, v);
    res.body() = std::move(r.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
  }

  void log_request(const std::string& id, std::string_view method, std::string_view target,
                   int status, double ms, const std::string& remote) {
    auto q = target.find('?');
    spdlog::info(
        R"("msg":"request","request_id":"{}","method":{},"path":{},"status":{},"ms":{:.3f},"remote":"{}")",
        id, json_string(method), json_string(target.substr(0, q)), status, ms, remote);
  }

  awaitable<api::Response> run_handler(const api::Request& req) {
    if (static_files && StaticFiles::wants(req)) co_return static_files->serve(req);
    co_return handler(req);
  }

  awaitable<Result<std::pair<api::Caller, std::string>>> run_admit(const api::Request& req) {
    co_return hub->admit(req);
  }

  // Runs one live channel until either side closes it.
  awaitable<void> live_session(std::shared_ptr<Connection> conn,
                               bhttp::request<bhttp::string_body> upgrade,
                               std::pair<api::Caller, std::string> who) {
    auto client = std::make_shared<WsClient>(conn);
    client->caller = std::move(who.first);
    client->name = std::move(who.second);
    conn->stream.expires_never();
    client->ws.set_option(
        beast::websocket::stream_base::timeout::suggested(beast::role_type::server));
    client->ws.read_message_max(64 * 1024);
    auto [aec] = co_await client->ws.async_accept(upgrade, tuple_awaitable);
    if (aec) co_return;
    hub->attach(client);
    beast::flat_buffer buf;
    for (;;) {
      auto [rec, n] = co_await client->ws.async_read(buf, tuple_awaitable);
      (void)n;
      if (rec || stopping) break;
      hub->on_message(*client, beast::buffers_to_string(buf.data()));
      buf.consume(buf.size());
    }
    client->closed = true;
    hub->detach(client.get());
  }

  awaitable<void> session(std::shared_ptr<Connection> conn) {
    beast::flat_buffer buffer;
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = conn->stream.socket().remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
      parser.body_limit(opt.body_limit);
      conn->stream.expires_after(std::chrono::seconds(opt.read_timeout_seconds));
      if (stopping) break;
      auto [ec, n] = co_await bhttp::async_read(conn->stream, buffer, parser, tuple_awaitable);
      (void)n;
      if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
          ec == beast::error::timeout || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == asio::error::bad_descriptor)
        break;
      conn->busy = true;
      const auto started = std::chrono::steady_clock::now();
      const std::string request_id = new_request_id();
      api::Response resp;
      bool keep_alive = false;
      unsigned version = 11;
      std::string method_name = "-", target = "-";
      if (ec) {
        // The request could not be read: say why, then close.
        if (ec == bhttp::error::body_limit)
          resp = api::problem(
              make_error(ErrorCode::payload_too_large, "the body is larger than the limit"));
        else if (ec == bhttp::error::header_limit)
          resp = api::problem(
              make_error(ErrorCode::headers_too_large, "the request headers are too large"));
        else
          resp =
              api::problem(make_error(ErrorCode::invalid_input, "the request is not valid HTTP"));
      } else {
        auto& msg = parser.get();
        api::Request req;
        req.method = to_method(msg.method());
        req.method_name = std::string(msg.method_string());
        req.target = std::string(msg.target());
        req.headers.reserve(16);
        for (const auto& f : msg) {
          req.headers.emplace_back(to_lower_ascii(f.name_string()), std::string(f.value()));
        }
        req.body = std::move(msg.body());
        req.remote_address = remote;
        req.request_id = request_id;
        keep_alive = msg.keep_alive();
        version = msg.version();
        method_name = req.method_name;
        target = req.target;
        if (hub && beast::websocket::is_upgrade(msg) &&
            std::string_view(target).substr(0, target.find('?')) == "/api/v1/live") {
          auto who = co_await asio::co_spawn(workers, run_admit(req), use_awaitable);
          if (who) {
            log_request(request_id, method_name, target, 101, 0, remote);
            conn->busy = false;  // an open channel is idle: stopping closes it
            co_await live_session(conn, parser.release(), std::move(*who));
            break;
          }
          resp = api::problem(who.error());
        } else {
          const bool reading = req.method == api::Method::get || req.method == api::Method::head;
          resp = co_await asio::co_spawn(
              reading ? read_workers.get_executor() : workers.get_executor(), run_handler(req),
              use_awaitable);
        }
      }
      const int status = resp.status;
      // A failure's cause goes to the log with its request id, never to the client.
      if (!resp.log_detail.empty())
        spdlog::error(R"("msg":"request failed","request_id":"{}","status":{},"cause":{})",
                      request_id, status, json_string(resp.log_detail));
      auto res = to_beast(std::move(resp), version, keep_alive && !stopping, request_id);
      conn->stream.expires_after(std::chrono::seconds(opt.read_timeout_seconds));
      auto [wec, wn] = co_await bhttp::async_write(conn->stream, res, tuple_awaitable);
      (void)wn;
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count();
      log_request(request_id, method_name, target, status, ms, remote);
      conn->busy = false;
      if (wec || !res.keep_alive()) break;
    }
    boost::system::error_code ignored;
    conn->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    conn->stream.close();
    std::lock_guard lock(conns_mu);
    conns.erase(conn);
    if (stopping && conns.empty()) asio::post(control, [this] { grace.cancel(); });
  }

  awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), tuple_awaitable);
      if (ec) {
        if (stopping || ec == asio::error::operation_aborted) co_return;
        continue;  // e.g. too many open files: keep serving the others
      }
      socket.set_option(tcp::no_delay(true));
      auto conn = std::make_shared<Connection>(std::move(socket));
      {
        std::lock_guard lock(conns_mu);
        conns.insert(conn);
      }
      auto ex = conn->stream.get_executor();
      asio::co_spawn(ex, session(conn), asio::detached);
    }
  }

  // Runs on `control`. io.run() returns once every connection has closed,
  // or when the grace period ends, whichever comes first.
  void begin_stop() {
    if (stopping.exchange(true)) return;
    spdlog::info(R"("msg":"stopping: finishing requests in flight")");
    asio::post(acceptor.get_executor(), [this] {
      boost::system::error_code ignored;
      acceptor.close(ignored);
    });
    grace.expires_after(std::chrono::seconds(opt.shutdown_grace_seconds));
    grace.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) io.stop();
    });
    std::lock_guard lock(conns_mu);
    if (conns.empty()) grace.cancel();
    for (const auto& c : conns) {
      // Idle connections are waiting for a request that is not accepted yet:
      // cancel them. Busy ones finish their response and then close.
      asio::post(c->stream.get_executor(), [c] {
        // The session may have closed the socket already: no throwing here.
        boost::system::error_code ignored;
        if (!c->busy) c->stream.socket().cancel(ignored);
      });
    }
  }
};

Server::Server(ServerOptions options, Handler handler, api::LiveHub* hub)
    : m_impl(std::make_unique<Impl>(std::move(options), std::move(handler), hub)) {}

Server::~Server() = default;

unsigned short Server::bind() {
  auto& im = *m_impl;
  tcp::endpoint ep(asio::ip::make_address(im.opt.host), im.opt.port);
  im.acceptor.open(ep.protocol());
  im.acceptor.set_option(asio::socket_base::reuse_address(true));
  im.acceptor.bind(ep);
  im.acceptor.listen(asio::socket_base::max_listen_connections);
  return im.acceptor.local_endpoint().port();
}

void Server::run() {
  auto& im = *m_impl;
  im.signals.async_wait([&im](const boost::system::error_code& ec, int) {
    if (!ec) im.begin_stop();
  });
  asio::co_spawn(im.acceptor.get_executor(), im.accept_loop(), asio::detached);
  // A handler that throws is a bug; log it and keep serving the others.
  auto run_io = [&im] {
    for (;;) {
      try {
        im.io.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error(R"("msg":"unexpected exception in the I/O loop","what":{})",
                      json_string(e.what()));
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < im.opt.io_threads; ++i) threads.emplace_back(run_io);
  run_io();
  for (auto& t : threads) t.join();
  im.read_workers.join();
  im.workers.join();
}

}  // namespace sd::http
