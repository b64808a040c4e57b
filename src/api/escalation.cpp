// /escalation-rules (admins write, staff read), /notifications (the
// caller's own, staff) and /admin/outbox (admins), as JSON over
// desk/escalation.
#include "desk/escalation.hpp"

#include <boost/json.hpp>

#include "api/json_io.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "domain/text.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;
using store::Tx;

json::value opt_int(const std::optional<int>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::object rule_json(const EscalationRule& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"active", r.active},
          {"trigger", to_string(r.trigger)},
          {"target", r.target.empty() ? json::value(nullptr) : json::value(r.target)},
          {"policy_id", opt_json(r.policy_id)},
          {"impacts", names(r.impacts)},
          {"types", names(r.types)},
          {"support_level", opt_int(r.support_level)},
          {"directory_level", opt_int(r.directory_level)},
          {"group_id", opt_json(r.group_id)},
          {"priority", r.priority ? json::value(to_string(*r.priority)) : json::value(nullptr)},
          {"created_at", to_iso8601(r.created_at)},
          {"updated_at", to_iso8601(r.updated_at)}};
}

// Applies the body's fields to `r`; a null clears an optional one.
Status read_rule(const json::object& body, EscalationRule& r, bool creating) {
  FieldReader in(body, {"name", "active", "trigger", "target", "policy_id", "impacts", "types",
                        "support_level", "directory_level", "group_id", "priority"});
  if (creating || in.has("name"))
    if (auto n = in.text("name", kMaxName, TextKind::single_line, true)) r.name = *n;
  if (auto a = in.boolean("active")) r.active = *a;
  if (auto t = in.enumeration<EscalationTrigger>("trigger", creating)) r.trigger = *t;
  if (const auto* t = body.if_contains("target")) {
    if (t->is_null())
      r.target.clear();
    else if (t->is_string())
      r.target = std::string(t->as_string());
    else
      in.add("target", "must be first_response, resolution or null", "invalid_type");
  }
  if (auto p = in.nullable_id("policy_id")) r.policy_id = *p;
  if (auto g = in.nullable_id("group_id")) r.group_id = *g;
  if (const auto* v = body.if_contains("impacts"); v && !v->is_null())
    if (auto l = enum_list<Impact>(*v, "impacts", in)) r.impacts = *l;
  if (const auto* v = body.if_contains("types"); v && !v->is_null())
    if (auto l = enum_list<TicketType>(*v, "types", in)) r.types = *l;
  auto small = [&](const char* key, std::optional<int>& out, int max) {
    const auto* v = body.if_contains(key);
    if (!v) return;
    if (v->is_null()) {
      out.reset();
      return;
    }
    if (auto n = in.integer_in(key, 1, max, false,
                               "must be from 1 to " + std::to_string(max) + ", or null"))
      out = *n;
  };
  small("support_level", r.support_level, kMaxSupportLevel);
  small("directory_level", r.directory_level, kMaxEscalationLevel);
  if (const auto* v = body.if_contains("priority")) {
    std::optional<Priority> p;
    if (v->is_string()) p = parse_enum<Priority>(std::string_view(v->as_string()));
    if (v->is_null())
      r.priority.reset();
    else if (p)
      r.priority = p;
    else
      in.add("priority", "must be critical, high, medium, low or null", "unknown_value");
  }
  return in.finish();
}

Result<Response> write_rule(Ctx& ctx, bool creating) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  const Instant now = ctx.s.clock.now();
  const Actor& a = ctx.actor();
  auto out = ctx.s.store.write([&](Tx& tx) -> Result<desk::Outcome<EscalationRule>> {
    EscalationRule r;
    if (!creating) {
      auto found = desk::get_escalation_rule(tx, a, ctx.id);
      if (!found) return found.error();
      r = *found;
    }
    if (auto s = read_rule(*body, r, creating); !s) return s.error();
    return desk::save_escalation_rule(tx, a, r, now);
  });
  if (!out) return out.error();
  if (creating)
    return created(rule_json(out->value),
                   "/api/v1/escalation-rules/" + std::to_string(out->value.id));
  return json_response(200, rule_json(out->value));
}

Result<Response> create_rule(Ctx& ctx) { return write_rule(ctx, true); }
Result<Response> patch_rule(Ctx& ctx) { return write_rule(ctx, false); }

Result<Response> list_rules(Ctx& ctx) {
  auto list =
      ctx.s.store.read([&](Tx& tx) { return desk::list_escalation_rules(tx, ctx.actor()); });
  if (!list) return list.error();
  json::array items;
  for (const auto& r : *list) items.push_back(rule_json(r));
  return json_response(200, json::object{{"items", std::move(items)}});
}

Result<Response> get_rule(Ctx& ctx) {
  auto r =
      ctx.s.store.read([&](Tx& tx) { return desk::get_escalation_rule(tx, ctx.actor(), ctx.id); });
  if (!r) return r.error();
  return json_response(200, rule_json(*r));
}

Result<Response> delete_rule(Ctx& ctx) {
  auto out = ctx.s.store.write(
      [&](Tx& tx) { return desk::delete_escalation_rule(tx, ctx.actor(), ctx.id); });
  if (!out) return out.error();
  return no_content();
}

json::object notification_json(const Notification& n) {
  return {{"id", n.id},
          {"kind", n.kind},
          {"detail", n.detail},
          {"ticket_id", opt_json(n.ticket_id)},
          {"ticket_number",
           n.ticket_id ? json::value(ticket_number(*n.ticket_id)) : json::value(nullptr)},
          {"created_at", to_iso8601(n.created_at)},
          {"read_at", opt_time(n.read_at)}};
}

// GET /api/v1/notifications?unread=true&before=ID&limit=N
Result<Response> list_notifications(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"unread", "before", "limit"}); !s) return s.error();
  const auto unread = ctx.param("unread");
  if (unread && *unread != "true" && *unread != "false")
    return make_error(ErrorCode::invalid_input, "query parameter unread must be true or false");
  auto before = parse_id_param(ctx, "before");
  if (!before) return before.error();
  auto limit = parse_limit(ctx, 20, 100);
  if (!limit) return limit.error();
  auto list = ctx.s.store.read([&](Tx& tx) {
    return desk::my_notifications(tx, ctx.actor(), unread && *unread == "true", *before, *limit);
  });
  if (!list) return list.error();
  json::array items;
  for (const auto& n : list->items) items.push_back(notification_json(n));
  return json_response(200, json::object{{"items", std::move(items)}, {"unread", list->unread}});
}

Result<Response> mark_read(Ctx& ctx, std::optional<Id> id) {
  const Instant now = ctx.s.clock.now();
  auto n =
      ctx.s.store.write([&](Tx& tx) { return desk::read_notifications(tx, ctx.actor(), id, now); });
  if (!n) return n.error();
  return json_response(200, json::object{{"marked", *n}});
}

Result<Response> read_one(Ctx& ctx) { return mark_read(ctx, ctx.id); }
Result<Response> read_all(Ctx& ctx) { return mark_read(ctx, std::nullopt); }

// GET /api/v1/admin/outbox?before=ID&limit=N
Result<Response> list_outbox(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"before", "limit"}); !s) return s.error();
  auto before = parse_id_param(ctx, "before");
  if (!before) return before.error();
  auto limit = parse_limit(ctx, 50, 100);
  if (!limit) return limit.error();
  auto page =
      ctx.s.store.read([&](Tx& tx) { return desk::list_outbox(tx, ctx.actor(), *before, *limit); });
  if (!page) return page.error();
  json::array items;
  for (const auto& m : page->items)
    items.push_back({{"id", m.id},
                     {"kind", m.kind},
                     {"ticket_id", opt_json(m.ticket_id)},
                     {"to_address", m.to_address},
                     {"to_name", m.to_name},
                     {"language", m.language},
                     {"subject", m.subject},
                     {"body", m.body},
                     {"status", m.status},
                     {"message_id", m.message_id},
                     {"attempts", m.attempts},
                     {"last_error", m.last_error},
                     {"created_at", to_iso8601(m.created_at)},
                     {"sent_at", opt_time(m.sent_at)}});
  return json_response(
      200, json::object{{"items", std::move(items)},
                        {"next_before", page->next ? json::value(page->next->id) : nullptr}});
}

}  // namespace

void add_escalation_routes(std::vector<Route>& out) {
  out.push_back({Method::get, "/api/v1/escalation-rules", list_rules, Policy::staff});
  out.push_back({Method::post, "/api/v1/escalation-rules", create_rule, Policy::admin});
  out.push_back({Method::get, "/api/v1/escalation-rules/{id}", get_rule, Policy::staff});
  out.push_back({Method::patch, "/api/v1/escalation-rules/{id}", patch_rule, Policy::admin});
  out.push_back({Method::del, "/api/v1/escalation-rules/{id}", delete_rule, Policy::admin});
  out.push_back({Method::get, "/api/v1/notifications", list_notifications, Policy::staff});
  out.push_back({Method::post, "/api/v1/notifications/read-all", read_all, Policy::staff});
  out.push_back({Method::post, "/api/v1/notifications/{id}/read", read_one, Policy::staff});
  out.push_back({Method::get, "/api/v1/admin/outbox", list_outbox, Policy::admin});
}

}  // namespace sd::api
