// /api/v1/auth (sign in and out, who am I) and /api/v1/tokens.
#include "api/json_io.hpp"
#include "api/problem.hpp"
#include "api/router.hpp"
#include "auth/crypto.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace sd::api {
namespace {

namespace json = boost::json;

Response too_many(Millis retry_ms) {
  Error e = make_error(ErrorCode::too_many_requests, "too many failed sign-ins; try again later");
  Response r = problem(e);
  r.headers.emplace_back("Retry-After", std::to_string((retry_ms + 999) / 1000));
  return r;
}

std::string session_cookie(const Services& s, const std::string& value, Millis max_age_ms) {
  std::string c = std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                  std::to_string(max_age_ms / 1000);
  if (s.secure_cookies) c += "; Secure";
  return c;
}

// A hash to verify against when the account does not exist, so that a wrong
// email takes as long as a wrong password.
const std::string& decoy_hash() {
  static const std::string h = auth::hash_password(auth::random_token());
  return h;
}

Result<Response> login(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"email", "password"});
  auto email = in.text("email", kMaxEmail, TextKind::single_line, true);
  auto password = in.text("password", 1024, TextKind::single_line, true);
  if (auto s = in.finish(); !s) return s.error();
  const std::string login = to_lower_ascii(*email);
  const std::string account_key = "account:" + login;
  const std::string address_key = "address:" + ctx.req.remote_address;
  const Millis now = ctx.s.clock.now();
  Millis wait = std::max(ctx.s.login_by_account.retry_after(account_key, now),
                         ctx.s.login_by_address.retry_after(address_key, now));
  if (wait > 0) return too_many(wait);

  auto found = ctx.s.store.read(
      [&](store::Tx& tx) -> Result<std::optional<std::pair<User, std::string>>> {
        auto u = tx.find_user_by_email(login);
        if (!u) return std::nullopt;
        auto h = tx.password_hash(u->id);
        return std::make_pair(*u, h.value_or(""));
      });
  if (!found) return found.error();
  bool ok = false;
  if (*found && !(*found)->second.empty() && (*found)->first.active)
    ok = auth::verify_password((*found)->second, *password);
  else
    auth::verify_password(decoy_hash(), *password);
  if (!ok) {
    ctx.s.login_by_account.record_failure(account_key, now);
    ctx.s.login_by_address.record_failure(address_key, now);
    return make_error(ErrorCode::unauthorized, "wrong email or password");
  }
  ctx.s.login_by_account.reset(account_key);

  const User& user = (*found)->first;
  const std::string token = auth::random_token();
  store::SessionRecord rec{user.id, auth::random_token(), now + ctx.s.session_lifetime};
  auto saved = ctx.s.store.write([&](store::Tx& tx) -> Result<bool> {
    tx.delete_expired_sessions(now);
    tx.insert_session(auth::token_hash(token), rec, now);
    return true;
  });
  if (!saved) return saved.error();
  Response r = json_response(200, json::object{{"user", to_json(user)}, {"csrf_token", rec.csrf_token}});
  r.headers.emplace_back("Set-Cookie", session_cookie(ctx.s, token, ctx.s.session_lifetime));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Result<Response> logout(Ctx& ctx) {
  if (ctx.caller->via == AuthVia::session) {
    auto done = ctx.s.store.write([&](store::Tx& tx) -> Result<bool> {
      tx.delete_session(ctx.caller->session_hash);
      return true;
    });
    if (!done) return done.error();
    ctx.s.auth_cache.erase(ctx.caller->session_hash);
  }
  Response r = no_content();
  r.headers.emplace_back("Set-Cookie", session_cookie(ctx.s, "", 0));
  return r;
}

Result<Response> me(Ctx& ctx) {
  auto u = ctx.s.store.read([&](store::Tx& tx) -> Result<json::object> {
    auto u = tx.find_user(ctx.actor().id);
    if (!u) return make_error(ErrorCode::unauthorized, "the user no longer exists");
    json::object o = to_json(*u);
    json::array groups;
    for (Id g : tx.groups_of(u->id)) groups.push_back(g);
    o["group_ids"] = std::move(groups);
    return o;
  });
  if (!u) return u.error();
  return json_response(200, *u);
}

Result<Response> create_token(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"name"});
  auto name = in.text("name", kMaxName, TextKind::single_line, true);
  if (auto s = in.finish(); !s) return s.error();
  const std::string token = auth::random_token();
  const Millis now = ctx.s.clock.now();
  auto id = ctx.s.store.write([&](store::Tx& tx) -> Result<Id> {
    return tx.insert_api_token(ctx.actor().id, *name, auth::token_hash(token), now);
  });
  if (!id) return id.error();
  Response r = json_response(201, json::object{{"id", *id},
                                               {"name", *name},
                                               {"token", token},
                                               {"created_at", to_iso8601(now)}});
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

void add_auth_routes(std::vector<Route>& out) {
  out.push_back({Method::post, "/api/v1/auth/login", login, Access::public_});
  out.push_back({Method::post, "/api/v1/auth/logout", logout, Access::authenticated});
  out.push_back({Method::get, "/api/v1/auth/me", me, Access::authenticated});
  out.push_back({Method::post, "/api/v1/tokens", create_token, Access::authenticated});
}

}  // namespace sd::api
