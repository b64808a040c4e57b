// /api/v1/settings: the priority matrix (impact x criticality -> priority)
// and the auto-close policy of resolved tickets.
#include "desk/settings.hpp"

#include <boost/json.hpp>

#include "api/json_io.hpp"
#include "api/router.hpp"
#include "desk/sessions.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;

Result<Response> get_matrix(Ctx& ctx) {
  auto m = ctx.s.store.read(
      [](store::Tx& tx) -> Result<PriorityMatrix> { return desk::priority_matrix(tx); });
  if (!m) return m.error();
  return json_response(200, json::object{{"matrix", desk::matrix_to_json(*m)}});
}

Result<Response> put_matrix(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  auto it = body->find("matrix");
  if (it == body->end() || !it->value().is_object()) {
    Error err = make_error(ErrorCode::invalid_input, "the matrix is not valid");
    err.fields.push_back({"matrix", "is required and must be an object", "required"});
    return err;
  }
  auto m = desk::matrix_from_json(it->value().as_object());
  if (!m) return m.error();
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write(
      [&](store::Tx& tx) { return desk::set_priority_matrix(tx, ctx.actor(), *m, now); });
  if (!out) return out.error();
  return json_response(200, json::object{{"matrix", desk::matrix_to_json(out->value)}});
}

Result<Response> get_auto_close(Ctx& ctx) {
  auto p = ctx.s.store.read(
      [](store::Tx& tx) -> Result<AutoClosePolicy> { return desk::auto_close_policy(tx); });
  if (!p) return p.error();
  return json_response(200, desk::auto_close_to_json(*p));
}

Result<Response> put_auto_close(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  auto p = desk::auto_close_from_json(*body);
  if (!p) return p.error();
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write(
      [&](store::Tx& tx) { return desk::set_auto_close_policy(tx, ctx.actor(), *p, now); });
  if (!out) return out.error();
  return json_response(200, desk::auto_close_to_json(out->value));
}

Result<Response> get_routing(Ctx& ctx) {
  auto p = ctx.s.store.read(
      [](store::Tx& tx) -> Result<desk::RoutingPolicy> { return desk::routing_policy(tx); });
  if (!p) return p.error();
  return json_response(200, json::object{{"group_by_level", p->group_by_level}});
}

Result<Response> put_routing(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"group_by_level"});
  auto by_level = in.boolean("group_by_level");
  if (!by_level) in.add("group_by_level", "is required", "required");
  if (auto s = in.finish(); !s) return s.error();
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write([&](store::Tx& tx) {
    return desk::set_routing_policy(tx, ctx.actor(), desk::RoutingPolicy{*by_level}, now);
  });
  if (!out) return out.error();
  return json_response(200, json::object{{"group_by_level", out->value.group_by_level}});
}

Result<Response> get_token_policy(Ctx& ctx) {
  auto p = ctx.s.store.read(
      [](store::Tx& tx) -> Result<desk::TokenPolicy> { return desk::token_policy(tx); });
  if (!p) return p.error();
  return json_response(
      200, json::object{{"who", *p == desk::TokenPolicy::everyone ? "everyone" : "staff"}});
}

Result<Response> put_token_policy(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"who"});
  auto who = in.text("who", 20, TextKind::single_line, true);
  if (who && *who != "staff" && *who != "everyone")
    in.add("who", "must be staff or everyone", "unknown_value");
  if (auto s = in.finish(); !s) return s.error();
  const auto policy = *who == "everyone" ? desk::TokenPolicy::everyone : desk::TokenPolicy::staff;
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write(
      [&](store::Tx& tx) { return desk::set_token_policy(tx, ctx.actor(), policy, now); });
  if (!out) return out.error();
  return json_response(200, json::object{{"who", *who}});
}

}  // namespace

void add_settings_routes(std::vector<Route>& out) {
  out.push_back({Method::get, "/api/v1/settings/priority-matrix", get_matrix, Policy::signed_in});
  out.push_back({Method::put, "/api/v1/settings/priority-matrix", put_matrix, Policy::admin});
  out.push_back({Method::get, "/api/v1/settings/auto-close", get_auto_close, Policy::staff});
  out.push_back({Method::put, "/api/v1/settings/auto-close", put_auto_close, Policy::admin});
  out.push_back({Method::get, "/api/v1/settings/routing", get_routing, Policy::staff});
  out.push_back({Method::put, "/api/v1/settings/routing", put_routing, Policy::admin});
  out.push_back({Method::get, "/api/v1/settings/api-tokens", get_token_policy, Policy::staff});
  out.push_back({Method::put, "/api/v1/settings/api-tokens", put_token_policy, Policy::admin});
}

}  // namespace sd::api
