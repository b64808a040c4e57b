// /api/v1/tickets: create, read, list, change, move through the lifecycle,
// comment, escalate, and read the timeline. Each change and its events are
// written in one transaction.
#include "api/json_io.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "api/settings.hpp"
#include "domain/lifecycle.hpp"
#include "domain/permissions.hpp"
#include "domain/priority.hpp"

#include <boost/json.hpp>

namespace sd::api {
namespace {

namespace json = boost::json;
using store::Tx;

Audience audience(const Actor& a) { return is_staff(a.role) ? Audience::staff : Audience::requester; }

Error not_found() { return make_error(ErrorCode::not_found, "no such ticket"); }

// The ticket if the actor may see it; not_found otherwise, so that a
// requester cannot tell someone else's ticket from a missing one.
Result<Ticket> visible_ticket(Tx& tx, const Actor& a, Id id, store::Lock lock) {
  auto t = tx.find_ticket(id, lock);
  if (!t || !can_see_ticket(a, *t)) return not_found();
  return *t;
}

std::string opt_text(const std::optional<Id>& v) { return v ? std::to_string(*v) : ""; }

Event event_for(const Ticket& t, const Actor& a, EventKind kind, Millis now) {
  Event e;
  e.ticket_id = t.id;
  e.kind = kind;
  e.actor_id = a.id;
  e.created_at = now;
  return e;
}

void record_change(Tx& tx, const Ticket& t, const Actor& a, EventKind kind, std::string field,
                   std::string old_value, std::string new_value, bool internal, Millis now) {
  Event e = event_for(t, a, kind, now);
  e.field = std::move(field);
  e.old_value = std::move(old_value);
  e.new_value = std::move(new_value);
  e.internal = internal;
  tx.insert_event(e);
}

Status check_staff_assignee(Tx& tx, Id user_id) {
  auto u = tx.find_user(user_id);
  if (!u) return field_error("assignee_id", "no such user", "not_found");
  if (!is_staff(u->role) || !u->active)
    return field_error("assignee_id", "must be an active agent, supervisor or admin", "not_staff");
  return {};
}

// The event as stored, with what the store adds (its actor's name).
Event stored_event(Tx& tx, const Event& e) {
  auto stored = tx.find_event(e.id);
  return stored ? *stored : e;
}

// POST /api/v1/tickets
Result<Response> create_ticket(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  const Actor& a = ctx.actor();
  FieldReader in(*body, {"type", "subject", "description", "impact", "criticality", "channel",
                         "requester_id", "category_id"});
  Ticket t;
  auto type = in.enumeration<TicketType>("type", true);
  auto subject = in.text("subject", kMaxSubject, TextKind::single_line, true);
  auto description = in.text("description", kMaxDescription, TextKind::multi_line, true);
  auto impact = in.enumeration<Impact>("impact", true);
  auto criticality = in.enumeration<Criticality>("criticality", true);
  auto channel = in.enumeration<Channel>("channel", false);
  auto requester = in.nullable_id("requester_id");
  auto category = in.nullable_id("category_id");
  if (auto s = in.finish(); !s) return s.error();

  if (!is_staff(a.role)) {
    if (requester && *requester && **requester != a.id)
      return make_error(ErrorCode::forbidden, "requesters create tickets for themselves only");
    channel.reset();  // a requester's ticket comes by the channel they used
  }
  t.type = *type;
  t.subject = *subject;
  t.description = *description;
  t.impact = *impact;
  t.criticality = *criticality;
  t.channel = channel.value_or(ctx.caller->via == AuthVia::token ? Channel::api : Channel::web);
  t.requester_id = requester && *requester ? **requester : a.id;
  t.category_id = category ? *category : std::nullopt;
  t.support_level = default_support_level(t.impact, t.criticality);
  const Millis now = ctx.s.clock.now();
  t.created_at = t.updated_at = now;

  auto saved = ctx.s.store.write([&](Tx& tx) -> Result<Ticket> {
    auto req_user = tx.find_user(t.requester_id);
    if (!req_user) return field_error("requester_id", "no such user", "not_found");
    t.organisation_id = req_user->organisation_id;
    if (t.category_id && !tx.find_category(*t.category_id))
      return field_error("category_id", "no such category", "not_found");
    t.priority = load_priority_matrix(tx).at(t.impact, t.criticality);
    t.id = tx.insert_ticket(t);
    Event e = event_for(t, a, EventKind::created, now);
    e.field = "status";
    e.new_value = std::string(to_string(t.status));
    tx.insert_event(e);
    return t;
  });
  if (!saved) return saved.error();
  return created(to_json(*saved, audience(a)), "/api/v1/tickets/" + std::to_string(saved->id));
}

// GET /api/v1/tickets/{id}
Result<Response> get_ticket(Ctx& ctx) {
  auto t = ctx.s.store.read(
      [&](Tx& tx) { return visible_ticket(tx, ctx.actor(), ctx.id, store::Lock::none); });
  if (!t) return t.error();
  return json_response(200, to_json(*t, audience(ctx.actor())));
}

Result<store::TicketSort> parse_sort(std::string_view s, bool& descending) {
  descending = !s.empty() && s.front() == '-';
  if (descending) s.remove_prefix(1);
  if (s == "id") return store::TicketSort::id;
  if (s == "created_at") return store::TicketSort::created_at;
  if (s == "updated_at") return store::TicketSort::updated_at;
  if (s == "priority") return store::TicketSort::priority;
  if (s == "support_level") return store::TicketSort::support_level;
  if (s == "status") return store::TicketSort::status;
  if (s == "subject") return store::TicketSort::subject;
  if (s == "type") return store::TicketSort::type;
  if (s == "requester") return store::TicketSort::requester;
  if (s == "assignee") return store::TicketSort::assignee;
  if (s == "group") return store::TicketSort::group;
  if (s == "category") return store::TicketSort::category;
  return make_error(ErrorCode::invalid_input,
                    "query parameter sort must be one of id, created_at, updated_at, priority, "
                    "support_level, status, subject, type, requester, assignee, group, category, "
                    "optionally prefixed by -");
}

// GET /api/v1/tickets
Result<Response> list_tickets(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"status", "type", "priority", "support_level",
                                           "assignee_id", "group_id", "requester_id",
                                           "category_id", "q", "sort", "limit", "cursor"});
      !s)
    return s.error();
  store::TicketQuery q;
  if (auto st = ctx.param("status"); st && *st == "open") {
    q.statuses = {TicketStatus::new_, TicketStatus::assigned, TicketStatus::in_progress,
                  TicketStatus::pending};
  } else {
    auto v = parse_enum_list<TicketStatus>(ctx, "status");
    if (!v) return v.error();
    q.statuses = *v;
  }
  auto types = parse_enum_list<TicketType>(ctx, "type");
  if (!types) return types.error();
  q.types = *types;
  auto prios = parse_enum_list<Priority>(ctx, "priority");
  if (!prios) return prios.error();
  q.priorities = *prios;
  if (auto lv = ctx.param("support_level")) {
    std::string_view rest = *lv;
    while (true) {
      auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      if (item.size() != 1 || !valid_support_level(item[0] - '0'))
        return make_error(ErrorCode::invalid_input, "query parameter support_level must be 1, 2 or 3");
      q.support_levels.push_back(item[0] - '0');
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  auto assignee = parse_ref_filter(ctx, "assignee_id");
  if (!assignee) return assignee.error();
  q.assignee = *assignee;
  auto group = parse_ref_filter(ctx, "group_id");
  if (!group) return group.error();
  q.group = *group;
  auto requester = parse_id_param(ctx, "requester_id");
  if (!requester) return requester.error();
  q.requester_id = *requester;
  auto category = parse_id_param(ctx, "category_id");
  if (!category) return category.error();
  q.category_id = *category;
  if (auto text = ctx.param("q")) {
    if (text->size() > 200) return make_error(ErrorCode::invalid_input, "query parameter q is too long");
    q.text = *text;
  }
  const std::string sort_text = ctx.param("sort").value_or("-id");
  auto sort = parse_sort(sort_text, q.descending);
  if (!sort) return sort.error();
  q.sort = *sort;
  auto limit = parse_limit(ctx, 50, 200);
  if (!limit) return limit.error();
  q.limit = *limit;
  if (auto c = ctx.param("cursor")) {
    auto cur = decode_cursor(sort_text, *c);
    if (!cur) return cur.error();
    q.after = *cur;
  }
  const Actor& a = ctx.actor();
  if (!is_staff(a.role)) {
    q.only_requester = a.id;
    if (a.organisation_shares_tickets && a.organisation_id) q.or_organisation = a.organisation_id;
  }
  auto page = ctx.s.store.read([&](Tx& tx) -> Result<store::Page<Ticket>> {
    return tx.list_tickets(q);
  });
  if (!page) return page.error();
  json::array items;
  items.reserve(page->items.size());
  for (const auto& t : page->items) items.push_back(to_json(t, audience(a)));
  json::object out;
  out["items"] = std::move(items);
  out["next_cursor"] = page->next ? json::value(encode_cursor(sort_text, *page->next)) : nullptr;
  return json_response(200, out);
}

// PATCH /api/v1/tickets/{id}
Result<Response> patch_ticket(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  const Actor& a = ctx.actor();
  FieldReader in(*body, {"type", "subject", "description", "impact", "criticality",
                         "category_id", "assignee_id", "group_id"});
  auto type = in.enumeration<TicketType>("type", false);
  auto subject = in.has("subject") ? in.text("subject", kMaxSubject, TextKind::single_line, true)
                                   : std::nullopt;
  auto description = in.has("description")
                         ? in.text("description", kMaxDescription, TextKind::multi_line, true)
                         : std::nullopt;
  auto impact = in.enumeration<Impact>("impact", false);
  auto criticality = in.enumeration<Criticality>("criticality", false);
  auto category = in.nullable_id("category_id");
  auto assignee = in.nullable_id("assignee_id");
  auto group = in.nullable_id("group_id");
  if (auto s = in.finish(); !s) return s.error();
  const Millis now = ctx.s.clock.now();

  auto saved = ctx.s.store.write([&](Tx& tx) -> Result<Ticket> {
    auto found = visible_ticket(tx, a, ctx.id, store::Lock::for_update);
    if (!found) return found.error();
    if (!can_edit_ticket_fields(a)) return make_error(ErrorCode::forbidden, "only staff change tickets");
    Ticket t = *found;
    const Ticket before = t;
    if (category && *category && !tx.find_category(**category))
      return field_error("category_id", "no such category", "not_found");
    if (assignee && *assignee) {
      if (auto s = check_staff_assignee(tx, **assignee); !s) return s.error();
    }
    if (group && *group && !tx.find_group(**group)) return field_error("group_id", "no such group", "not_found");

    if (type) t.type = *type;
    if (subject) t.subject = *subject;
    if (description) t.description = *description;
    if (impact) t.impact = *impact;
    if (criticality) t.criticality = *criticality;
    if (category) t.category_id = *category;
    if (assignee) t.assignee_id = *assignee;
    if (group) t.group_id = *group;
    if (t.impact != before.impact || t.criticality != before.criticality)
      t.priority = load_priority_matrix(tx).at(t.impact, t.criticality);

    auto change = [&](const char* field, std::string o, std::string n, bool internal) {
      if (o != n) record_change(tx, t, a, EventKind::field_change, field, o, n, internal, now);
    };
    change("type", std::string(to_string(before.type)), std::string(to_string(t.type)), false);
    change("subject", before.subject, t.subject, false);
    change("description", before.description, t.description, false);
    change("impact", std::string(to_string(before.impact)), std::string(to_string(t.impact)), false);
    change("criticality", std::string(to_string(before.criticality)),
           std::string(to_string(t.criticality)), false);
    change("priority", std::string(to_string(before.priority)),
           std::string(to_string(t.priority)), false);
    change("category_id", opt_text(before.category_id), opt_text(t.category_id), false);
    if (before.assignee_id != t.assignee_id)
      record_change(tx, t, a, EventKind::assignment, "assignee_id", opt_text(before.assignee_id),
                    opt_text(t.assignee_id), true, now);
    if (before.group_id != t.group_id)
      record_change(tx, t, a, EventKind::assignment, "group_id", opt_text(before.group_id),
                    opt_text(t.group_id), true, now);
    // Taking a ticket assigns it; giving it back returns it to the queue.
    TicketStatus follow = t.status;
    if (t.assignee_id && t.status == TicketStatus::new_) follow = TicketStatus::assigned;
    if (!t.assignee_id && t.status == TicketStatus::assigned) follow = TicketStatus::new_;
    if (follow != t.status) {
      const auto old = t.status;
      if (auto s = apply_transition(t, follow, now); !s) return s.error();
      record_change(tx, t, a, EventKind::status_change, "status", std::string(to_string(old)),
                    std::string(to_string(follow)), false, now);
    }
    t.updated_at = now;
    tx.update_ticket(t);
    return t;
  });
  if (!saved) return saved.error();
  return json_response(200, to_json(*saved, audience(a)));
}

// POST /api/v1/tickets/{id}/transitions
Result<Response> transition_ticket(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"to"});
  auto to = in.enumeration<TicketStatus>("to", true);
  if (auto s = in.finish(); !s) return s.error();
  const Actor& a = ctx.actor();
  const Millis now = ctx.s.clock.now();
  auto saved = ctx.s.store.write([&](Tx& tx) -> Result<Ticket> {
    auto t = visible_ticket(tx, a, ctx.id, store::Lock::for_update);
    if (!t) return t.error();
    if (!can_transition_as(a, *t, *to))
      return make_error(ErrorCode::forbidden,
                        "requesters may confirm or reopen a resolved ticket, or cancel a new one");
    const auto old = t->status;
    if (auto s = apply_transition(*t, *to, now); !s) return s.error();
    tx.update_ticket(*t);
    record_change(tx, *t, a, EventKind::status_change, "status", std::string(to_string(old)),
                  std::string(to_string(*to)), false, now);
    return *t;
  });
  if (!saved) return saved.error();
  return json_response(200, to_json(*saved, audience(a)));
}

// POST /api/v1/tickets/{id}/comments
Result<Response> comment_ticket(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"body", "internal"});
  auto text = in.text("body", kMaxCommentBody, TextKind::multi_line, true);
  auto internal = in.boolean("internal").value_or(false);
  if (auto s = in.finish(); !s) return s.error();
  const Actor& a = ctx.actor();
  const Millis now = ctx.s.clock.now();
  auto saved = ctx.s.store.write([&](Tx& tx) -> Result<Event> {
    auto t = visible_ticket(tx, a, ctx.id, store::Lock::for_update);
    if (!t) return t.error();
    if (internal && !can_write_internal(a))
      return make_error(ErrorCode::forbidden, "only staff write internal notes");
    Event e = event_for(*t, a, internal ? EventKind::note : EventKind::reply, now);
    e.internal = internal;
    e.body = *text;
    e.id = tx.insert_event(e);
    // A requester answering a ticket that waits on them puts it back to work.
    if (!is_staff(a.role) && t->status == TicketStatus::pending) {
      if (auto s = apply_transition(*t, TicketStatus::in_progress, now); !s) return s.error();
      record_change(tx, *t, a, EventKind::status_change, "status", "pending", "in_progress",
                    false, now);
    }
    t->updated_at = now;
    tx.update_ticket(*t);
    return stored_event(tx, e);
  });
  if (!saved) return saved.error();
  return created(to_json(*saved), "/api/v1/tickets/" + std::to_string(ctx.id) + "/events");
}

// POST /api/v1/tickets/{id}/escalations
Result<Response> escalate_ticket(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"to_level", "reason"});
  auto level = in.integer("to_level", true);
  auto reason = in.text("reason", kMaxReason, TextKind::multi_line, true);
  if (level && !valid_support_level(static_cast<int>(*level)))
    in.add("to_level", "must be 1, 2 or 3", "out_of_range");
  if (auto s = in.finish(); !s) return s.error();
  const Actor& a = ctx.actor();
  const Millis now = ctx.s.clock.now();
  const int to = static_cast<int>(*level);
  auto saved = ctx.s.store.write([&](Tx& tx) -> Result<Event> {
    auto t = visible_ticket(tx, a, ctx.id, store::Lock::for_update);
    if (!t) return t.error();
    if (!can_escalate(a)) return make_error(ErrorCode::forbidden, "only staff escalate tickets");
    if (!is_open(t->status))
      return make_error(ErrorCode::conflict, "only open tickets are escalated");
    if (t->support_level == to)
      return make_error(ErrorCode::conflict, "the ticket is already at that support level");
    Event e = event_for(*t, a, EventKind::escalation, now);
    e.internal = true;
    e.body = *reason;
    e.field = "support_level";
    e.old_value = std::to_string(t->support_level);
    e.new_value = std::to_string(to);
    e.id = tx.insert_event(e);
    t->support_level = to;
    // The ticket goes to the queue of a group serving the new level: the one
    // it has if that already serves it, else the first that does, else none.
    std::optional<Id> new_group;
    for (const auto& g : tx.list_groups())
      if (g.support_level == to && (!new_group || g.id == t->group_id)) new_group = g.id;
    if (new_group != t->group_id) {
      record_change(tx, *t, a, EventKind::assignment, "group_id", opt_text(t->group_id),
                    opt_text(new_group), true, now);
      t->group_id = new_group;
    }
    t->updated_at = now;
    tx.update_ticket(*t);
    return stored_event(tx, e);
  });
  if (!saved) return saved.error();
  return created(to_json(*saved), "/api/v1/tickets/" + std::to_string(ctx.id) + "/events");
}

// GET /api/v1/tickets/counts
Result<Response> ticket_counts(Ctx& ctx) {
  if (!is_staff(ctx.actor().role)) return make_error(ErrorCode::forbidden, "queues are for staff");
  auto c = ctx.s.store.read([&](Tx& tx) -> Result<store::QueueCounts> {
    return tx.queue_counts(ctx.actor().id);
  });
  if (!c) return c.error();
  return json_response(200, json::object{{"mine", c->mine},
                                         {"my_groups", c->my_groups},
                                         {"unassigned", c->unassigned},
                                         {"open", c->open},
                                         {"level_1", c->level[0]},
                                         {"level_2", c->level[1]},
                                         {"level_3", c->level[2]}});
}

// GET /api/v1/tickets/{id}/events
Result<Response> list_events(Ctx& ctx) {
  const Actor& a = ctx.actor();
  auto events = ctx.s.store.read([&](Tx& tx) -> Result<std::vector<Event>> {
    auto t = visible_ticket(tx, a, ctx.id, store::Lock::none);
    if (!t) return t.error();
    return tx.list_events(t->id, can_see_internal(a));
  });
  if (!events) return events.error();
  json::array items;
  for (const auto& e : *events) items.push_back(to_json(e));
  return json_response(200, json::object{{"items", std::move(items)}});
}

}  // namespace

void add_ticket_routes(std::vector<Route>& out) {
  const auto A = Access::authenticated;
  out.push_back({Method::post, "/api/v1/tickets", create_ticket, A});
  out.push_back({Method::get, "/api/v1/tickets", list_tickets, A});
  out.push_back({Method::get, "/api/v1/tickets/counts", ticket_counts, A});
  out.push_back({Method::get, "/api/v1/tickets/{id}", get_ticket, A});
  out.push_back({Method::patch, "/api/v1/tickets/{id}", patch_ticket, A});
  out.push_back({Method::post, "/api/v1/tickets/{id}/transitions", transition_ticket, A});
  out.push_back({Method::post, "/api/v1/tickets/{id}/comments", comment_ticket, A});
  out.push_back({Method::post, "/api/v1/tickets/{id}/escalations", escalate_ticket, A});
  out.push_back({Method::get, "/api/v1/tickets/{id}/events", list_events, A});
}

}  // namespace sd::api
