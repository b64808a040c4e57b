// Reading tickets as one actor may: every read goes through the actor's
// TicketScope, so a requester's lists, counts and lookups hold only what
// they may see.
#pragma once

#include <unordered_map>
#include <vector>

#include "domain/actor.hpp"
#include "domain/error.hpp"
#include "domain/model.hpp"
#include "domain/sla_clock.hpp"
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
// Open tickets per queue (staff only); breaching soon = due within `window`.
Result<store::QueueCounts> queue_counts(store::Tx& tx, const Actor& a, Instant now,
                                        Duration window);
// The service-level clocks of the tickets (staff only: requesters get
// none). A ticket missing from the map has none kept.
Result<std::unordered_map<Id, TicketSla>> ticket_clocks(store::Tx& tx, const Actor& a,
                                                        const std::vector<Id>& ticket_ids);

}  // namespace sd::desk
