#include "desk/tickets.hpp"

#include <boost/json.hpp>

#include "desk/attachments.hpp"
#include "desk/clocks.hpp"
#include "desk/escalation.hpp"
#include "desk/mail.hpp"
#include "desk/settings.hpp"
#include "domain/lifecycle.hpp"
#include "domain/permissions.hpp"
#include "domain/priority.hpp"
#include "domain/scope.hpp"
#include "domain/text.hpp"
#include "domain/ticket_rules.hpp"
#include "store/repo/categories.hpp"
#include "store/repo/contracts.hpp"
#include "store/repo/groups.hpp"
#include "store/repo/tickets.hpp"
#include "store/repo/users.hpp"

namespace sd::desk {
namespace {

using store::Tx;

Error no_such_ticket() { return make_error(ErrorCode::not_found, "no such ticket"); }

// The ticket if the actor may see it; not_found otherwise, so that a
// requester cannot tell someone else's ticket from a missing one.
Result<Ticket> visible_ticket(Tx& tx, const Actor& a, Id id, store::Lock lock) {
  auto t = tx.tickets().find(id, ticket_scope(a), lock);
  if (!t) return no_such_ticket();
  return *t;
}

// The ticket for a change that names the version its author saw.
Result<Ticket> ticket_to_change(Tx& tx, const Actor& a, Id id, const IfVersion& seen) {
  auto t = visible_ticket(tx, a, id, store::Lock::for_update);
  if (!t) return t.error();
  if (seen && *seen != t->version)
    return make_error(ErrorCode::precondition_failed,
                      "the ticket changed since you read it (version " + std::to_string(*seen) +
                          ", now " + std::to_string(t->version) + ")");
  return t;
}

void record_status(Effects& fx, const Ticket& t, const Actor& a, TicketStatus from, Instant now) {
  Event e = event_for(t, a, EventKind::status_change, now);
  e.field = "status";
  e.old_value = std::string(to_string(from));
  e.new_value = std::string(to_string(t.status));
  fx.event(std::move(e));
}

std::optional<Id> enqueue_auto_close(Tx& tx, Effects& fx, const Ticket& t, Instant now,
                                     std::optional<Instant> due = std::nullopt) {
  if (!due) due = auto_close_due(t, auto_close_policy(tx));
  if (!due) return std::nullopt;
  JobSpec job;
  job.kind = kAutoCloseJob;
  job.payload = boost::json::serialize(
      boost::json::object{{"ticket_id", t.id}, {"resolved_at", to_unix_ms(*t.resolved_at)}});
  job.due_at = *due;
  // One job per ticket, resolution and due time.
  job.dedupe_key = std::string(kAutoCloseJob) + ":" + std::to_string(t.id) + ":" +
                   std::to_string(to_unix_ms(*t.resolved_at)) + ":" +
                   std::to_string(to_unix_ms(*due));
  return fx.job(job, now);
}

// Moves the ticket and records the move; what follows a resolution (its
// auto-close) is enqueued here, whichever use case resolved it.
Status move(Tx& tx, Effects& fx, Ticket& t, const Actor& a, TicketStatus to, Instant now) {
  const TicketStatus from = t.status;
  if (auto s = apply_transition(t, to, now); !s) return s;
  record_status(fx, t, a, from, now);
  enqueue_auto_close(tx, fx, t, now);
  return {};
}

Status check_staff_assignee(Tx& tx, Id user_id) {
  auto u = tx.users().find(user_id);
  if (!u) return field_error("assignee_id", "no such user", "not_found");
  if (!is_staff(u->role) || !u->active)
    return field_error("assignee_id", "must be an active agent, supervisor or admin", "not_staff");
  return {};
}

// The event as returned to its author: the actor's name is the one it was
// written with, or the store's when the actor came without one.
Result<Event> stored_event(Tx& tx, const Actor& a, const Effects& fx, Id id) {
  if (!a.name.empty())
    for (const auto& e : fx.events())
      if (e.id == id) return e;
  auto stored = tx.events().find(id);
  if (!stored) return internal_error("an event written in this transaction is missing");
  return *stored;
}

void check_subject(std::vector<FieldError>& errors, const std::string& s) {
  check_text(errors, "subject", s, kMaxSubject, TextKind::single_line, true);
}
void check_description(std::vector<FieldError>& errors, const std::string& s) {
  check_text(errors, "description", s, kMaxDescription, TextKind::multi_line, true);
}

}  // namespace

Status move_to_level(Tx& tx, Effects& fx, Ticket& t, const Actor& a, SupportLevel to,
                     const std::string& reason, Instant now, Id* event_id) {
  Event e = event_for(t, a, level_change_kind(t.support_level, to), now);
  e.internal = true;
  e.body = reason;
  e.field = "support_level";
  e.old_value = std::to_string(t.support_level);
  e.new_value = std::to_string(to);
  const Id id = fx.event(std::move(e));
  if (event_id) *event_id = id;
  t.support_level = to;
  // The ticket goes to the queue of a group serving the new level.
  const auto group = group_for_level(tx.groups().list(), t.group_id, to);
  if (group != t.group_id) {
    Event g = event_for(t, a, EventKind::assignment, now);
    g.internal = true;
    g.field = "group_id";
    g.old_value = t.group_id ? std::to_string(*t.group_id) : "";
    g.new_value = group ? std::to_string(*group) : "";
    fx.event(std::move(g));
    t.group_id = group;
    // An agent who does not serve the new level hands the ticket over.
    if (group && !assignee_stays(t.assignee_id, tx.groups().members(*group))) {
      Event u = event_for(t, a, EventKind::assignment, now);
      u.internal = true;
      u.field = "assignee_id";
      u.old_value = std::to_string(*t.assignee_id);
      fx.event(std::move(u));
      t.assignee_id.reset();
      if (auto follow = status_after_assignment(t.status, t.assignee_id))
        if (auto s = move(tx, fx, t, a, *follow, now); !s) return s;
    }
  }
  return {};
}

Result<Outcome<Ticket>> create_ticket(Tx& tx, const Actor& a, const CreateTicket& c, Instant now) {
  std::vector<FieldError> errors;
  check_subject(errors, c.subject);
  check_description(errors, c.description);
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  const bool staff = is_staff(a);
  if (!staff && c.requester_id && *c.requester_id != a.id)
    return make_error(ErrorCode::forbidden, "requesters create tickets for themselves only");
  if (a.is_system() && !c.requester_id)
    return field_error("requester_id", "is required when the desk opens a ticket", "required");

  Ticket t;
  t.type = c.type;
  t.subject = c.subject;
  t.description = c.description;
  t.impact = c.impact;
  t.criticality = c.criticality;
  // A requester's ticket comes by the channel they used.
  t.channel = staff && c.channel ? *c.channel : c.arrived_by;
  t.requester_id = c.requester_id.value_or(a.id);
  t.category_id = c.category_id;
  t.support_level = default_support_level(t.impact, t.criticality);
  t.created_at = t.updated_at = now;

  auto requester = tx.users().find(t.requester_id);
  if (!requester) return field_error("requester_id", "no such user", "not_found");
  t.organisation_id = requester->organisation_id;
  if (t.category_id && !tx.categories().find(*t.category_id))
    return field_error("category_id", "no such category", "not_found");
  std::optional<Ticket> original;
  if (c.follow_up_of) {
    original = tx.tickets().find(*c.follow_up_of, ticket_scope(a), store::Lock::for_update);
    if (!original) return field_error("follow_up_of", "no such ticket", "not_found");
    t.follow_up_of = original->id;
  }
  t.priority = priority_matrix(tx).at(t.impact, t.criticality);
  // The coverage of the requester's organisation's contracts, today.
  CoverageDecision coverage;
  if (t.organisation_id) {
    store::ContractQuery cq;
    cq.organisation_id = t.organisation_id;
    coverage = decide_coverage(tx.contracts().list(cq), now);
  }
  if (coverage.coverage == Coverage::outside &&
      coverage.contract->outside == OutsideCoverage::refuse && !staff)
    return conflict("outside_coverage", "your organisation's support contract is not in force (" +
                                            coverage.contract->starts_on + " to " +
                                            coverage.contract->ends_on +
                                            "); please contact the service desk by phone");
  // Routed to a group serving its level, unless routing is off.
  if (routing_policy(tx).group_by_level)
    t.group_id = group_for_level(tx.groups().list(), std::nullopt, t.support_level);
  SlaContext ctx(tx);
  ClockChange opened;
  opened.coverage = coverage;
  Clocks clocks = keep_clocks(tx, ctx, t, opened, now);
  t.id = tx.tickets().insert(t);

  Effects fx(tx);
  save_clocks(tx, fx, t, clocks, now);
  Event e = event_for(t, a, EventKind::created, now);
  e.field = "status";
  e.new_value = std::string(to_string(t.status));
  const Id created_id = fx.event(std::move(e));
  if (auto s = attach_uploads(tx, a, c.attachment_ids, t.id, created_id, false); !s)
    return s.error();
  if (original) {
    // The earlier ticket says where its story goes on.
    Event f = event_for(*original, a, EventKind::field_change, now);
    f.field = "follow_up";
    f.new_value = std::to_string(t.id);
    fx.event(std::move(f));
  }
  if (t.group_id) {
    Event g = event_for(t, Actor::system("routing"), EventKind::assignment, now);
    g.internal = true;
    g.field = "group_id";
    g.new_value = std::to_string(*t.group_id);
    fx.event(std::move(g));
  }
  if (coverage.coverage == Coverage::outside) {
    // Accepted outside coverage: the ticket says so, for staff.
    Event c = event_for(t, Actor::system("coverage"), EventKind::field_change, now);
    c.internal = true;
    c.field = "coverage";
    c.new_value = "outside";
    c.body = "Outside the coverage of contract \"" + coverage.contract->name + "\" (" +
             coverage.contract->starts_on + " to " + coverage.contract->ends_on + ")";
    fx.event(std::move(c));
  }
  // The rules on creation (loss of functionality: the directory's level 4 at once).
  auto escalated = escalate(tx, fx, t, EscalationCause{EscalationTrigger::created, {}, {}}, now);
  if (!escalated) return escalated.error();
  if (*escalated) store_with_clocks(tx, fx, t, now);
  return fx.done(t);
}

Result<Outcome<Ticket>> update_ticket(Tx& tx, const Actor& a, const UpdateTicket& c, Instant now) {
  auto found = ticket_to_change(tx, a, c.ticket_id, c.if_version);
  if (!found) return found.error();
  if (!can_edit_ticket_fields(a))
    return make_error(ErrorCode::forbidden, "only staff change tickets");
  std::vector<FieldError> errors;
  if (c.subject) check_subject(errors, *c.subject);
  if (c.description) check_description(errors, *c.description);
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  if (c.category_id && *c.category_id && !tx.categories().find(**c.category_id))
    return field_error("category_id", "no such category", "not_found");
  if (c.assignee_id && *c.assignee_id)
    if (auto s = check_staff_assignee(tx, **c.assignee_id); !s) return s.error();
  if (c.group_id && *c.group_id && !tx.groups().find(**c.group_id))
    return field_error("group_id", "no such group", "not_found");

  Ticket t = *found;
  const Ticket before = t;
  if (c.type) t.type = *c.type;
  if (c.subject) t.subject = *c.subject;
  if (c.description) t.description = *c.description;
  if (c.impact) t.impact = *c.impact;
  if (c.criticality) t.criticality = *c.criticality;
  if (c.category_id) t.category_id = *c.category_id;
  if (c.assignee_id) t.assignee_id = *c.assignee_id;
  if (c.group_id) t.group_id = *c.group_id;
  if (t.impact != before.impact || t.criticality != before.criticality)
    t.priority = priority_matrix(tx).at(t.impact, t.criticality);

  Effects fx(tx);
  for (auto& ch : field_changes(before, t)) {
    Event e = event_for(t, a, ch.kind, now);
    e.field = std::move(ch.field);
    e.old_value = std::move(ch.old_value);
    e.new_value = std::move(ch.new_value);
    e.internal = ch.internal;
    fx.event(std::move(e));
  }
  if (auto follow = status_after_assignment(t.status, t.assignee_id))
    if (auto s = move(tx, fx, t, a, *follow, now); !s) return s.error();
  t.updated_at = now;
  store_with_clocks(tx, fx, t, now);
  mail_for_events(tx, fx, t, a, fx.events(), now);
  return fx.done(t);
}

Result<Outcome<Ticket>> transition_ticket(Tx& tx, const Actor& a, const TransitionTicket& c,
                                          Instant now) {
  auto t = ticket_to_change(tx, a, c.ticket_id, c.if_version);
  if (!t) return t.error();
  if (!can_transition_as(a, *t, c.to))
    return make_error(ErrorCode::forbidden,
                      "requesters may confirm or reopen a resolved ticket, or cancel a new one");
  if (transition_needs_assignee(c.to) && !t->assignee_id)
    return conflict("assign_first", "assign the ticket to someone first");
  Effects fx(tx);
  if (auto s = move(tx, fx, *t, a, c.to, now); !s) return s.error();
  store_with_clocks(tx, fx, *t, now);
  mail_for_events(tx, fx, *t, a, fx.events(), now);
  return fx.done(*t);
}

Result<Outcome<TicketEvent>> comment_on_ticket(Tx& tx, const Actor& a, const CommentOnTicket& c,
                                               Instant now) {
  std::vector<FieldError> errors;
  check_text(errors, "body", c.body, kMaxCommentBody, TextKind::multi_line, true);
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  // An answer to the desk's own signed mail may come from someone the mail
  // reached who does not see the ticket (a colleague in copy).
  auto t = c.answers_desk_mail && !c.internal ? [&]() -> Result<Ticket> {
    auto found = tx.tickets().find(c.ticket_id, TicketScope::everything(), store::Lock::for_update);
    if (!found) return no_such_ticket();
    return *found;
  }()
      : ticket_to_change(tx, a, c.ticket_id, c.if_version);
  if (!t) return t.error();
  if (c.internal && !can_write_internal(a))
    return make_error(ErrorCode::forbidden, "only staff write internal notes");
  if (!is_staff(a) && !requester_may_reply(t->status))
    return conflict("ticket_closed",
                    "the request is closed; open a new one as its follow-up instead");
  Effects fx(tx);
  Event e = event_for(*t, a, c.internal ? EventKind::note : EventKind::reply, now);
  e.internal = c.internal;
  e.body = c.body;
  const Id id = fx.event(std::move(e));
  if (auto s = attach_uploads(tx, a, c.attachment_ids, t->id, id, c.internal); !s) return s.error();
  if (!is_staff(a))
    if (auto follow = status_after_requester_reply(t->status))
      if (auto s = move(tx, fx, *t, a, *follow, now); !s) return s.error();
  t->updated_at = now;
  // The first public reply by a person of staff answers the first-response
  // target (an automatic message does not).
  const bool first_response = is_staff(a) && !a.is_system() && !c.internal;
  ClockChange change;
  change.first_response = first_response;
  store_with_clocks(tx, fx, *t, now, change);
  mail_for_events(tx, fx, *t, a, fx.events(), now);
  auto stored = stored_event(tx, a, fx, id);
  if (!stored) return stored.error();
  return fx.done(TicketEvent{*stored, *t});
}

Result<Outcome<TicketEvent>> escalate_ticket(Tx& tx, const Actor& a, const EscalateTicket& c,
                                             Instant now) {
  std::vector<FieldError> errors;
  check_text(errors, "reason", c.reason, kMaxReason, TextKind::multi_line, true);
  if (!valid_support_level(c.to_level))
    errors.push_back({"to_level", "must be 1, 2 or 3", "out_of_range"});
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  auto t = ticket_to_change(tx, a, c.ticket_id, c.if_version);
  if (!t) return t.error();
  if (!can_escalate(a)) return make_error(ErrorCode::forbidden, "only staff escalate tickets");
  if (!is_open(t->status)) return conflict("not_open", "only open tickets are escalated");
  if (t->support_level == c.to_level)
    return conflict("same_level", "the ticket is already at that support level");
  Effects fx(tx);
  Id id = 0;
  if (auto s = move_to_level(tx, fx, *t, a, c.to_level, c.reason, now, &id); !s) return s.error();
  t->updated_at = now;
  store_with_clocks(tx, fx, *t, now);
  auto stored = stored_event(tx, a, fx, id);
  if (!stored) return stored.error();
  return fx.done(TicketEvent{*stored, *t});
}

Result<Outcome<std::optional<Ticket>>> auto_close_ticket(Tx& tx, const Actor& a,
                                                         const AutoCloseTicket& c, Instant now) {
  if (!a.is_system()) return make_error(ErrorCode::forbidden, "only the desk closes by itself");
  Effects fx(tx);
  auto t = tx.tickets().find(c.ticket_id, TicketScope::everything(), store::Lock::for_update);
  if (!t) return fx.done(std::optional<Ticket>{});
  const auto d = decide_auto_close(*t, c.resolved_at, auto_close_policy(tx), now);
  if (d.kind == AutoCloseDecision::Kind::later) enqueue_auto_close(tx, fx, *t, now, d.later_at);
  if (d.kind != AutoCloseDecision::Kind::close) return fx.done(std::optional<Ticket>{});
  if (auto s = move(tx, fx, *t, a, TicketStatus::closed, now); !s) return s.error();
  store_with_clocks(tx, fx, *t, now);
  return fx.done(std::optional<Ticket>{*t});
}

Result<Outcome<std::optional<Id>>> schedule_auto_close(Tx& tx, const Actor& a, Id ticket_id,
                                                       Instant now) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "only staff schedule closings");
  auto t = visible_ticket(tx, a, ticket_id, store::Lock::for_update);
  if (!t) return t.error();
  Effects fx(tx);
  auto id = enqueue_auto_close(tx, fx, *t, now);
  return fx.done(id);
}

Event event_for(const Ticket& t, const Actor& a, EventKind kind, Instant now) {
  Event e;
  e.ticket_id = t.id;
  e.kind = kind;
  e.actor_kind = a.kind;
  if (!a.is_system()) e.actor_id = a.id;
  e.actor_name = a.name;
  e.created_at = now;
  return e;
}

}  // namespace sd::desk
