#include "store/repo/events.hpp"

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {

using namespace sql;

// Events with the display name of their actor: the user's, or for the desk
// itself the name of the automation.
constexpr const char* kEventSelect =
    "SELECT e.id, e.ticket_id, e.kind, e.actor_kind, e.actor_id, e.internal, e.body, e.field, "
    "e.old_value, e.new_value, e.created_at, COALESCE(u.name, e.actor_label) FROM events e "
    "LEFT JOIN users u ON u.id = e.actor_id";

Event event_from(const Row& r) {
  Event e;
  e.id = r.i64(0);
  e.ticket_id = r.i64(1);
  e.kind = enum_col<EventKind>(r, 2, "events.kind");
  e.actor_kind = enum_col<ActorKind>(r, 3, "events.actor_kind");
  e.actor_id = opt_i64(r, 4);
  e.internal = r.i64(5) != 0;
  e.body = r.text(6);
  e.field = r.text(7);
  e.old_value = r.text(8);
  e.new_value = r.text(9);
  e.created_at = instant(r, 10);
  e.actor_name = r.text(11);
  return e;
}

}  // namespace

Id EventRepo::append(const Event& e) {
  Id id = 0;
  // The system's events keep the automation's name where a user's keep the
  // user: actor_name is stored only for them.
  conn().query(
      "INSERT INTO events (ticket_id, kind, actor_kind, actor_id, internal, body, field, "
      "old_value, new_value, created_at, actor_label) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
      "$10, $11) RETURNING id",
      {e.ticket_id, name(e.kind), name(e.actor_kind), opt(e.actor_id), flag(e.internal), e.body,
       e.field, e.old_value, e.new_value, at(e.created_at),
       e.actor_kind == ActorKind::system ? e.actor_name : std::string()},
      [&](const Row& r) { id = r.i64(0); });
  // The ticket's latest event, for the unread marks of the queues.
  conn().exec("UPDATE tickets SET last_event_id = $2, last_event_by = $3 WHERE id = $1",
              {e.ticket_id, id, opt(e.actor_id)});
  if ((e.kind == EventKind::reply || e.kind == EventKind::note) && !e.body.empty())
    note_search_ticket(e.ticket_id);
  note_event({e.ticket_id, id});
  return id;
}

void EventRepo::mark_read(Id user_id, Id ticket_id, Id event_id) {
  conn().exec(
      "INSERT INTO ticket_reads (user_id, ticket_id, event_id) VALUES ($1, $2, $3) ON CONFLICT "
      "(user_id, ticket_id) DO UPDATE SET event_id = excluded.event_id WHERE excluded.event_id > "
      "ticket_reads.event_id",
      {user_id, ticket_id, event_id});
}

std::vector<Event> EventRepo::list(Id ticket_id, Internal internal) {
  std::vector<Event> out;
  std::string sql = std::string(kEventSelect) + " WHERE e.ticket_id = $1";
  if (internal == Internal::exclude) sql += " AND e.internal = 0";
  sql += " ORDER BY e.id";
  conn().query(sql, {ticket_id}, [&](const Row& r) { out.push_back(event_from(r)); });
  return out;
}

std::optional<Event> EventRepo::find(Id event_id) {
  std::optional<Event> out;
  conn().query(std::string(kEventSelect) + " WHERE e.id = $1", {event_id},
               [&](const Row& r) { out = event_from(r); });
  return out;
}

}  // namespace sd::store
