#include "domain/permissions.hpp"

#include "domain/lifecycle.hpp"
#include "domain/scope.hpp"

namespace sd {

bool is_staff(Role r) { return r != Role::requester; }
bool at_least(Role r, Role minimum) { return static_cast<int>(r) >= static_cast<int>(minimum); }
bool is_staff(const Actor& a) { return a.is_system() || is_staff(a.role); }

bool can_see_ticket(const Actor& a, const Ticket& t) { return ticket_scope(a).contains(t); }

bool can_edit_ticket_fields(const Actor& a) { return is_staff(a); }
bool can_assign(const Actor& a) { return is_staff(a); }
bool can_escalate(const Actor& a) { return is_staff(a); }
bool can_write_internal(const Actor& a) { return is_staff(a); }
bool can_see_internal(const Actor& a) { return is_staff(a); }

bool can_transition_as(const Actor& a, const Ticket& t, TicketStatus to) {
  if (is_staff(a)) return true;
  if (!can_see_ticket(a, t)) return false;
  const StatusCategory from = category_of(t.status);
  // Confirming closes (not cancels) a resolution; reopening puts it back to work.
  if (from == StatusCategory::resolved) return to == TicketStatus::closed || is_open(to);
  return from == StatusCategory::new_ && to == TicketStatus::cancelled;
}

bool can_list_users(const Actor& a) { return is_staff(a); }
bool can_create_user_with_role(const Actor& a, Role r) {
  if (a.role == Role::admin) return true;
  // Agents create callers while logging a phone call; supervisors staff
  // their team with agents.
  if (a.role == Role::supervisor) return r == Role::requester || r == Role::agent;
  if (a.role == Role::agent) return r == Role::requester;
  return false;
}
bool can_update_user(const Actor& a, const User& target) {
  if (a.role == Role::admin || a.id == target.id) return true;
  return can_create_user_with_role(a, target.role);
}
bool can_change_role(const Actor& a) { return a.role == Role::admin; }
bool can_manage_organisations(const Actor& a) { return at_least(a.role, Role::supervisor); }
bool can_manage_groups(const Actor& a) {
  return a.role == Role::admin || a.role == Role::supervisor;
}
bool can_manage_categories(const Actor& a) { return a.role == Role::admin; }
bool can_manage_settings(const Actor& a) { return a.role == Role::admin; }
bool can_manage_jobs(const Actor& a) { return a.role == Role::admin; }

}  // namespace sd
