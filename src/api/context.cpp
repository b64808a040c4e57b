#include "api/context.hpp"

#include "auth/crypto.hpp"

#include <algorithm>

namespace sd::api {

std::string cookie_value(const Request& req, std::string_view name) {
  std::string_view h = req.header("cookie");
  while (!h.empty()) {
    auto semi = h.find(';');
    std::string_view part = h.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name)
      return std::string(part.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    h.remove_prefix(semi + 1);
  }
  return {};
}

std::optional<AuthCache::Entry> AuthCache::find(const std::string& token_hash, Millis now) {
  std::lock_guard lock(m_mu);
  auto it = m_entries.find(token_hash);
  if (it == m_entries.end()) return std::nullopt;
  if (it->second.valid_until <= now) {
    m_entries.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void AuthCache::put(const std::string& token_hash, Entry e) {
  std::lock_guard lock(m_mu);
  if (m_entries.size() >= kMaxEntries) m_entries.clear();
  m_entries[token_hash] = std::move(e);
}

void AuthCache::erase(const std::string& token_hash) {
  std::lock_guard lock(m_mu);
  m_entries.erase(token_hash);
}

void AuthCache::clear() {
  std::lock_guard lock(m_mu);
  m_entries.clear();
}

namespace {

// Looks a credential up in the store: the user behind it, if it is valid.
Result<AuthCache::Entry> load_credential(Services& s, AuthVia via, const std::string& hash,
                                         Millis now) {
  AuthCache::Entry entry;
  entry.valid_until = now + AuthCache::kLifetime;
  auto found = s.store.read([&](store::Tx& tx) -> Result<bool> {
    std::optional<Id> uid;
    if (via == AuthVia::token) {
      uid = tx.find_api_token_user(hash);
    } else if (auto sess = tx.find_session(hash); sess && sess->expires_at > now) {
      uid = sess->user_id;
      entry.csrf_token = sess->csrf_token;
      entry.valid_until = std::min(entry.valid_until, sess->expires_at);
    }
    if (!uid) return false;
    auto u = tx.find_user(*uid);
    if (!u || !u->active) return false;
    bool shares = false;
    if (u->organisation_id)
      if (auto o = tx.find_organisation(*u->organisation_id)) shares = o->shared_tickets;
    entry.actor = Actor{u->id, u->role, u->organisation_id, shares};
    return true;
  });
  if (!found) return found.error();
  if (!*found) return make_error(ErrorCode::unauthorized, "the session or token is not valid");
  return entry;
}

}  // namespace

Result<Caller> authenticate(Services& s, const Request& req) {
  Caller caller;
  const Millis now = s.clock.now();
  std::string_view authz = req.header("authorization");
  std::string token;
  if (!authz.empty()) {
    if (authz.size() < 8 || (authz.substr(0, 7) != "Bearer " && authz.substr(0, 7) != "bearer "))
      return make_error(ErrorCode::unauthorized, "use Authorization: Bearer TOKEN");
    token = std::string(authz.substr(7));
    caller.via = AuthVia::token;
  } else {
    token = cookie_value(req, kSessionCookie);
    caller.via = AuthVia::session;
  }
  if (token.empty() || token.size() > 200)
    return make_error(ErrorCode::unauthorized, "sign in or send an API token");
  const std::string hash = auth::token_hash(token);
  auto entry = s.auth_cache.find(hash, now);
  if (!entry) {
    auto loaded = load_credential(s, caller.via, hash, now);
    if (!loaded) return loaded.error();
    s.auth_cache.put(hash, *loaded);
    entry = std::move(*loaded);
  }
  if (caller.via == AuthVia::session && req.method != Method::get && req.method != Method::head) {
    if (!auth::constant_time_equal(req.header("x-csrf-token"), entry->csrf_token))
      return make_error(ErrorCode::forbidden, "missing or wrong X-CSRF-Token header");
  }
  caller.actor = entry->actor;
  if (caller.via == AuthVia::session) caller.session_hash = hash;
  return caller;
}

}  // namespace sd::api
