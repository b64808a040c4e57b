#include "desk/escalation.hpp"

#include <algorithm>

#include "desk/mail.hpp"
#include "desk/sla_config.hpp"
#include "desk/tickets.hpp"
#include "domain/lifecycle.hpp"
#include "domain/permissions.hpp"
#include "domain/ticket_rules.hpp"
#include "store/repo/directory.hpp"
#include "store/repo/escalation.hpp"
#include "store/repo/groups.hpp"
#include "store/repo/outbox.hpp"
#include "store/repo/sla_policies.hpp"
#include "store/repo/users.hpp"

namespace sd::desk {
namespace {

using store::Tx;

Event desk_event(const Ticket& t, EventKind kind, Instant now) {
  Event e;
  e.ticket_id = t.id;
  e.kind = kind;
  e.actor_kind = ActorKind::system;
  e.actor_name = "escalation";
  e.internal = true;
  e.created_at = now;
  return e;
}

void notify(Tx& tx, Id user_id, const Ticket& t, std::string kind, std::string detail,
            Instant now) {
  Notification n;
  n.user_id = user_id;
  n.ticket_id = t.id;
  n.kind = std::move(kind);
  n.detail = std::move(detail);
  n.created_at = now;
  tx.notifications().insert(n);
}

// The assignee, or with none the members of the ticket's group.
std::vector<Id> people_on(Tx& tx, const Ticket& t) {
  if (t.assignee_id) return {*t.assignee_id};
  if (t.group_id) return tx.groups().members(*t.group_id);
  return {};
}

// "Ana Pérez, Luis Soto" for an event's body; "nobody" for none.
std::string names_of(Tx& tx, const std::vector<Id>& ids) {
  std::string out;
  for (Id id : ids)
    if (auto u = tx.users().find(id)) out += (out.empty() ? "" : ", ") + u->name;
  return out.empty() ? "nobody" : out;
}

// The notice to one contact of the directory, in their language when they
// are a user of the desk (else the desk's, es-MX).
OutboxMessage directory_notice(const EscalationContact& c, const Ticket& t, int level,
                               const std::string& reason, Instant now, bool english) {
  struct Words {
    const char *subject, *dear, *comma, *ticket, *escalated, *of_directory, *subject_line,
        *priority, *support_level, *reason;
  };
  static constexpr Words kEs{"Escalamiento, nivel ",
                             "Estimado(a) ",
                             ":",
                             "El caso ",
                             " se escaló al nivel ",
                             " del directorio de escalamiento.",
                             "Asunto: ",
                             "Prioridad: ",
                             "Nivel de soporte: ",
                             "Motivo: "};
  static constexpr Words kEn{"Escalation, level ",
                             "Dear ",
                             ",",
                             "Ticket ",
                             " was escalated to level ",
                             " of the escalation directory.",
                             "Subject: ",
                             "Priority: ",
                             "Support level: ",
                             "Reason: "};
  const Words& w = english ? kEn : kEs;
  const std::string n = ticket_number(t.id), lv = std::to_string(level);
  OutboxMessage m;
  m.kind = "escalation_notice";
  m.ticket_id = t.id;
  m.to_address = c.email;
  m.to_name = c.name;
  m.language = english ? "en" : "es-MX";
  m.subject = "[" + n + "] " + w.subject + lv + ": " + t.subject;
  m.body = w.dear + c.name + w.comma + "\n\n" + w.ticket + n + w.escalated + lv + w.of_directory +
           "\n\n" + w.subject_line + t.subject + "\n" + w.priority +
           std::string(to_string(t.priority)) + "\n" + w.support_level +
           std::to_string(t.support_level) + "\n" + w.reason + reason + "\n";
  m.created_at = now;
  return m;
}

// Notifies the contacts of a directory level: mail to each with an
// address, and the bell of a member of staff with that address.
void notify_directory(Tx& tx, Effects& fx, const Ticket& t, int level, const std::string& reason,
                      Instant now) {
  std::string told;
  for (const auto& c : tx.directory().list()) {
    if (c.level != level) continue;
    told += (told.empty() ? "" : ", ") + c.name + (c.role.empty() ? "" : " (" + c.role + ")");
    if (c.email.empty()) continue;
    const auto u = tx.users().find_by_email(c.email);
    OutboxMessage notice = directory_notice(c, t, level, reason, now, u && u->language == "en");
    if (u) notice.user_id = u->id;
    notice.auto_submitted = "auto-generated";
    queue_mail(tx, fx, std::move(notice), now);
    if (u && u->active && is_staff(u->role))
      notify(tx, u->id, t, "escalation", "directory:" + std::to_string(level), now);
  }
  Event e = desk_event(t, EventKind::escalation, now);
  e.field = "escalation_level";
  e.new_value = std::to_string(level);
  e.body = reason + "\nNotified: " + (told.empty() ? "nobody (no contacts at this level)" : told);
  fx.event(std::move(e));
}

Error not_allowed() {
  return make_error(ErrorCode::forbidden, "only admins edit escalation rules");
}

}  // namespace

Result<bool> escalate(Tx& tx, Effects& fx, Ticket& t, const EscalationCause& c, Instant now) {
  const EscalationPlan plan = plan_escalation(sla_config(tx)->rules, c, t);
  if (plan.empty()) return false;
  const std::string reason = escalation_reason(c, plan.rule_names);
  const Actor desk = Actor::system("escalation");
  bool changed = false;
  if (plan.priority) {
    Event e = desk_event(t, EventKind::field_change, now);
    e.field = "priority";
    e.old_value = std::string(to_string(t.priority));
    e.new_value = std::string(to_string(*plan.priority));
    e.body = reason;
    fx.event(std::move(e));
    t.priority = *plan.priority;
    changed = true;
  }
  if (plan.support_level && is_open(t.status)) {
    // Who will hear of it: the assignee if they stay, else the new group's
    // members; named on the event.
    const auto group = group_for_level(tx.groups().list(), t.group_id, *plan.support_level);
    std::vector<Id> told;
    if (group) {
      const auto members = tx.groups().members(*group);
      told = assignee_stays(t.assignee_id, members) && t.assignee_id
                 ? std::vector<Id>{*t.assignee_id}
                 : members;
    } else if (t.assignee_id) {
      told = {*t.assignee_id};
    }
    if (auto s = move_to_level(tx, fx, t, desk, *plan.support_level,
                               reason + "\nNotified: " + names_of(tx, told), now);
        !s)
      return s.error();
    changed = true;
    for (Id u : told)
      notify(tx, u, t, "escalation", "support_level:" + std::to_string(t.support_level), now);
  }
  if (plan.group_id && plan.group_id != t.group_id && tx.groups().find(*plan.group_id)) {
    Event e = desk_event(t, EventKind::assignment, now);
    e.field = "group_id";
    e.old_value = t.group_id ? std::to_string(*t.group_id) : "";
    e.new_value = std::to_string(*plan.group_id);
    e.body = reason;
    fx.event(std::move(e));
    t.group_id = plan.group_id;
    changed = true;
  }
  for (int level : plan.directory_levels) notify_directory(tx, fx, t, level, reason, now);
  return changed;
}

Result<bool> escalate_on_moment(Tx& tx, Effects& fx, Ticket& t, SlaMoment m,
                                std::optional<Id> policy_id, Instant now) {
  const char* kind = moment_is_breach(m) ? "sla_breach" : "sla_warning";
  for (Id u : people_on(tx, t)) notify(tx, u, t, kind, moment_target(m), now);
  return escalate(tx, fx, t, cause_of(m, policy_id), now);
}

Result<std::vector<EscalationRule>> list_escalation_rules(Tx& tx, const Actor& a) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "only staff see escalation rules");
  return tx.escalation_rules().list();
}

Result<EscalationRule> get_escalation_rule(Tx& tx, const Actor& a, Id id) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "only staff see escalation rules");
  auto r = tx.escalation_rules().find(id);
  if (!r) return make_error(ErrorCode::not_found, "no such escalation rule");
  return *r;
}

Result<Outcome<EscalationRule>> save_escalation_rule(Tx& tx, const Actor& a, EscalationRule r,
                                                     Instant now) {
  if (!can_manage_settings(a)) return not_allowed();
  if (r.id) {
    auto found = tx.escalation_rules().find(r.id);
    if (!found) return make_error(ErrorCode::not_found, "no such escalation rule");
    r.created_at = found->created_at;
  } else {
    r.created_at = now;
  }
  r.updated_at = now;
  std::vector<FieldError> errors = check_escalation_rule(r);
  if (r.policy_id && !tx.sla_policies().find(*r.policy_id))
    errors.push_back({"policy_id", "no such service-level policy", "not_found"});
  if (r.group_id && !tx.groups().find(*r.group_id))
    errors.push_back({"group_id", "no such group", "not_found"});
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  if (r.id)
    tx.escalation_rules().update(r);
  else
    r.id = tx.escalation_rules().insert(r);
  config_changed(tx);
  Effects fx(tx);
  return fx.done(*tx.escalation_rules().find(r.id));
}

Result<Outcome<Id>> delete_escalation_rule(Tx& tx, const Actor& a, Id id) {
  if (!can_manage_settings(a)) return not_allowed();
  if (!tx.escalation_rules().find(id))
    return make_error(ErrorCode::not_found, "no such escalation rule");
  tx.escalation_rules().remove(id);
  config_changed(tx);
  Effects fx(tx);
  return fx.done(id);
}

Result<NotificationList> my_notifications(Tx& tx, const Actor& a, bool unread_only,
                                          std::optional<Id> before_id, int limit) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "notifications are for staff");
  NotificationList out;
  out.items = tx.notifications().list(a.id, unread_only, before_id, std::clamp(limit, 1, 100));
  out.unread = tx.notifications().unread_count(a.id);
  return out;
}

Result<std::int64_t> read_notifications(Tx& tx, const Actor& a, std::optional<Id> id, Instant now) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "notifications are for staff");
  return tx.notifications().mark_read(a.id, id, now);
}

Result<store::Page<OutboxMessage>> list_outbox(Tx& tx, const Actor& a, std::optional<Id> before_id,
                                               int limit) {
  if (!can_manage_jobs(a)) return make_error(ErrorCode::forbidden, "only admins see the outbox");
  return tx.outbox().list(before_id, std::clamp(limit, 1, 100));
}

}  // namespace sd::desk
