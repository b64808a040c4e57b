#include "api/context.hpp"

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

Result<Caller> authenticate(Services& s, const Request& req) {
  Caller caller;
  std::optional<Id> user_id;
  std::string csrf;
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

  auto found = s.store.read([&](store::Tx& tx) -> Result<std::optional<std::pair<User, Organisation>>> {
    std::optional<Id> uid;
    if (caller.via == AuthVia::token) {
      uid = tx.find_api_token_user(hash);
    } else if (auto sess = tx.find_session(hash); sess && sess->expires_at > now) {
      uid = sess->user_id;
      csrf = sess->csrf_token;
    }
    if (!uid) return std::nullopt;
    auto u = tx.find_user(*uid);
    if (!u || !u->active) return std::nullopt;
    Organisation org;
    if (u->organisation_id)
      if (auto o = tx.find_organisation(*u->organisation_id)) org = *o;
    return std::make_pair(*u, org);
  });
  if (!found) return found.error();
  if (!*found) return make_error(ErrorCode::unauthorized, "the session or token is not valid");
  const auto& [user, org] = **found;

  if (caller.via == AuthVia::session && req.method != Method::get && req.method != Method::head) {
    if (!auth::constant_time_equal(req.header("x-csrf-token"), csrf))
      return make_error(ErrorCode::forbidden, "missing or wrong X-CSRF-Token header");
  }
  caller.actor = Actor{user.id, user.role, user.organisation_id, org.shared_tickets};
  if (caller.via == AuthVia::session) caller.session_hash = hash;
  return caller;
}

}  // namespace sd::api
