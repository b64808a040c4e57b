#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cstdio>
#include <thread>

#include "http/server_impl.hpp"

namespace sd::http {

std::string json_string(std::string_view s) {
  return boost::json::serialize(boost::json::string(s));
}

std::string Server::Impl::new_request_id() {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s-%llx", node_tag.c_str(),
                static_cast<unsigned long long>(++next_request));
  return buf;
}

namespace {
// What every response carries, whatever its body.
template <class Body>
void set_headers(bhttp::response<Body>& res, const api::Response& r, bool hsts,
                 const std::string& request_id) {
  res.set(bhttp::field::server, "servicedesk");
  if (!r.content_type.empty()) res.set(bhttp::field::content_type, r.content_type);
  res.set("X-Request-Id", request_id);
  res.set("X-Content-Type-Options", "nosniff");
  if (hsts) res.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  for (auto& [k, v] : r.headers) res.insert(k, v);
}
}  // namespace

bhttp::response<bhttp::string_body> Server::Impl::to_beast(api::Response r, unsigned version,
                                                           bool keep_alive,
                                                           const std::string& request_id) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  set_headers(res, r, opt.hsts, request_id);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

std::optional<bhttp::response<bhttp::file_body>> Server::Impl::to_beast_file(
    const api::Response& r, unsigned version, bool keep_alive, const std::string& request_id) {
  bhttp::response<bhttp::file_body> res{static_cast<bhttp::status>(r.status), version};
  beast::error_code ec;
  res.body().open(r.body_file.c_str(), beast::file_mode::scan, ec);
  if (ec) return std::nullopt;
  set_headers(res, r, opt.hsts, request_id);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

void Server::Impl::log_request(const std::string& id, std::string_view method,
                               std::string_view target, int status, double ms,
                               const std::string& remote) {
  auto q = target.find('?');
  spdlog::info(
      R"("msg":"request","request_id":"{}","method":{},"path":{},"status":{},"ms":{:.3f},"remote":"{}")",
      id, json_string(method), json_string(target.substr(0, q)), status, ms, remote);
}

awaitable<void> Server::Impl::accept_loop() {
  asio::steady_timer pause(acceptor.get_executor());
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), tuple_awaitable);
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) co_return;
      // Out of descriptors, say: a short pause rather than a spin at full
      // CPU, then keep serving the others.
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(tuple_awaitable);
      continue;
    }
    boost::system::error_code aec;
    auto ep = socket.remote_endpoint(aec);
    std::string address = aec ? std::string() : ep.address().to_string();
    bool admitted = false;
    {
      std::lock_guard lock(conns_mu);
      int& mine = per_address[address];
      admitted = conns.size() < max_connections && mine < opt.max_connections_per_address;
      if (admitted) {
        ++mine;
      } else if (mine == 0) {
        per_address.erase(address);
      }
    }
    if (!admitted) {
      // One address may not hold every descriptor: the others keep being
      // served. Closed at once, without reading anything.
      if (refused.fetch_add(1) % 1000 == 0)
        spdlog::warn(R"("msg":"connection refused: too many open","remote":"{}","refused":{})",
                     address, refused.load());
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    auto conn = std::make_shared<Connection>(std::move(socket), std::move(address));
    {
      std::lock_guard lock(conns_mu);
      conns.insert(conn);
    }
    auto ex = conn->stream.get_executor();
    asio::co_spawn(ex, session(conn), asio::detached);
  }
}

void Server::Impl::forget(const std::shared_ptr<Connection>& conn) {
  conns.erase(conn);
  auto it = per_address.find(conn->address);
  if (it != per_address.end() && --it->second <= 0) per_address.erase(it);
}

void Server::Impl::begin_stop() {
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
  // In total, no more than the descriptors allow, less a margin for the
  // database, the log and the files served.
  rlimit nofile{};
  std::size_t by_descriptors = static_cast<std::size_t>(im.opt.max_connections);
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
      nofile.rlim_cur > 128)
    by_descriptors = std::min<std::size_t>(by_descriptors, nofile.rlim_cur - 96);
  im.max_connections = by_descriptors;
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
