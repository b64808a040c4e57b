// /contracts: an organisation's contracts (coverage), as JSON over
// desk/contracts. {"organisation_id","name","starts_on","ends_on",
// "policy_ids","outside_coverage":"warn"|"refuse"}.
#include "desk/contracts.hpp"

#include <boost/json.hpp>
#include <charconv>

#include "api/json_io.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "domain/text.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;
using store::Tx;

json::object contract_json(const Contract& c, Instant now) {
  json::array policies;
  for (Id p : c.policy_ids) policies.push_back(p);
  return {{"id", c.id},
          {"organisation_id", c.organisation_id},
          {"name", c.name},
          {"starts_on", c.starts_on},
          {"ends_on", c.ends_on},
          {"policy_ids", std::move(policies)},
          {"outside_coverage", to_string(c.outside)},
          {"in_force", in_force(c, now)},
          {"days_left", days_left(c, now)},
          {"created_at", to_iso8601(c.created_at)},
          {"updated_at", to_iso8601(c.updated_at)}};
}

Result<Response> write_contract(Ctx& ctx, bool creating) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  const Instant now = ctx.s.clock.now();
  const Actor& a = ctx.actor();
  auto out = ctx.s.store.write([&](Tx& tx) -> Result<desk::Outcome<Contract>> {
    Contract c;
    if (!creating) {
      auto found = desk::get_contract(tx, a, ctx.id);
      if (!found) return found.error();
      c = *found;
    }
    FieldReader in(*body, {"organisation_id", "name", "starts_on", "ends_on", "policy_ids",
                           "outside_coverage"});
    if (auto o = in.integer("organisation_id", creating)) c.organisation_id = *o;
    if (creating || in.has("name"))
      if (auto n = in.text("name", kMaxName, TextKind::single_line, true)) c.name = *n;
    if (creating || in.has("starts_on"))
      if (auto d = in.text("starts_on", 10, TextKind::single_line, true)) c.starts_on = *d;
    if (creating || in.has("ends_on"))
      if (auto d = in.text("ends_on", 10, TextKind::single_line, true)) c.ends_on = *d;
    if (in.has("policy_ids"))
      if (auto l = in.id_list("policy_ids")) c.policy_ids = *l;
    if (auto o = in.enumeration<OutsideCoverage>("outside_coverage", false)) c.outside = *o;
    if (auto s = in.finish(); !s) return s.error();
    return desk::save_contract(tx, a, c, now);
  });
  if (!out) return out.error();
  if (creating)
    return created(contract_json(out->value, now),
                   "/api/v1/contracts/" + std::to_string(out->value.id));
  return json_response(200, contract_json(out->value, now));
}

Result<Response> create_contract(Ctx& ctx) { return write_contract(ctx, true); }
Result<Response> patch_contract(Ctx& ctx) { return write_contract(ctx, false); }

// GET /api/v1/contracts?organisation_id=N&expiring_within_days=D
Result<Response> list_contracts(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"organisation_id", "expiring_within_days"}); !s)
    return s.error();
  desk::ContractList q;
  auto org = parse_id_param(ctx, "organisation_id");
  if (!org) return org.error();
  q.organisation_id = *org;
  if (auto d = ctx.param("expiring_within_days")) {
    int days = -1;
    auto [ptr, ec] = std::from_chars(d->data(), d->data() + d->size(), days);
    if (ec != std::errc() || ptr != d->data() + d->size() || days < 0 || days > 3660)
      return make_error(ErrorCode::invalid_input,
                        "query parameter expiring_within_days must be days from 0 to 3660");
    q.expiring_within_days = days;
  }
  const Instant now = ctx.s.clock.now();
  auto list =
      ctx.s.store.read([&](Tx& tx) { return desk::list_contracts(tx, ctx.actor(), q, now); });
  if (!list) return list.error();
  json::array items;
  for (const auto& c : *list) items.push_back(contract_json(c, now));
  return json_response(200, json::object{{"items", std::move(items)}});
}

Result<Response> get_contract(Ctx& ctx) {
  auto c = ctx.s.store.read([&](Tx& tx) { return desk::get_contract(tx, ctx.actor(), ctx.id); });
  if (!c) return c.error();
  return json_response(200, contract_json(*c, ctx.s.clock.now()));
}

Result<Response> delete_contract(Ctx& ctx) {
  auto out =
      ctx.s.store.write([&](Tx& tx) { return desk::delete_contract(tx, ctx.actor(), ctx.id); });
  if (!out) return out.error();
  return no_content();
}

}  // namespace

void add_contract_routes(std::vector<Route>& out) {
  out.push_back({Method::get, "/api/v1/contracts", list_contracts, Policy::staff});
  out.push_back({Method::post, "/api/v1/contracts", create_contract, Policy::admin});
  out.push_back({Method::get, "/api/v1/contracts/{id}", get_contract, Policy::staff});
  out.push_back({Method::patch, "/api/v1/contracts/{id}", patch_contract, Policy::admin});
  out.push_back({Method::del, "/api/v1/contracts/{id}", delete_contract, Policy::admin});
}

}  // namespace sd::api
