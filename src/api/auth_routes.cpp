// /api/v1/auth (sign in and out, who am I) and /api/v1/tokens.
#include <boost/json.hpp>

#include "api/json_io.hpp"
#include "api/problem.hpp"
#include "api/router.hpp"
#include "auth/crypto.hpp"
#include "desk/directory.hpp"
#include "desk/sessions.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;

Response too_many(Duration retry) {
  Error e = make_error(ErrorCode::too_many_requests, "too many failed sign-ins; try again later");
  Response r = problem(e);
  r.headers.emplace_back("Retry-After", std::to_string((retry.count() + 999) / 1000));
  return r;
}

std::string session_cookie(const Services& s, const std::string& value, Duration max_age) {
  std::string c = std::string(s.session_cookie_name()) + "=" + value +
                  "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(max_age).count());
  if (s.secure_cookies) c += "; Secure";
  return c;
}

Result<Response> login(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"email", "password"});
  auto email = in.text("email", kMaxEmail, TextKind::single_line, true);
  auto password = in.text("password", 1024, TextKind::single_line, true);
  if (auto s = in.finish(); !s) return s.error();
  auto r = desk::sign_in(ctx.s.store, ctx.s.sign_in_guard,
                         desk::SignIn{*email, *password, client_address(ctx.s, ctx.req)},
                         ctx.s.clock.now(), ctx.s.session_lifetime);
  if (!r) return r.error();
  if (auto* t = std::get_if<desk::Throttled>(&*r)) return too_many(t->retry_after);
  if (std::holds_alternative<desk::WrongCredentials>(*r))
    return make_error(ErrorCode::unauthorized, "wrong email or password");
  const auto& signed_in = std::get<desk::SignedIn>(*r);
  Response out = json_response(
      200, json::object{{"user", to_json(signed_in.user)}, {"csrf_token", signed_in.csrf_token}});
  out.headers.emplace_back("Set-Cookie",
                           session_cookie(ctx.s, signed_in.token, ctx.s.session_lifetime));
  out.headers.emplace_back("Cache-Control", "no-store");
  return out;
}

Result<Response> logout(Ctx& ctx) {
  if (ctx.caller->via == AuthVia::session) {
    const Instant now = ctx.s.clock.now();
    auto done = ctx.s.store.write(
        [&](store::Tx& tx) { return desk::sign_out(tx, ctx.caller->session_hash, now); });
    if (!done) return done.error();
    ctx.s.auth_cache.erase(ctx.caller->session_hash);
    if (ctx.s.on_session_ended) ctx.s.on_session_ended(ctx.caller->session_hash);
  }
  Response r = no_content();
  r.headers.emplace_back("Set-Cookie", session_cookie(ctx.s, "", Duration{0}));
  return r;
}

Result<Response> me(Ctx& ctx) {
  auto m = ctx.s.store.read([&](store::Tx& tx) { return desk::me(tx, ctx.actor()); });
  if (!m) return m.error();
  json::object o = to_json(m->user);
  json::array groups;
  for (Id g : m->group_ids) groups.push_back(g);
  o["group_ids"] = std::move(groups);
  return json_response(200, o);
}

json::object token_json(const store::TokenRecord& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"created_at", to_iso8601(t.created_at)},
          {"expires_at", opt_time(t.expires_at)},
          {"last_used_at", opt_time(t.last_used_at)}};
}

Result<Response> create_token(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"name", "expires_at"});
  auto name = in.text("name", kMaxName, TextKind::single_line, true);
  std::optional<Instant> expires;
  if (auto text = in.text("expires_at", 40, TextKind::single_line, false)) {
    expires = parse_iso8601(*text);
    if (!expires) in.add("expires_at", "is not an ISO 8601 UTC time", "invalid_format");
  }
  if (auto s = in.finish(); !s) return s.error();
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write([&](store::Tx& tx) {
    return desk::create_api_token(tx, ctx.actor(), desk::CreateToken{std::nullopt, *name, expires},
                                  now);
  });
  if (!out) return out.error();
  const auto& t = out->value;
  Response r = json_response(201, json::object{{"id", t.id},
                                               {"name", t.name},
                                               {"token", t.token},
                                               {"created_at", to_iso8601(t.created_at)},
                                               {"expires_at", opt_time(expires)},
                                               {"last_used_at", nullptr}});
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Result<Response> list_tokens(Ctx& ctx) {
  auto list =
      ctx.s.store.read([&](store::Tx& tx) { return desk::list_api_tokens(tx, ctx.actor()); });
  if (!list) return list.error();
  json::array items;
  for (const auto& t : *list) items.push_back(token_json(t));
  return json_response(200, json::object{{"items", std::move(items)}});
}

Result<Response> revoke_token(Ctx& ctx) {
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write(
      [&](store::Tx& tx) { return desk::revoke_api_token(tx, ctx.actor(), ctx.id, now); });
  if (!out) return out.error();
  // At once on this node; other nodes within the cache's lifetime.
  ctx.s.auth_cache.erase(out->value.token_hash);
  return no_content();
}

}  // namespace

void add_auth_routes(std::vector<Route>& out) {
  out.push_back({Method::post, "/api/v1/auth/login", login, Policy::public_});
  out.push_back({Method::post, "/api/v1/auth/logout", logout, Policy::signed_in});
  out.push_back({Method::get, "/api/v1/auth/me", me, Policy::signed_in});
  // desk/ applies the setting of who may create tokens (staff by default).
  out.push_back({Method::post, "/api/v1/tokens", create_token, Policy::signed_in});
  out.push_back({Method::get, "/api/v1/tokens", list_tokens, Policy::signed_in});
  out.push_back({Method::del, "/api/v1/tokens/{id}", revoke_token, Policy::signed_in});
}

}  // namespace sd::api
