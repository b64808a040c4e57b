#include "domain/permissions.hpp"

namespace sd {

bool is_staff(Role r) { return r != Role::requester; }
bool at_least(Role r, Role minimum) { return static_cast<int>(r) >= static_cast<int>(minimum); }

bool can_see_ticket(const Actor& a, const Ticket& t) {
  if (is_staff(a.role)) return true;
  if (t.requester_id == a.id) return true;
  return a.organisation_shares_tickets && a.organisation_id && t.organisation_id &&
         *a.organisation_id == *t.organisation_id;
}

bool can_edit_ticket_fields(const Actor& a) { return is_staff(a.role); }
bool can_assign(const Actor& a) { return is_staff(a.role); }
bool can_escalate(const Actor& a) { return is_staff(a.role); }
bool can_write_internal(const Actor& a) { return is_staff(a.role); }
bool can_see_internal(const Actor& a) { return is_staff(a.role); }

bool can_transition_as(const Actor& a, const Ticket& t, TicketStatus to) {
  if (is_staff(a.role)) return true;
  if (!can_see_ticket(a, t)) return false;
  if (t.status == TicketStatus::resolved)
    return to == TicketStatus::closed || to == TicketStatus::in_progress;
  return to == TicketStatus::cancelled && t.status == TicketStatus::new_;
}

bool can_list_users(const Actor& a) { return is_staff(a.role); }
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
bool can_manage_groups(const Actor& a) { return a.role == Role::admin; }
bool can_manage_categories(const Actor& a) { return a.role == Role::admin; }
bool can_manage_settings(const Actor& a) { return a.role == Role::admin; }

}  // namespace sd
