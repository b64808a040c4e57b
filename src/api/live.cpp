#include "api/live.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <random>

#include "api/json_io.hpp"
#include "domain/permissions.hpp"
#include "domain/scope.hpp"
#include "store/repo/events.hpp"
#include "store/repo/tickets.hpp"

namespace sd::api {

namespace json = boost::json;

namespace {
constexpr Duration kPresenceRefresh = std::chrono::seconds(15);
constexpr Duration kPresenceExpiry = std::chrono::seconds(45);
constexpr int kFeedBatch = 500;

std::string random_node_id() {
  std::random_device rd;
  char buf[20];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}
}  // namespace

LiveHub::LiveHub(Services& s)
    : m_s(s), m_feed(s.store.open_feed()), m_node(random_node_id()), m_thread([this] { run(); }) {
  m_s.store.set_signal_listener([this](const std::string& p) { on_signal(p); });
}

LiveHub::~LiveHub() { stop(); }

void LiveHub::stop() {
  m_s.store.set_signal_listener({});
  {
    std::lock_guard lock(m_mu);
    m_stopping = true;
  }
  m_cv.notify_one();
  if (m_thread.joinable()) m_thread.join();
  // The clients' sockets belong to the server's I/O context: they go now,
  // while it still exists, and nothing is posted to it any more.
  std::set<std::shared_ptr<LiveClient>> clients;
  {
    std::lock_guard lock(m_mu);
    clients.swap(m_clients);
    m_presence.clear();
  }
}

Result<std::pair<Caller, std::string>> LiveHub::admit(const Request& req) {
  // A page of another site must not open a channel with this user's cookie.
  auto origin = req.header("origin");
  auto host = req.header("host");
  if (!origin.empty()) {
    auto scheme_end = origin.find("://");
    auto origin_host =
        scheme_end == std::string_view::npos ? origin : origin.substr(scheme_end + 3);
    if (origin_host != host)
      return make_error(ErrorCode::forbidden, "the live channel only accepts its own origin");
  }
  auto caller = authenticate(m_s, req);
  if (!caller) return caller.error();
  return std::make_pair(*caller, caller->actor.name);
}

void LiveHub::attach(const std::shared_ptr<LiveClient>& client) {
  std::lock_guard lock(m_mu);
  if (m_stopping) return;  // stopped: the channel hears nothing more
  m_clients.insert(client);
}

void LiveHub::detach(LiveClient* client) {
  std::lock_guard lock(m_mu);
  for (auto it = m_clients.begin(); it != m_clients.end(); ++it)
    if (it->get() == client) {
      m_clients.erase(it);
      break;
    }
  std::vector<Id> changed;
  for (auto& [ticket, viewers] : m_presence)
    if (viewers.erase(client)) changed.push_back(ticket);
  for (Id t : changed) presence_changed(t);
}

void LiveHub::on_message(LiveClient& client, std::string_view text) {
  if (!is_staff(client.caller.actor)) return;  // presence is for staff
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return;
  const auto& o = v.as_object();
  auto type = o.if_contains("type");
  auto ticket = o.if_contains("ticket_id");
  if (!type || !type->is_string() || !ticket || !ticket->is_int64()) return;
  const Id ticket_id = ticket->as_int64();
  std::lock_guard lock(m_mu);
  if (type->as_string() == "watch") {
    std::string state = "viewing";
    if (auto s = o.if_contains("state"); s && s->is_string() && s->as_string() == "replying")
      state = "replying";
    auto& viewers = m_presence[ticket_id];
    auto it = viewers.find(&client);
    if (it != viewers.end() && it->second == state) return;
    viewers[&client] = state;
  } else if (type->as_string() == "unwatch") {
    auto it = m_presence.find(ticket_id);
    if (it == m_presence.end() || !it->second.erase(&client)) return;
  } else {
    return;
  }
  presence_changed(ticket_id);
}

void LiveHub::presence_changed(Id ticket_id) {
  broadcast_presence(ticket_id);
  m_presence_dirty.insert(ticket_id);
  m_cv.notify_one();
}

std::string LiveHub::local_viewers_signal(Id ticket_id) {
  json::array viewers;
  if (auto it = m_presence.find(ticket_id); it != m_presence.end())
    for (const auto& [c, state] : it->second)
      viewers.push_back({{"user_id", c->caller.actor.id}, {"name", c->name}, {"state", state}});
  return json::serialize(json::object{{"type", "presence"},
                                      {"node", m_node},
                                      {"ticket_id", ticket_id},
                                      {"viewers", std::move(viewers)}});
}

// Sends the changed local lists, all of them when a refresh is due, and
// forgets the lists of nodes that stopped refreshing theirs.
void LiveHub::send_presence_signals(Instant now) {
  std::vector<std::string> signals;
  {
    std::lock_guard lock(m_mu);
    const bool refresh = now - m_last_refresh >= kPresenceRefresh;
    if (refresh) {
      m_last_refresh = now;
      for (const auto& [ticket, viewers] : m_presence)
        if (!viewers.empty()) m_presence_dirty.insert(ticket);
      std::vector<Id> expired;
      for (auto& [ticket, nodes] : m_remote) {
        std::erase_if(nodes,
                      [&](const auto& n) { return now - n.second.received_at > kPresenceExpiry; });
        if (nodes.empty()) expired.push_back(ticket);
      }
      for (Id t : expired) {
        m_remote.erase(t);
        broadcast_presence(t);
      }
    }
    for (Id t : m_presence_dirty) signals.push_back(local_viewers_signal(t));
    m_presence_dirty.clear();
  }
  for (const auto& s : signals) m_s.store.send_signal(s);
}

void LiveHub::close_local(Id user_id, const std::string& keep_session,
                          const std::string& only_session) {
  std::lock_guard lock(m_mu);
  for (const auto& c : m_clients) {
    const auto& h = c->caller.credential_hash;
    if (!only_session.empty()) {
      if (h == only_session) c->close();
    } else if (c->caller.actor.id == user_id && (keep_session.empty() || h != keep_session)) {
      c->close();
    }
  }
}

void LiveHub::close_user(Id user_id, const std::string& keep_session) {
  m_s.auth_cache.clear();
  close_local(user_id, keep_session, {});
  m_s.store.send_signal(json::serialize(json::object{
      {"type", "close"}, {"node", m_node}, {"user_id", user_id}, {"keep", keep_session}}));
}

void LiveHub::close_session(const std::string& session_hash) {
  close_local(0, {}, session_hash);
  m_s.store.send_signal(json::serialize(
      json::object{{"type", "close"}, {"node", m_node}, {"session", session_hash}}));
}

void LiveHub::on_signal(const std::string& payload) {
  boost::system::error_code ec;
  auto v = json::parse(payload, ec);
  if (ec || !v.is_object()) return;
  const auto& o = v.as_object();
  if (auto t = o.if_contains("type"); t && t->is_string() && t->as_string() == "close") {
    auto from = o.if_contains("node");
    if (from && from->is_string() && from->as_string() == m_node) return;
    m_s.auth_cache.clear();  // another node changed credentials
    auto user = o.if_contains("user_id");
    auto keep = o.if_contains("keep");
    auto session = o.if_contains("session");
    if (session && session->is_string())
      close_local(0, {}, std::string(session->as_string()));
    else if (user && user->is_int64())
      close_local(user->as_int64(),
                  keep && keep->is_string() ? std::string(keep->as_string()) : std::string(), {});
    return;
  }
  auto node = o.if_contains("node");
  auto ticket = o.if_contains("ticket_id");
  auto viewers = o.if_contains("viewers");
  if (!node || !node->is_string() || node->as_string() == m_node || !ticket ||
      !ticket->is_int64() || !viewers || !viewers->is_array())
    return;
  const Id ticket_id = ticket->as_int64();
  std::lock_guard lock(m_mu);
  auto& nodes = m_remote[ticket_id];
  const std::string from(node->as_string());
  if (viewers->as_array().empty())
    nodes.erase(from);
  else
    nodes[from] = RemoteViewers{viewers->as_array(), m_s.clock.now()};
  if (nodes.empty()) m_remote.erase(ticket_id);
  broadcast_presence(ticket_id);
}

void LiveHub::broadcast_presence(Id ticket_id) {
  auto it = m_presence.find(ticket_id);
  if (it == m_presence.end()) return;  // nobody here is watching
  json::array viewers;
  for (const auto& [c, state] : it->second)
    viewers.push_back({{"user_id", c->caller.actor.id}, {"name", c->name}, {"state", state}});
  if (auto r = m_remote.find(ticket_id); r != m_remote.end())
    for (const auto& [node, list] : r->second)
      for (const auto& v : list.viewers) viewers.push_back(v);
  const std::string msg = json::serialize(json::object{
      {"type", "presence"}, {"ticket_id", ticket_id}, {"viewers", std::move(viewers)}});
  for (const auto& [c, state] : it->second) c->send(msg);
  if (it->second.empty()) m_presence.erase(it);
}

void LiveHub::wake() {
  {
    std::lock_guard lock(m_mu);
    m_woken = true;
  }
  m_cv.notify_one();
}

void LiveHub::run() {
  for (;;) {
    {
      std::unique_lock lock(m_mu);
      m_cv.wait_for(lock, std::chrono::seconds(1),
                    [&] { return m_stopping || m_woken || !m_presence_dirty.empty(); });
      if (m_stopping) return;
      m_woken = false;
    }
    send_presence_signals(m_s.clock.now());
    drain_feed();
  }
}

void LiveHub::drain_feed() {
  for (;;) {
    auto refs = m_feed->next(kFeedBatch);
    if (!refs) return;  // the store is unreachable: the next round tries again
    for (const auto& r : *refs) fan_out(r);
    if (static_cast<int>(refs->size()) < kFeedBatch) return;
  }
}

void LiveHub::fan_out(const store::EventRef& ref) {
  {
    std::lock_guard lock(m_mu);
    if (m_clients.empty()) return;
  }
  auto loaded = m_s.store.read([&](store::Tx& tx) -> Result<std::pair<Ticket, Event>> {
    auto t = tx.tickets().find(ref.ticket_id, TicketScope::everything());
    auto e = tx.events().find(ref.event_id);
    if (!t || !e) return make_error(ErrorCode::not_found, "gone");
    return std::make_pair(*t, *e);
  });
  if (!loaded) return;
  const auto& [ticket, event] = *loaded;
  const std::string staff_msg = json::serialize(json::object{
      {"type", "event"}, {"ticket", to_json(ticket, Audience::staff)}, {"event", to_json(event)}});
  const std::string requester_msg =
      event.internal
          ? std::string()
          : json::serialize(json::object{{"type", "event"},
                                         {"ticket", to_json(ticket, Audience::requester)},
                                         {"event", to_json(event)}});
  std::vector<std::shared_ptr<LiveClient>> clients;
  {
    std::lock_guard lock(m_mu);
    clients.assign(m_clients.begin(), m_clients.end());
  }
  const Instant now = m_s.clock.now();
  for (const auto& c : clients) {
    // The rights of now, not of when the channel opened.
    if (!still_valid(*c, now)) continue;
    const Actor& a = c->caller.actor;
    if (is_staff(a))
      c->send(staff_msg);
    else if (!requester_msg.empty() && can_see_ticket(a, ticket))
      c->send(requester_msg);
  }
}

bool LiveHub::still_valid(LiveClient& c, Instant now) {
  if (c.checked_at + std::chrono::seconds(1) > now) return true;
  const std::string& hash = c.caller.credential_hash;
  std::optional<desk::Credential> cred;
  if (auto cached = m_s.auth_cache.find(hash, now)) {
    cred = cached->credential;
  } else {
    const auto kind = c.caller.via == AuthVia::token ? desk::CredentialKind::token
                                                     : desk::CredentialKind::session;
    auto found = m_s.store.read([&](store::Tx& tx) -> Result<std::optional<desk::Credential>> {
      return desk::find_credential(tx, kind, hash, now);
    });
    if (!found) return false;  // the store does not answer: tell nothing this time
    cred = *found;
    if (cred)
      m_s.auth_cache.put(hash, {*cred, std::min(now + AuthCache::kLifetime, cred->expires_at)});
  }
  // Signed out, expired, deactivated, or another role: the channel ends.
  if (!cred || cred->actor.role != c.caller.actor.role || cred->actor.id != c.caller.actor.id) {
    c.close();
    return false;
  }
  c.caller.actor = cred->actor;  // an organisation may have stopped sharing
  c.checked_at = now;
  return true;
}

}  // namespace sd::api
