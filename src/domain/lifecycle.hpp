// The ticket status state machine:
//   new -> assigned -> in_progress -> pending -> resolved -> closed,
//   pending <-> in_progress, resolved -> in_progress (reopen),
//   any open status -> cancelled.
// Pure functions; the api applies them inside a store transaction.
#pragma once

#include "domain/enums.hpp"
#include "domain/error.hpp"
#include "domain/model.hpp"

#include <vector>

namespace sd {

bool can_transition(TicketStatus from, TicketStatus to);
std::vector<TicketStatus> allowed_transitions(TicketStatus from);
bool is_open(TicketStatus s);

// Applies a transition to the ticket, stamping resolved/closed times.
// Returns conflict, naming the allowed moves, when the move is not allowed.
Status apply_transition(Ticket& t, TicketStatus to, Millis now);

}  // namespace sd
