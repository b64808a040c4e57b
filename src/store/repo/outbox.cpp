#include "store/repo/outbox.hpp"

#include <algorithm>

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;

constexpr const char* kCols =
    "SELECT id, kind, ticket_id, to_address, to_name, language, subject, body, status, "
    "created_at, sent_at, message_id, in_reply_to, refs, auto_submitted, attempts, last_error, "
    "user_id FROM outbox";

OutboxMessage message_from(const Row& r) {
  OutboxMessage m;
  m.id = r.i64(0);
  m.kind = r.text(1);
  m.ticket_id = opt_i64(r, 2);
  m.to_address = r.text(3);
  m.to_name = r.text(4);
  m.language = r.text(5);
  m.subject = r.text(6);
  m.body = r.text(7);
  m.status = r.text(8);
  m.created_at = instant(r, 9);
  m.sent_at = opt_instant(r, 10);
  m.message_id = r.text(11);
  m.in_reply_to = r.text(12);
  m.references = r.text(13);
  m.auto_submitted = r.text(14);
  m.attempts = static_cast<int>(r.i64(15));
  m.last_error = r.text(16);
  m.user_id = opt_i64(r, 17);
  return m;
}

}  // namespace

Id OutboxRepo::insert(const OutboxMessage& m) {
  Id id = 0;
  conn().query(
      "INSERT INTO outbox (kind, ticket_id, to_address, to_name, language, subject, body, status, "
      "created_at, message_id, in_reply_to, refs, auto_submitted, user_id) VALUES ($1, $2, $3, "
      "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
      {m.kind, opt(m.ticket_id), m.to_address, m.to_name, m.language, m.subject, m.body, m.status,
       at(m.created_at), m.message_id, m.in_reply_to, m.references, m.auto_submitted,
       opt(m.user_id)},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<OutboxMessage> OutboxRepo::find(Id id) {
  std::optional<OutboxMessage> out;
  conn().query(std::string(kCols) + " WHERE id = $1", {id},
               [&](const Row& r) { out = message_from(r); });
  return out;
}

Page<OutboxMessage> OutboxRepo::list(std::optional<Id> before_id, int limit,
                                     const std::string& status) {
  Page<OutboxMessage> page;
  Binder b(dialect());
  Where w;
  if (before_id) w.add("id < " + b.next(*before_id));
  if (!status.empty()) w.add("status = " + b.next(status));
  conn().query(
      std::string(kCols) + w.text + " ORDER BY id DESC LIMIT " + b.next(std::int64_t{limit} + 1),
      b.params, [&](const Row& r) { page.items.push_back(message_from(r)); });
  if (page.items.size() > static_cast<std::size_t>(limit)) {
    page.items.pop_back();
    page.next = Cursor{0, {}, page.items.back().id};
  }
  return page;
}

std::vector<OutboxMessage> OutboxRepo::of_ticket(Id ticket_id, int limit) {
  std::vector<OutboxMessage> out;
  conn().query(std::string(kCols) + " WHERE ticket_id = $1 ORDER BY id DESC LIMIT $2",
               {ticket_id, std::int64_t{limit}},
               [&](const Row& r) { out.push_back(message_from(r)); });
  std::reverse(out.begin(), out.end());
  return out;
}

void OutboxRepo::record(Id id, const std::string& status, const std::string& error, Instant now) {
  conn().exec(
      "UPDATE outbox SET status = $1, last_error = $2, attempts = attempts + 1, "
      "sent_at = CASE WHEN $1 = 'sent' THEN $3 ELSE sent_at END WHERE id = $4",
      {status, error, at(now), id});
}

std::int64_t OutboxRepo::automatic_since(const std::string& to_address, Instant since) {
  std::int64_t n = 0;
  conn().query(
      "SELECT COUNT(*) FROM outbox WHERE to_address = $1 AND auto_submitted <> '' AND "
      "created_at >= $2",
      {to_address, at(since)}, [&](const Row& r) { n = r.i64(0); });
  return n;
}

}  // namespace sd::store
