// Reading tickets as one actor may: every read goes through the actor's
// TicketScope, so a requester's lists, counts and lookups hold only what
// they may see.
#pragma once

#include <vector>

#include "domain/actor.hpp"
#include "domain/error.hpp"
#include "domain/model.hpp"
#include "store/repo/tickets.hpp"

namespace sd::desk {

Result<Ticket> get_ticket(store::Tx& tx, const Actor& a, Id id);
// The query's scope is replaced by the actor's.
Result<store::Page<Ticket>> list_tickets(store::Tx& tx, const Actor& a, store::TicketQuery q);
// The timeline; internal entries only for staff.
Result<std::vector<Event>> ticket_events(store::Tx& tx, const Actor& a, Id ticket_id);
// Staff read the timeline up to `event_id`: the ticket is no longer unread
// for them.
Status mark_ticket_read(store::Tx& tx, const Actor& a, Id ticket_id, Id event_id);
// Open tickets per queue (staff only).
Result<store::QueueCounts> queue_counts(store::Tx& tx, const Actor& a);

}  // namespace sd::desk
