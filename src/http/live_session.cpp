// The live channel: a WebSocket fed by the live hub, after the upgrade.
#include "http/server_impl.hpp"

namespace sd::http {

awaitable<Result<std::pair<api::Caller, std::string>>> Server::Impl::run_admit(
    const api::Request& req) {
  co_return hub->admit(req);
}

// Runs one live channel until either side closes it.
awaitable<void> Server::Impl::live_session(std::shared_ptr<Connection> conn,
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

}  // namespace sd::http
