// /api/v1/tickets: create, read, list, change, move through the lifecycle,
// comment, escalate, and read the timeline. JSON in, a desk/ use case or
// query in one transaction, JSON out.
#include "desk/tickets.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>

#include "api/json_io.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "desk/ticket_queries.hpp"
#include "domain/email.hpp"
#include "domain/lifecycle.hpp"
#include "domain/permissions.hpp"
#include "domain/priority.hpp"
#include "domain/scope.hpp"
#include "domain/search.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;
using store::Tx;

Audience audience(const Actor& a) { return is_staff(a) ? Audience::staff : Audience::requester; }

std::string events_location(Id ticket) {
  return "/api/v1/tickets/" + std::to_string(ticket) + "/events";
}

// The entity tag of a ticket's version: what If-Match sends back.
std::string etag(const Ticket& t) { return "\"" + std::to_string(t.version) + "\""; }

Response with_etag(Response r, const Ticket& t) {
  r.headers.emplace_back("ETag", etag(t));
  return r;
}

using ClockMap = std::unordered_map<Id, TicketSla>;

// A ticket and its service-level clocks, read in the same transaction.
struct TicketWithClocks {
  Ticket ticket;
  ClockMap clocks;
};

Result<TicketWithClocks> with_clocks(Tx& tx, const Actor& a, Ticket t) {
  auto clocks = desk::ticket_clocks(tx, a, {t.id});
  if (!clocks) return clocks.error();
  return TicketWithClocks{std::move(t), std::move(*clocks)};
}

// Runs a use case that returns a ticket and reads its clocks after it.
template <class F>
Result<TicketWithClocks> write_ticket(Ctx& ctx, F&& use_case) {
  return ctx.s.store.write([&](Tx& tx) -> Result<TicketWithClocks> {
    auto out = use_case(tx);
    if (!out) return out.error();
    return with_clocks(tx, ctx.actor(), std::move(out->value));
  });
}

json::object ticket_json(const Ticket& t, const Actor& a, const ClockMap& clocks, Instant now) {
  json::object o = to_json(t, audience(a));
  if (audience(a) == Audience::staff) {
    auto it = clocks.find(t.id);
    const TicketSla* s = it == clocks.end() ? nullptr : &it->second;
    o["sla"] = sla_json(s, t, now);
    o["coverage"] = {{"status", to_string(s ? s->coverage : Coverage::none)},
                     {"contract_id", s ? opt_json(s->contract_id) : json::value(nullptr)}};
  }
  return o;
}

json::object ticket_json(Ctx& ctx, const TicketWithClocks& t) {
  return ticket_json(t.ticket, ctx.actor(), t.clocks, ctx.s.clock.now());
}

// POST /api/v1/tickets
Result<Response> create_ticket(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"type", "subject", "description", "impact", "criticality", "channel",
                         "requester_id", "category_id", "follow_up_of", "attachment_ids"});
  auto type = in.enumeration<TicketType>("type", true);
  auto subject = in.text("subject", kMaxSubject, TextKind::single_line, true);
  auto description = in.text("description", kMaxDescription, TextKind::multi_line, true);
  auto impact = in.enumeration<Impact>("impact", true);
  auto criticality = in.enumeration<Criticality>("criticality", true);
  auto channel = in.enumeration<Channel>("channel", false);
  auto requester = in.nullable_id("requester_id");
  auto category = in.nullable_id("category_id");
  auto follow_up = in.nullable_id("follow_up_of");
  auto files = in.has("attachment_ids") ? in.id_list("attachment_ids") : std::vector<Id>{};
  if (auto s = in.finish(); !s) return s.error();

  desk::CreateTicket c;
  if (files) c.attachment_ids = *files;
  if (follow_up) c.follow_up_of = *follow_up;
  c.type = *type;
  c.subject = *subject;
  c.description = *description;
  c.impact = *impact;
  c.criticality = *criticality;
  c.arrived_by = ctx.caller->via == AuthVia::token ? Channel::api : Channel::web;
  c.channel = channel;
  if (requester && *requester) c.requester_id = **requester;
  if (category) c.category_id = *category;
  const Actor& a = ctx.actor();
  const Instant now = ctx.s.clock.now();
  auto out = write_ticket(ctx, [&](Tx& tx) { return desk::create_ticket(tx, a, c, now); });
  if (!out) return out.error();
  return created(ticket_json(ctx, *out), "/api/v1/tickets/" + std::to_string(out->ticket.id));
}

// GET /api/v1/tickets/{id}
Result<Response> get_ticket(Ctx& ctx) {
  auto t = ctx.s.store.read([&](Tx& tx) -> Result<TicketWithClocks> {
    auto found = desk::get_ticket(tx, ctx.actor(), ctx.id);
    if (!found) return found.error();
    return with_clocks(tx, ctx.actor(), std::move(*found));
  });
  if (!t) return t.error();
  return with_etag(json_response(200, ticket_json(ctx, *t)), t->ticket);
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
  if (s == "sla_due") return store::TicketSort::sla_due;
  return make_error(ErrorCode::invalid_input,
                    "query parameter sort must be one of id, created_at, updated_at, priority, "
                    "support_level, status, subject, type, requester, assignee, group, category, "
                    "sla_due, optionally prefixed by -");
}

// What "breaching soon" means: due within sla_window minutes (default 120).
Result<Duration> sla_window(Ctx& ctx) {
  auto w = ctx.param("sla_window");
  if (!w) return Duration{std::chrono::minutes(120)};
  std::int64_t minutes = 0;
  auto [ptr, ec] = std::from_chars(w->data(), w->data() + w->size(), minutes);
  if (ec != std::errc() || ptr != w->data() + w->size() || minutes < 1 || minutes > 10080)
    return make_error(ErrorCode::invalid_input,
                      "query parameter sla_window must be minutes from 1 to 10080");
  return Duration{std::chrono::minutes(minutes)};
}

// GET /api/v1/tickets
Result<Response> list_tickets(Ctx& ctx) {
  if (auto s = reject_unknown_params(
          ctx, {"status", "status_category", "type", "priority", "support_level", "assignee_id",
                "group_id", "requester_id", "category_id", "q", "sort", "limit", "cursor", "sla",
                "sla_window"});
      !s)
    return s.error();
  const Actor& a = ctx.actor();
  const Instant now = ctx.s.clock.now();
  store::TicketQuery q(ticket_scope(a));
  if (auto sla = ctx.param("sla")) {
    auto window = sla_window(ctx);
    if (!window) return window.error();
    if (*sla == "breached") {
      q.sla_due_until = now;
    } else if (*sla == "soon") {
      q.sla_due_after = now;
      q.sla_due_until = now + *window;
    } else if (*sla == "at_risk") {
      q.sla_due_until = now + *window;
    } else {
      return make_error(ErrorCode::invalid_input,
                        "query parameter sla must be breached, soon or at_risk");
    }
  }
  if (auto st = ctx.param("status"); st && *st == "open") {
    q.categories = open_categories();
  } else {
    auto v = parse_enum_list<TicketStatus>(ctx, "status");
    if (!v) return v.error();
    q.statuses = *v;
  }
  auto cats = parse_enum_list<StatusCategory>(ctx, "status_category");
  if (!cats) return cats.error();
  if (!cats->empty()) {
    if (!q.categories.empty())
      return make_error(ErrorCode::invalid_input,
                        "status=open and status_category cannot be given together");
    q.categories = *cats;
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
        return make_error(ErrorCode::invalid_input,
                          "query parameter support_level must be 1, 2 or 3");
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
  if (auto text = ctx.param("q"); text && text->find_first_not_of(' ') != std::string::npos) {
    // The search index, read as the search does (domain/search.hpp). The
    // queue filter takes text without a letter or digit as a search that
    // finds nothing ("*" is no error in a filter box).
    auto parsed = parse_search(*text);
    if (!parsed && search_finds_nothing(*text))
      parsed = SearchQuery{{}, std::nullopt, std::nullopt, true};
    if (!parsed) return parsed.error();
    q.nothing = parsed->nothing;
    q.terms = std::move(parsed->terms);
    q.number = parsed->ticket_number;
    if (parsed->email) q.requester_email_key = email_key(*parsed->email);
  }
  const std::string sort_text = ctx.param("sort").value_or("-id");
  auto sort = parse_sort(sort_text, q.descending);
  if (!sort) return sort.error();
  q.sort = *sort;
  auto limit = parse_limit(ctx, 50, 200);
  if (!limit) return limit.error();
  q.limit = *limit;
  if (auto c = ctx.param("cursor")) {
    auto cur = decode_cursor(ctx.s.cursor_key, sort_text, *c);
    if (!cur) return cur.error();
    q.after = *cur;
  }
  ClockMap clocks;
  auto page = ctx.s.store.read([&](Tx& tx) -> Result<store::Page<Ticket>> {
    auto p = desk::list_tickets(tx, a, q);
    if (!p) return p.error();
    std::vector<Id> ids;
    for (const auto& t : p->items) ids.push_back(t.id);
    auto c = desk::ticket_clocks(tx, a, ids);
    if (!c) return c.error();
    clocks = std::move(*c);
    return p;
  });
  if (!page) return page.error();
  json::array items;
  items.reserve(page->items.size());
  for (const auto& t : page->items) items.push_back(ticket_json(t, a, clocks, now));
  json::object out;
  out["items"] = std::move(items);
  out["next_cursor"] =
      page->next ? json::value(encode_cursor(ctx.s.cursor_key, sort_text, *page->next)) : nullptr;
  return json_response(200, out);
}

// PATCH /api/v1/tickets/{id}
Result<Response> patch_ticket(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"type", "subject", "description", "impact", "criticality", "category_id",
                         "assignee_id", "group_id"});
  desk::UpdateTicket c;
  c.ticket_id = ctx.id;
  auto seen = if_match(ctx);
  if (!seen) return seen.error();
  c.if_version = *seen;
  c.type = in.enumeration<TicketType>("type", false);
  if (in.has("subject")) c.subject = in.text("subject", kMaxSubject, TextKind::single_line, true);
  if (in.has("description"))
    c.description = in.text("description", kMaxDescription, TextKind::multi_line, true);
  c.impact = in.enumeration<Impact>("impact", false);
  c.criticality = in.enumeration<Criticality>("criticality", false);
  c.category_id = in.nullable_id("category_id");
  c.assignee_id = in.nullable_id("assignee_id");
  c.group_id = in.nullable_id("group_id");
  if (auto s = in.finish(); !s) return s.error();
  const Actor& a = ctx.actor();
  const Instant now = ctx.s.clock.now();
  auto out = write_ticket(ctx, [&](Tx& tx) { return desk::update_ticket(tx, a, c, now); });
  if (!out) return out.error();
  return with_etag(json_response(200, ticket_json(ctx, *out)), out->ticket);
}

// POST /api/v1/tickets/{id}/transitions
Result<Response> transition_ticket(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"to"});
  auto to = in.enumeration<TicketStatus>("to", true);
  if (auto s = in.finish(); !s) return s.error();
  auto seen = if_match(ctx);
  if (!seen) return seen.error();
  const Actor& a = ctx.actor();
  const Instant now = ctx.s.clock.now();
  auto out = write_ticket(ctx, [&](Tx& tx) {
    return desk::transition_ticket(tx, a, desk::TransitionTicket{ctx.id, *to, *seen}, now);
  });
  if (!out) return out.error();
  return with_etag(json_response(200, ticket_json(ctx, *out)), out->ticket);
}

// POST /api/v1/tickets/{id}/comments
Result<Response> comment_ticket(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"body", "internal", "attachment_ids"});
  auto text = in.text("body", kMaxCommentBody, TextKind::multi_line, true);
  auto internal = in.boolean("internal").value_or(false);
  auto files = in.has("attachment_ids") ? in.id_list("attachment_ids") : std::vector<Id>{};
  if (auto s = in.finish(); !s) return s.error();
  auto seen = if_match(ctx);
  if (!seen) return seen.error();
  const Actor& a = ctx.actor();
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write([&](Tx& tx) {
    desk::CommentOnTicket c{ctx.id, *text, internal, *seen, {}};
    if (files) c.attachment_ids = *files;
    return desk::comment_on_ticket(tx, a, c, now);
  });
  if (!out) return out.error();
  return with_etag(created(to_json(out->value.event), events_location(ctx.id)), out->value.ticket);
}

// POST /api/v1/tickets/{id}/escalations
Result<Response> escalate_ticket(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"to_level", "reason"});
  auto level =
      in.integer_in("to_level", kMinSupportLevel, kMaxSupportLevel, true, "must be 1, 2 or 3");
  auto reason = in.text("reason", kMaxReason, TextKind::multi_line, true);
  if (auto s = in.finish(); !s) return s.error();
  auto seen = if_match(ctx);
  if (!seen) return seen.error();
  const Actor& a = ctx.actor();
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write([&](Tx& tx) {
    return desk::escalate_ticket(tx, a, desk::EscalateTicket{ctx.id, *level, *reason, *seen}, now);
  });
  if (!out) return out.error();
  return with_etag(created(to_json(out->value.event), events_location(ctx.id)), out->value.ticket);
}

// GET /api/v1/tickets/counts
Result<Response> ticket_counts(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"sla_window"}); !s) return s.error();
  auto window = sla_window(ctx);
  if (!window) return window.error();
  const Instant now = ctx.s.clock.now();
  auto c =
      ctx.s.store.read([&](Tx& tx) { return desk::queue_counts(tx, ctx.actor(), now, *window); });
  if (!c) return c.error();
  return json_response(200, json::object{{"mine", c->mine},
                                         {"my_groups", c->my_groups},
                                         {"unassigned", c->unassigned},
                                         {"open", c->open},
                                         {"level_1", c->level[0]},
                                         {"level_2", c->level[1]},
                                         {"level_3", c->level[2]},
                                         {"sla_breached", c->sla_breached},
                                         {"sla_soon", c->sla_soon},
                                         {"sla_at_risk", c->sla_breached + c->sla_soon}});
}

// GET /api/v1/tickets/{id}/events
Result<Response> list_events(Ctx& ctx) {
  auto events =
      ctx.s.store.read([&](Tx& tx) { return desk::ticket_events(tx, ctx.actor(), ctx.id); });
  if (!events) return events.error();
  // Staff who read the timeline have seen what it holds: no unread mark.
  if (!events->empty() && is_staff(ctx.actor())) {
    const Id last = events->back().id;
    ctx.s.store.write([&](Tx& tx) -> Result<bool> {
      if (auto s = desk::mark_ticket_read(tx, ctx.actor(), ctx.id, last); !s) return s.error();
      return true;
    });
  }
  json::array items;
  for (const auto& e : *events) items.push_back(to_json(e));
  return json_response(200, json::object{{"items", std::move(items)}});
}

// GET /api/v1/statuses: every status, its category and whether it is open,
// so that clients never keep their own list.
Result<Response> list_statuses(Ctx&) {
  json::array items;
  for (std::size_t i = 0; i < enum_count<TicketStatus>(); ++i) {
    const auto s = static_cast<TicketStatus>(i);
    items.push_back(
        {{"name", to_string(s)}, {"category", to_string(category_of(s))}, {"open", is_open(s)}});
  }
  return json_response(200, json::object{{"items", std::move(items)}});
}

}  // namespace

void add_ticket_routes(std::vector<Route>& out) {
  const auto U = Policy::signed_in;
  out.push_back({Method::post, "/api/v1/tickets", create_ticket, U});
  out.push_back({Method::get, "/api/v1/tickets", list_tickets, U});
  out.push_back({Method::get, "/api/v1/tickets/counts", ticket_counts, Policy::staff});
  out.push_back({Method::get, "/api/v1/tickets/{id}", get_ticket, U});
  // Signed in, not staff: a requester reaching for a ticket that is not
  // theirs gets 404 (as for a missing one) before the 403 of desk/.
  out.push_back({Method::patch, "/api/v1/tickets/{id}", patch_ticket, U});
  out.push_back({Method::post, "/api/v1/tickets/{id}/transitions", transition_ticket, U});
  out.push_back({Method::post, "/api/v1/tickets/{id}/comments", comment_ticket, U});
  out.push_back({Method::post, "/api/v1/tickets/{id}/escalations", escalate_ticket, U});
  out.push_back({Method::get, "/api/v1/tickets/{id}/events", list_events, U});
  out.push_back({Method::get, "/api/v1/statuses", list_statuses, U});
}

}  // namespace sd::api
