// One HTTP/1.1 connection: reads each request with its limits and timeout,
// runs the handler on a worker pool, writes the response and logs it.
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <chrono>
#include <cstdio>
#include <optional>

#include "api/problem.hpp"
#include "api/router.hpp"
#include "domain/text.hpp"
#include "http/server_impl.hpp"

namespace sd::http {

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

// An upload's spooled body, removed when the request is done.
struct Spool {
  std::string path;
  Spool() = default;
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  ~Spool() {
    if (!path.empty()) std::remove(path.c_str());
  }
};

// Writes a response; for a HEAD, its headers only (Content-Length included).
template <class Body>
awaitable<boost::system::error_code> write_response(beast::tcp_stream& stream,
                                                    bhttp::response<Body>& res, bool head) {
  if (head) {
    bhttp::response_serializer<Body> sr(res);
    auto [e, n] = co_await bhttp::async_write_header(stream, sr, tuple_awaitable);
    (void)n;
    co_return e;
  }
  auto [e, n] = co_await bhttp::async_write(stream, res, tuple_awaitable);
  (void)n;
  co_return e;
}

// "chunked", in any case, with optional whitespace: the only transfer
// coding the server reads.
bool is_plain_chunked(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v.size() == 7 && to_lower_ascii(v) == "chunked";
}

}  // namespace

awaitable<api::Response> Server::Impl::run_handler(const api::Request& req) {
  if (static_files && StaticFiles::wants(req)) co_return static_files->serve(req);
  co_return handler(req);
}

awaitable<void> Server::Impl::session(std::shared_ptr<Connection> conn) {
  beast::flat_buffer buffer;
  const std::string remote = conn->address;
  bool first = true;
  for (;;) {
    // The header first: its target says whether the body is an upload,
    // spooled to a file as it arrives, or read into memory within the limit.
    bhttp::request_parser<bhttp::empty_body> head_parser;
    head_parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
    // The parser checks a Content-Length against its limit with the header:
    // the larger limit of uploads here, the body's own below.
    head_parser.body_limit(std::max(opt.body_limit, opt.upload_limit));
    std::optional<bhttp::request_parser<bhttp::string_body>> parser;
    std::optional<bhttp::request_parser<bhttp::file_body>> upload;
    Spool spool;
    // A connection that has not sent its first request yet holds a
    // descriptor for nothing: it gets less time than one between requests.
    conn->stream.expires_after(
        std::chrono::seconds(first ? opt.first_request_timeout_seconds : opt.read_timeout_seconds));
    first = false;
    if (stopping) break;
    auto [ec, n] =
        co_await bhttp::async_read_header(conn->stream, buffer, head_parser, tuple_awaitable);
    (void)n;
    bool bad_framing = false;
    if (!ec) {
      // RFC 9112 6.3: a Transfer-Encoding other than exactly "chunked" would
      // leave the body to be read as another request. Refuse and close.
      const auto& h = head_parser.get();
      const auto te = h.count(bhttp::field::transfer_encoding);
      if (te > 1 || (te == 1 && !is_plain_chunked(h[bhttp::field::transfer_encoding]))) {
        bad_framing = true;
      } else if (!opt.upload_dir.empty() && h.method() == bhttp::verb::post &&
                 api::spools_body(h.target())) {
        upload.emplace(std::move(head_parser));
        upload->body_limit(opt.upload_limit);
        beast::error_code fec;
        spool.path = opt.upload_dir + "/up-" + new_request_id();
        upload->get().body().open(spool.path.c_str(), beast::file_mode::write_new, fec);
        if (fec) {
          spool.path.clear();
          ec = fec;
        } else {
          conn->stream.expires_after(std::chrono::seconds(opt.upload_timeout_seconds));
          auto [bec, bn] =
              co_await bhttp::async_read(conn->stream, buffer, *upload, tuple_awaitable);
          (void)bn;
          ec = bec;
          upload->get().body().close();
        }
      } else if (head_parser.content_length() && *head_parser.content_length() > opt.body_limit) {
        ec = bhttp::error::body_limit;
      } else {
        parser.emplace(std::move(head_parser));
        parser->body_limit(opt.body_limit);
        conn->stream.expires_after(std::chrono::seconds(opt.read_timeout_seconds));
        auto [bec, bn] = co_await bhttp::async_read(conn->stream, buffer, *parser, tuple_awaitable);
        (void)bn;
        ec = bec;
      }
    }
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
    bool head = false;
    if (bad_framing) {
      resp = api::problem(make_error(ErrorCode::invalid_input,
                                     "Transfer-Encoding must be exactly chunked, or absent"));
    } else if (ec) {
      // The request could not be read: say why, then close.
      if (ec == bhttp::error::body_limit)
        resp = api::problem(
            make_error(ErrorCode::payload_too_large, "the body is larger than the limit"));
      else if (ec == bhttp::error::header_limit)
        resp = api::problem(
            make_error(ErrorCode::headers_too_large, "the request headers are too large"));
      else
        resp = api::problem(make_error(ErrorCode::invalid_input, "the request is not valid HTTP"));
    } else {
      api::Request req;
      auto fill = [&](const auto& msg) {
        req.method = to_method(msg.method());
        req.method_name = std::string(msg.method_string());
        req.target = std::string(msg.target());
        req.headers.reserve(16);
        for (const auto& f : msg)
          req.headers.emplace_back(to_lower_ascii(f.name_string()), std::string(f.value()));
        keep_alive = msg.keep_alive();
        version = msg.version();
      };
      if (upload) {
        fill(upload->get());
        req.body_file = spool.path;
      } else {
        fill(parser->get());
        req.body = std::move(parser->get().body());
      }
      req.remote_address = remote;
      req.request_id = request_id;
      head = req.method == api::Method::head;
      method_name = req.method_name;
      target = req.target;
      if (hub && parser && beast::websocket::is_upgrade(parser->get()) &&
          std::string_view(target).substr(0, target.find('?')) == "/api/v1/live") {
        auto who = co_await asio::co_spawn(workers, run_admit(req), use_awaitable);
        if (who) {
          log_request(request_id, method_name, target, 101, 0, remote);
          conn->busy = false;  // an open channel is idle: stopping closes it
          co_await live_session(conn, parser->release(), std::move(*who));
          break;
        }
        resp = api::problem(who.error());
      } else {
        const bool reading = req.method == api::Method::get || req.method == api::Method::head;
        resp =
            co_await asio::co_spawn(reading ? read_workers.get_executor() : workers.get_executor(),
                                    run_handler(req), use_awaitable);
      }
    }
    int status = resp.status;
    // A failure's cause goes to the log with its request id, never to the client.
    if (!resp.log_detail.empty())
      spdlog::error(R"("msg":"request failed","request_id":"{}","status":{},"cause":{})",
                    request_id, status, json_string(resp.log_detail));
    std::optional<bhttp::response<bhttp::file_body>> file_res;
    if (!resp.body_file.empty()) {
      file_res = to_beast_file(resp, version, keep_alive && !stopping, request_id);
      if (!file_res) {
        spdlog::error(R"("msg":"a response's file could not be opened","request_id":"{}")",
                      request_id);
        resp = api::problem(internal_error("the file could not be read"));
        status = resp.status;
      }
    }
    // A file (a download) is sent as it is read, with the slower timeout of uploads.
    conn->stream.expires_after(
        std::chrono::seconds(file_res ? opt.upload_timeout_seconds : opt.read_timeout_seconds));
    bool alive = false;
    boost::system::error_code wec;
    if (file_res) {
      wec = co_await write_response(conn->stream, *file_res, head);
      alive = file_res->keep_alive();
    } else {
      auto res = to_beast(std::move(resp), version, keep_alive && !stopping, request_id);
      wec = co_await write_response(conn->stream, res, head);
      alive = res.keep_alive();
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    log_request(request_id, method_name, target, status, ms, remote);
    conn->busy = false;
    if (wec || !alive) break;
  }
  boost::system::error_code ignored;
  conn->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  conn->stream.close();
  std::lock_guard lock(conns_mu);
  forget(conn);
  if (stopping && conns.empty()) asio::post(control, [this] { grace.cancel(); });
}

}  // namespace sd::http
