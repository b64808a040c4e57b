#include "api/context.hpp"

#include <algorithm>

#include "auth/crypto.hpp"

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

std::string client_address(const Services& s, const Request& req) {
  auto trusted = [&](std::string_view a) {
    return std::find(s.trusted_proxies.begin(), s.trusted_proxies.end(), a) !=
           s.trusted_proxies.end();
  };
  if (!trusted(req.remote_address)) return req.remote_address;
  std::string_view xff = req.header("x-forwarded-for");
  // From the right: each trusted proxy appended the address it saw.
  while (!xff.empty()) {
    auto comma = xff.rfind(',');
    std::string_view item = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty() && !trusted(item)) return std::string(item.substr(0, 64));
    if (comma == std::string_view::npos) break;
    xff = xff.substr(0, comma);
  }
  return req.remote_address;
}

std::optional<AuthCache::Entry> AuthCache::find(const std::string& token_hash, Instant now) {
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

Result<Caller> authenticate(Services& s, const Request& req) {
  Caller caller;
  const Instant now = s.clock.now();
  std::string_view authz = req.header("authorization");
  std::string token;
  if (!authz.empty()) {
    if (authz.size() < 8 || (authz.substr(0, 7) != "Bearer " && authz.substr(0, 7) != "bearer "))
      return make_error(ErrorCode::unauthorized, "use Authorization: Bearer TOKEN");
    token = std::string(authz.substr(7));
    caller.via = AuthVia::token;
  } else {
    token = cookie_value(req, s.session_cookie_name());
    caller.via = AuthVia::session;
  }
  if (token.empty() || token.size() > 200)
    return make_error(ErrorCode::unauthorized, "sign in or send an API token");
  const std::string hash = auth::token_hash(token);
  auto entry = s.auth_cache.find(hash, now);
  if (!entry) {
    const auto kind =
        caller.via == AuthVia::token ? desk::CredentialKind::token : desk::CredentialKind::session;
    auto found = s.store.read([&](store::Tx& tx) -> Result<std::optional<desk::Credential>> {
      return desk::find_credential(tx, kind, hash, now);
    });
    if (!found) return found.error();
    if (!*found) return make_error(ErrorCode::unauthorized, "the session or token is not valid");
    AuthCache::Entry e{**found, std::min(now + AuthCache::kLifetime, (*found)->expires_at)};
    // A token's last use, at most once a minute: it is a write.
    if (desk::token_use_worth_noting(e.credential, now)) {
      const Id id = *e.credential.token_id;
      s.store.write([&](store::Tx& tx) -> Result<bool> {
        if (auto st = desk::note_token_use(tx, id, now); !st) return st.error();
        return true;
      });
    }
    s.auth_cache.put(hash, e);
    entry = std::move(e);
  }
  if (caller.via == AuthVia::session && req.method != Method::get && req.method != Method::head) {
    if (!auth::constant_time_equal(req.header("x-csrf-token"), entry->credential.csrf_token))
      return make_error(ErrorCode::forbidden, "missing or wrong X-CSRF-Token header");
  }
  caller.actor = entry->credential.actor;
  caller.must_change_password = entry->credential.must_change_password;
  caller.credential_hash = hash;
  if (caller.via == AuthVia::session) caller.session_hash = hash;
  return caller;
}

}  // namespace sd::api
