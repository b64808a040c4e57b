#include "desk/ticket_queries.hpp"

#include "domain/permissions.hpp"
#include "domain/scope.hpp"
#include "store/repo/events.hpp"
#include "store/repo/ticket_slas.hpp"

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
    if (q.sort == S::support_level || q.sort == S::assignee || q.sort == S::group ||
        q.sort == S::sla_due)
      return make_error(
          ErrorCode::invalid_input,
          "requesters cannot sort by support level, assignee, group or service level");
    if (!q.support_levels.empty() || q.assignee.mode != store::RefFilter::Mode::any ||
        q.group.mode != store::RefFilter::Mode::any || q.sla_due_after || q.sla_due_until)
      return make_error(ErrorCode::invalid_input,
                        "requesters cannot filter by support level, assignee, group or service "
                        "level");
  }
  q.scope = ticket_scope(a);
  q.text = can_see_internal(a) ? store::TicketText::with_notes : store::TicketText::public_only;
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

Result<store::QueueCounts> queue_counts(store::Tx& tx, const Actor& a, Instant now,
                                        Duration window) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "queues are for staff");
  return tx.tickets().queue_counts(a.id, ticket_scope(a), now, window);
}

Result<std::unordered_map<Id, TicketSla>> ticket_clocks(store::Tx& tx, const Actor& a,
                                                        const std::vector<Id>& ticket_ids) {
  if (!is_staff(a)) return std::unordered_map<Id, TicketSla>{};
  return tx.ticket_slas().find_many(ticket_ids);
}

}  // namespace sd::desk
