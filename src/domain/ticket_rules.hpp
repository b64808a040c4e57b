// The decisions a change to a ticket implies, as pure functions over values:
// which status follows an assignment or a requester's answer, which group
// takes an escalated ticket, which timeline entries a field update writes,
// and when a resolved ticket closes by itself. desk/ applies them; nothing
// else decides them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/enums.hpp"
#include "domain/model.hpp"
#include "domain/time.hpp"

namespace sd {

// Taking a new ticket assigns it; giving an assigned one back returns it to
// the queue. nullopt when the status stays.
std::optional<TicketStatus> status_after_assignment(TicketStatus current,
                                                    const std::optional<Id>& assignee);

// A requester answering a ticket that waits on them, or one resolved that
// they have not confirmed, puts it back to work.
std::optional<TicketStatus> status_after_requester_reply(TicketStatus current);

// Whether a requester may still answer: not once the ticket is closed (they
// open a follow-up instead).
bool requester_may_reply(TicketStatus current);

// Moving to "assigned" needs someone assigned.
bool transition_needs_assignee(TicketStatus to);

// The moves this ticket may make now: the lifecycle's, less "assigned"
// while nobody is assigned.
std::vector<TicketStatus> possible_transitions(const Ticket& t);

// A move between support levels: up is an escalation, down a return.
EventKind level_change_kind(SupportLevel from, SupportLevel to);

// When a ticket moves to a group: its assignee stays only if a member.
bool assignee_stays(const std::optional<Id>& assignee, const std::vector<Id>& group_members);

// The group that takes a ticket escalated to `level`: its current group if
// that serves the level, else the first that does (groups in the order
// given), else none.
std::optional<Id> group_for_level(const std::vector<Group>& groups, std::optional<Id> current,
                                  SupportLevel level);

// One timeline entry of a field update.
struct FieldChange {
  EventKind kind = EventKind::field_change;
  std::string field, old_value, new_value;
  bool internal = false;  // assignments are internal
};
// The entries for every field that differs between before and after, in a
// fixed order (priority follows impact and criticality).
std::vector<FieldChange> field_changes(const Ticket& before, const Ticket& after);

// Resolved tickets nobody confirms or reopens close by themselves.
struct AutoClosePolicy {
  bool enabled = true;
  Duration after = std::chrono::hours(72);
};
constexpr int kMaxAutoCloseHours = 24 * 365;
// When a ticket just resolved should close by itself; nullopt when never.
std::optional<Instant> auto_close_due(const Ticket& t, const AutoClosePolicy& p);
// Whether an auto-close scheduled for the resolution at `resolved_at` still
// applies: the ticket is still resolved, and by that same resolution.
bool auto_close_applies(const Ticket& t, Instant resolved_at);

// What a due auto-close does under the policy in force when it runs (an
// admin may have changed it since it was scheduled): nothing (the
// resolution no longer stands, or auto-close is off), close now, or look
// again later (the delay grew).
struct AutoCloseDecision {
  enum class Kind { nothing, close, later } kind = Kind::nothing;
  Instant later_at{};  // for later
};
AutoCloseDecision decide_auto_close(const Ticket& t, Instant resolved_at, const AutoClosePolicy& p,
                                    Instant now);

}  // namespace sd
