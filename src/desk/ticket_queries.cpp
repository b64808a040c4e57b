#include "desk/ticket_queries.hpp"

#include "domain/permissions.hpp"
#include "domain/scope.hpp"
#include "store/repo/events.hpp"

namespace sd::desk {

Result<Ticket> get_ticket(store::Tx& tx, const Actor& a, Id id) {
  auto t = tx.tickets().find(id, ticket_scope(a));
  if (!t) return make_error(ErrorCode::not_found, "no such ticket");
  return *t;
}

Result<store::Page<Ticket>> list_tickets(store::Tx& tx, const Actor& a, store::TicketQuery q) {
  // Internal fields are not shown to requesters, so they may not sort or
  // filter by them either: the order or the emptiness of a list would tell.
  if (!is_staff(a)) {
    using S = store::TicketSort;
    if (q.sort == S::support_level || q.sort == S::assignee || q.sort == S::group)
      return make_error(ErrorCode::invalid_input,
                        "requesters cannot sort by support level, assignee or group");
    if (!q.support_levels.empty() || q.assignee.mode != store::RefFilter::Mode::any ||
        q.group.mode != store::RefFilter::Mode::any)
      return make_error(ErrorCode::invalid_input,
                        "requesters cannot filter by support level, assignee or group");
  }
  q.scope = ticket_scope(a);
  q.viewer.reset();
  if (is_staff(a) && !a.is_system()) q.viewer = a.id;
  return tx.tickets().list(q);
}

Result<std::vector<Event>> ticket_events(store::Tx& tx, const Actor& a, Id ticket_id) {
  auto t = get_ticket(tx, a, ticket_id);
  if (!t) return t.error();
  return tx.events().list(
      t->id, can_see_internal(a) ? store::Internal::include : store::Internal::exclude);
}

Status mark_ticket_read(store::Tx& tx, const Actor& a, Id ticket_id, Id event_id) {
  if (!is_staff(a) || a.is_system()) return {};
  tx.events().mark_read(a.id, ticket_id, event_id);
  return {};
}

Result<store::QueueCounts> queue_counts(store::Tx& tx, const Actor& a) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "queues are for staff");
  return tx.tickets().queue_counts(a.id, ticket_scope(a));
}

}  // namespace sd::desk
