// Who may do what. Pure: the caller passes who is acting and the record.
// A requester reaching for a ticket that is not theirs gets not_found, the
// same answer as a missing ticket, so ids reveal nothing.
#pragma once

#include "domain/actor.hpp"
#include "domain/enums.hpp"
#include "domain/model.hpp"

namespace sd {

bool is_staff(Role r);  // agent, supervisor or admin
bool at_least(Role r, Role minimum);
bool is_staff(const Actor& a);  // staff, or the system

// The ticket scope of the actor contains the ticket (domain/scope.hpp).
bool can_see_ticket(const Actor& a, const Ticket& t);
bool can_edit_ticket_fields(const Actor& a);
bool can_assign(const Actor& a);
bool can_escalate(const Actor& a);
bool can_write_internal(const Actor& a);
bool can_see_internal(const Actor& a);
// Requesters confirm (resolved -> closed), reopen (resolved -> an open
// status) and cancel what nobody has picked up yet (category new); staff may
// make any legal move.
bool can_transition_as(const Actor& a, const Ticket& t, TicketStatus to);

// Directory records.
bool can_list_users(const Actor& a);
bool can_create_user_with_role(const Actor& a, Role r);
bool can_update_user(const Actor& a, const User& target);
bool can_change_role(const Actor& a);
bool can_manage_organisations(const Actor& a);
bool can_manage_groups(const Actor& a);
bool can_manage_categories(const Actor& a);
bool can_manage_settings(const Actor& a);
bool can_manage_jobs(const Actor& a);

}  // namespace sd
