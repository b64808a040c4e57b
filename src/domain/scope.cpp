#include "domain/scope.hpp"

#include "domain/permissions.hpp"

namespace sd {

bool TicketScope::contains(const Ticket& t) const {
  switch (kind) {
    case Kind::everything:
      return true;
    case Kind::own:
      return t.requester_id == requester_id;
    case Kind::own_and_organisation:
      return t.requester_id == requester_id ||
             (organisation_id && t.organisation_id && *t.organisation_id == *organisation_id);
  }
  return false;
}

TicketScope ticket_scope(const Actor& a) {
  if (a.is_system() || is_staff(a.role)) return TicketScope::everything();
  if (a.organisation_shares_tickets && a.organisation_id)
    return TicketScope{TicketScope::Kind::own_and_organisation, a.id, a.organisation_id};
  return TicketScope{TicketScope::Kind::own, a.id, std::nullopt};
}

}  // namespace sd
