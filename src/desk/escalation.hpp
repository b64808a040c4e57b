// Escalation at work (issue 8): the rules that run on a ticket's creation
// and on its service-level warnings and breaches, what they do to the
// ticket, who they tell (the escalation directory's contacts, by mail
// through the outbox; staff in the web app), and the administration of the
// rules, the notifications of whoever asks, and the outbox.
#pragma once

#include <optional>
#include <vector>

#include "desk/outcome.hpp"
#include "domain/actor.hpp"
#include "domain/escalation.hpp"
#include "store/repo/page.hpp"
#include "store/tx.hpp"

namespace sd::desk {

// Runs the rules that apply to `c` on `t` (read for update, in memory):
// raises its level or priority, reassigns it, notifies the directory,
// writing an event for each with its reason and who was told. Returns
// whether `t` changed; the caller stores it.
Result<bool> escalate(store::Tx& tx, Effects& fx, Ticket& t, const EscalationCause& c, Instant now);

// A warning or breach written on `t` under `policy_id`: tells the assignee
// (or, unassigned, the members of its group), then runs the rules.
Result<bool> escalate_on_moment(store::Tx& tx, Effects& fx, Ticket& t, SlaMoment m,
                                std::optional<Id> policy_id, Instant now);

// Administration of the rules (admins write, staff read).
Result<std::vector<EscalationRule>> list_escalation_rules(store::Tx& tx, const Actor& a);
Result<EscalationRule> get_escalation_rule(store::Tx& tx, const Actor& a, Id id);
Result<Outcome<EscalationRule>> save_escalation_rule(store::Tx& tx, const Actor& a,
                                                     EscalationRule r, Instant now);
Result<Outcome<Id>> delete_escalation_rule(store::Tx& tx, const Actor& a, Id id);

// The caller's own notifications (staff).
struct NotificationList {
  std::vector<Notification> items;
  std::int64_t unread = 0;
};
Result<NotificationList> my_notifications(store::Tx& tx, const Actor& a, bool unread_only,
                                          std::optional<Id> before_id, int limit);
// Marks one (or, with no id, every one) of the caller's as read.
Result<std::int64_t> read_notifications(store::Tx& tx, const Actor& a, std::optional<Id> id,
                                        Instant now);

// The outbox (admins), until the email channel sends it.
Result<store::Page<OutboxMessage>> list_outbox(store::Tx& tx, const Actor& a,
                                               std::optional<Id> before_id, int limit);

}  // namespace sd::desk
