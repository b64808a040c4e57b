// /sla-policies: service-level policies, as JSON over desk/sla_policies.
// The shape is fixed by issue 8: {"name","calendar_id","rank","match":
// {"types","priorities","organisation_ids"},"first_response_minutes",
// "resolution_minutes","pause_statuses"}, plus the warning thresholds.
#include "desk/sla_policies.hpp"

#include <boost/json.hpp>

#include "api/json_io.hpp"
#include "api/router.hpp"
#include "domain/text.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;
using store::Tx;

json::object policy_json(const SlaPolicy& p) {
  json::array orgs;
  for (Id o : p.match.organisation_ids) orgs.push_back(o);
  return {{"id", p.id},
          {"name", p.name},
          {"calendar_id", p.calendar_id},
          {"rank", p.rank},
          {"match",
           {{"types", names(p.match.types)},
            {"priorities", names(p.match.priorities)},
            {"organisation_ids", std::move(orgs)}}},
          {"first_response_minutes", p.first_response_minutes},
          {"resolution_minutes", p.resolution_minutes},
          {"pause_statuses", names(p.pause_statuses)},
          {"first_response_warning_percent", p.first_response_warning_percent},
          {"resolution_warning_percent", p.resolution_warning_percent},
          {"created_at", to_iso8601(p.created_at)},
          {"updated_at", to_iso8601(p.updated_at)}};
}

std::optional<SlaMatch> read_match(const json::value& v, FieldReader& in) {
  if (!v.is_object()) {
    in.add("match", "must be an object of types, priorities and organisation_ids", "invalid_type");
    return std::nullopt;
  }
  SlaMatch m;
  bool ok = true;
  for (const auto& [key, value] : v.as_object()) {
    const std::string field = "match." + std::string(key);
    if (value.is_null()) continue;  // any
    if (key == "types") {
      auto l = enum_list<TicketType>(value, field, in);
      ok = ok && l;
      if (l) m.types = *l;
    } else if (key == "priorities") {
      auto l = enum_list<Priority>(value, field, in);
      ok = ok && l;
      if (l) m.priorities = *l;
    } else if (key == "organisation_ids") {
      const auto* a = value.if_array();
      bool good = a != nullptr;
      if (a)
        for (const auto& id : *a) {
          if (!id.is_int64() || id.get_int64() < 1) {
            good = false;
            break;
          }
          m.organisation_ids.push_back(id.get_int64());
        }
      if (!good) in.add(field, "must be a list of organisation ids", "invalid_type");
      ok = ok && good;
    } else {
      in.add(field, "is not a field of a match (types, priorities, organisation_ids)",
             "unknown_field");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return m;
}

Result<Response> write_policy(Ctx& ctx, bool creating) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"name", "calendar_id", "rank", "match", "first_response_minutes",
                         "resolution_minutes", "pause_statuses", "first_response_warning_percent",
                         "resolution_warning_percent"});
  desk::SaveSlaPolicy c;
  if (!creating) c.id = ctx.id;
  if (creating || in.has("name")) c.name = in.text("name", kMaxName, TextKind::single_line, true);
  c.calendar_id = in.integer("calendar_id", false);
  if (auto r =
          in.integer_in("rank", -1'000'000, 1'000'000, false, "must be from -1000000 to 1000000"))
    c.rank = *r;
  if (const auto* m = body->if_contains("match"); m && !m->is_null()) c.match = read_match(*m, in);
  c.first_response_minutes = in.integer("first_response_minutes", creating);
  c.resolution_minutes = in.integer("resolution_minutes", creating);
  if (const auto* s = body->if_contains("pause_statuses"); s && !s->is_null())
    c.pause_statuses = enum_list<TicketStatus>(*s, "pause_statuses", in);
  c.first_response_warning_percent =
      in.integer_in("first_response_warning_percent", 1, 99, false, "must be 1 to 99 (percent)");
  c.resolution_warning_percent =
      in.integer_in("resolution_warning_percent", 1, 99, false, "must be 1 to 99 (percent)");
  if (auto s = in.finish(); !s) return s.error();
  const Instant now = ctx.s.clock.now();
  auto out =
      ctx.s.store.write([&](Tx& tx) { return desk::save_sla_policy(tx, ctx.actor(), c, now); });
  if (!out) return out.error();
  if (creating)
    return created(policy_json(out->value),
                   "/api/v1/sla-policies/" + std::to_string(out->value.id));
  return json_response(200, policy_json(out->value));
}

Result<Response> create_policy(Ctx& ctx) { return write_policy(ctx, true); }
Result<Response> patch_policy(Ctx& ctx) { return write_policy(ctx, false); }

Result<Response> list_policies(Ctx& ctx) {
  auto list = ctx.s.store.read([&](Tx& tx) { return desk::list_sla_policies(tx, ctx.actor()); });
  if (!list) return list.error();
  json::array a;
  for (const auto& p : *list) a.push_back(policy_json(p));
  return json_response(200, json::object{{"items", std::move(a)}});
}

Result<Response> get_policy(Ctx& ctx) {
  auto p = ctx.s.store.read([&](Tx& tx) { return desk::get_sla_policy(tx, ctx.actor(), ctx.id); });
  if (!p) return p.error();
  return json_response(200, policy_json(*p));
}

Result<Response> delete_policy(Ctx& ctx) {
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write(
      [&](Tx& tx) { return desk::delete_sla_policy(tx, ctx.actor(), ctx.id, now); });
  if (!out) return out.error();
  return no_content();
}

}  // namespace

void add_sla_policy_routes(std::vector<Route>& out) {
  out.push_back({Method::get, "/api/v1/sla-policies", list_policies, Policy::staff});
  out.push_back({Method::post, "/api/v1/sla-policies", create_policy, Policy::admin});
  out.push_back({Method::get, "/api/v1/sla-policies/{id}", get_policy, Policy::staff});
  out.push_back({Method::patch, "/api/v1/sla-policies/{id}", patch_policy, Policy::admin});
  out.push_back({Method::del, "/api/v1/sla-policies/{id}", delete_policy, Policy::admin});
}

}  // namespace sd::api
