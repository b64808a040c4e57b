#include "domain/ticket_rules.hpp"

#include "domain/lifecycle.hpp"

namespace sd {

namespace {
std::string opt_text(const std::optional<Id>& v) { return v ? std::to_string(*v) : ""; }
template <class E>
std::string name(E e) {
  return std::string(to_string(e));
}
}  // namespace

std::optional<TicketStatus> status_after_assignment(TicketStatus current,
                                                    const std::optional<Id>& assignee) {
  if (assignee && current == TicketStatus::new_) return TicketStatus::assigned;
  if (!assignee && current == TicketStatus::assigned) return TicketStatus::new_;
  return std::nullopt;
}

std::optional<TicketStatus> status_after_requester_reply(TicketStatus current) {
  const auto c = category_of(current);
  if (c == StatusCategory::waiting || c == StatusCategory::resolved)
    return TicketStatus::in_progress;
  return std::nullopt;
}

bool requester_may_reply(TicketStatus current) {
  return category_of(current) != StatusCategory::closed;
}

bool transition_needs_assignee(TicketStatus to) { return to == TicketStatus::assigned; }

std::vector<TicketStatus> possible_transitions(const Ticket& t) {
  std::vector<TicketStatus> out;
  for (auto to : allowed_transitions(t.status))
    if (!transition_needs_assignee(to) || t.assignee_id) out.push_back(to);
  return out;
}

EventKind level_change_kind(SupportLevel from, SupportLevel to) {
  return to < from ? EventKind::level_return : EventKind::escalation;
}

bool assignee_stays(const std::optional<Id>& assignee, const std::vector<Id>& group_members) {
  if (!assignee) return true;
  for (Id m : group_members)
    if (m == *assignee) return true;
  return false;
}

std::optional<Id> group_for_level(const std::vector<Group>& groups, std::optional<Id> current,
                                  SupportLevel level) {
  std::optional<Id> chosen;
  for (const auto& g : groups) {
    if (g.support_level != level) continue;
    if (current && g.id == *current) return g.id;
    if (!chosen) chosen = g.id;
  }
  return chosen;
}

std::vector<FieldChange> field_changes(const Ticket& before, const Ticket& after) {
  std::vector<FieldChange> out;
  auto change = [&](EventKind kind, const char* field, std::string o, std::string n,
                    bool internal) {
    if (o != n) out.push_back({kind, field, std::move(o), std::move(n), internal});
  };
  const auto F = EventKind::field_change;
  change(F, "type", name(before.type), name(after.type), false);
  change(F, "subject", before.subject, after.subject, false);
  change(F, "description", before.description, after.description, false);
  change(F, "impact", name(before.impact), name(after.impact), false);
  change(F, "criticality", name(before.criticality), name(after.criticality), false);
  change(F, "priority", name(before.priority), name(after.priority), false);
  change(F, "category_id", opt_text(before.category_id), opt_text(after.category_id), false);
  const auto A = EventKind::assignment;
  change(A, "assignee_id", opt_text(before.assignee_id), opt_text(after.assignee_id), true);
  change(A, "group_id", opt_text(before.group_id), opt_text(after.group_id), true);
  return out;
}

std::optional<Instant> auto_close_due(const Ticket& t, const AutoClosePolicy& p) {
  if (!p.enabled || category_of(t.status) != StatusCategory::resolved || !t.resolved_at)
    return std::nullopt;
  return *t.resolved_at + p.after;
}

bool auto_close_applies(const Ticket& t, Instant resolved_at) {
  return category_of(t.status) == StatusCategory::resolved && t.resolved_at &&
         *t.resolved_at == resolved_at;
}

AutoCloseDecision decide_auto_close(const Ticket& t, Instant resolved_at, const AutoClosePolicy& p,
                                    Instant now) {
  using K = AutoCloseDecision::Kind;
  if (!auto_close_applies(t, resolved_at) || !p.enabled) return {K::nothing, {}};
  const Instant due = resolved_at + p.after;
  if (due > now) return {K::later, due};
  return {K::close, {}};
}

}  // namespace sd
