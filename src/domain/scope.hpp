// Ticket visibility as one value. Every ticket query of the store takes a
// scope (lists, counts, lookups, and later search and exports), and
// can_see_ticket() is the same rule applied to one record, so the two can
// never disagree.
#pragma once

#include <optional>

#include "domain/actor.hpp"
#include "domain/model.hpp"

namespace sd {

struct TicketScope {
  enum class Kind {
    everything,            // staff and the system
    own,                   // a requester's own tickets
    own_and_organisation,  // also the tickets of their organisation (when it shares)
  };
  Kind kind = Kind::own;
  Id requester_id = 0;
  std::optional<Id> organisation_id;

  static TicketScope everything() { return TicketScope{Kind::everything, 0, std::nullopt}; }
  bool contains(const Ticket& t) const;
};

TicketScope ticket_scope(const Actor& a);

}  // namespace sd
