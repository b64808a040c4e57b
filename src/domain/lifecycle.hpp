// The ticket status state machine:
//   new -> assigned -> in_progress -> pending -> resolved -> closed,
//   pending <-> in_progress, resolved -> in_progress (reopen),
//   any open status -> cancelled.
// and the fixed category of each status (new, open, waiting, resolved,
// closed). Pure functions; desk/ applies them inside a store transaction.
#pragma once

#include <vector>

#include "domain/enums.hpp"
#include "domain/error.hpp"
#include "domain/model.hpp"

namespace sd {

constexpr StatusCategory category_of(TicketStatus s) {
  switch (s) {
    case TicketStatus::new_:
      return StatusCategory::new_;
    case TicketStatus::assigned:
    case TicketStatus::in_progress:
      return StatusCategory::open;
    case TicketStatus::pending:
      return StatusCategory::waiting;
    case TicketStatus::resolved:
      return StatusCategory::resolved;
    case TicketStatus::closed:
    case TicketStatus::cancelled:
      return StatusCategory::closed;
  }
  return StatusCategory::closed;
}

// Whether a ticket in this category still needs the desk: new, open, waiting.
constexpr bool is_open(StatusCategory c) {
  return c == StatusCategory::new_ || c == StatusCategory::open || c == StatusCategory::waiting;
}
constexpr bool is_open(TicketStatus s) { return is_open(category_of(s)); }

// The categories of an open ticket, for queries.
inline const std::vector<StatusCategory>& open_categories() {
  static const std::vector<StatusCategory> v{StatusCategory::new_, StatusCategory::open,
                                             StatusCategory::waiting};
  return v;
}

bool can_transition(TicketStatus from, TicketStatus to);
std::vector<TicketStatus> allowed_transitions(TicketStatus from);

// Applies a transition to the ticket, stamping resolved/closed times.
// Returns conflict, naming the allowed moves, when the move is not allowed.
Status apply_transition(Ticket& t, TicketStatus to, Instant now);

}  // namespace sd
