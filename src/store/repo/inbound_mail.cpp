#include "store/repo/inbound_mail.hpp"

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;

constexpr const char* kCols =
    "SELECT id, mailbox_key, dedupe_key, source, status, reason, message_id, from_address, "
    "subject, size, raw_sha256, ticket_id, event_id, duplicates, received_at, updated_at "
    "FROM inbound_mail";
// The same, and what the message said (columns 16 and 17).
constexpr const char* kColsWithContent =
    "SELECT id, mailbox_key, dedupe_key, source, status, reason, message_id, from_address, "
    "subject, size, raw_sha256, ticket_id, event_id, duplicates, received_at, updated_at, "
    "headers, full_text FROM inbound_mail";

InboundMessage inbound_from(const Row& r) {
  InboundMessage m;
  m.id = r.i64(0);
  m.mailbox_key = r.i64(1);
  m.dedupe_key = r.text(2);
  m.source = r.text(3);
  m.status = enum_col<InboundStatus>(r, 4, "inbound_mail.status");
  m.reason = r.text(5);
  m.message_id = r.text(6);
  m.from_address = r.text(7);
  m.subject = r.text(8);
  m.size = r.i64(9);
  if (!r.is_null(10)) m.raw_sha256 = r.text(10);
  m.ticket_id = opt_i64(r, 11);
  m.event_id = opt_i64(r, 12);
  m.duplicates = static_cast<int>(r.i64(13));
  m.received_at = instant(r, 14);
  m.updated_at = instant(r, 15);
  return m;
}

Value opt_text(const std::optional<std::string>& s) { return s ? Value{*s} : Value{nullptr}; }

// Headers as "Name: value" lines (values are unfolded: no line ends).
std::string header_lines(const std::vector<MailHeader>& headers) {
  std::string out;
  for (const auto& [name, value] : headers) out += name + ": " + value + "\n";
  return out;
}

InboundContent content_from(const std::string& lines, std::string text) {
  InboundContent c;
  std::size_t i = 0;
  while (i < lines.size()) {
    auto end = lines.find('\n', i);
    if (end == std::string::npos) end = lines.size();
    const std::string_view line = std::string_view(lines).substr(i, end - i);
    if (const auto colon = line.find(": "); colon != std::string_view::npos)
      c.headers.emplace_back(std::string(line.substr(0, colon)),
                             std::string(line.substr(colon + 2)));
    i = end + 1;
  }
  c.text = std::move(text);
  return c;
}

}  // namespace

Id InboundMailRepo::insert(const InboundMessage& m, const InboundContent& content) {
  Id id = 0;
  conn().query(
      "INSERT INTO inbound_mail (mailbox_key, dedupe_key, source, status, reason, message_id, "
      "from_address, subject, size, raw_sha256, ticket_id, event_id, received_at, updated_at, "
      "headers, full_text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
      "$15, $16) RETURNING id",
      {m.mailbox_key, m.dedupe_key, m.source, name(m.status), m.reason, m.message_id,
       m.from_address, m.subject, m.size, opt_text(m.raw_sha256), opt(m.ticket_id), opt(m.event_id),
       at(m.received_at), at(m.updated_at), header_lines(content.headers), content.text},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<InboundContent> InboundMailRepo::content(Id id) {
  std::optional<InboundContent> out;
  conn().query("SELECT headers, full_text FROM inbound_mail WHERE id = $1", {id},
               [&](const Row& r) { out = content_from(r.text(0), r.text(1)); });
  return out;
}

std::optional<InboundMessage> InboundMailRepo::find(Id id) {
  std::optional<InboundMessage> out;
  conn().query(std::string(kCols) + " WHERE id = $1", {id},
               [&](const Row& r) { out = inbound_from(r); });
  return out;
}

std::optional<InboundMessage> InboundMailRepo::find_by_key(Id mailbox_key,
                                                           const std::string& dedupe_key) {
  std::optional<InboundMessage> out;
  conn().query(std::string(kCols) + " WHERE mailbox_key = $1 AND dedupe_key = $2",
               {mailbox_key, dedupe_key}, [&](const Row& r) { out = inbound_from(r); });
  return out;
}

void InboundMailRepo::count_duplicate(Id id, Instant now) {
  conn().exec("UPDATE inbound_mail SET duplicates = duplicates + 1, updated_at = $1 WHERE id = $2",
              {at(now), id});
}

void InboundMailRepo::update_outcome(const InboundMessage& m) {
  conn().exec(
      "UPDATE inbound_mail SET source = $1, status = $2, reason = $3, ticket_id = $4, "
      "event_id = $5, updated_at = $6 WHERE id = $7",
      {m.source, name(m.status), m.reason, opt(m.ticket_id), opt(m.event_id), at(m.updated_at),
       m.id});
}

Page<InboundMessage> InboundMailRepo::list(const InboundQuery& q) {
  Page<InboundMessage> page;
  Binder b(dialect());
  Where w;
  if (!q.statuses.empty()) {
    std::vector<std::string> names;
    for (auto s : q.statuses) names.emplace_back(to_string(s));
    w.add(b.any_of("status", names));
  }
  if (q.mailbox_key) w.add("mailbox_key = " + b.next(*q.mailbox_key));
  if (q.before_id) w.add("id < " + b.next(*q.before_id));
  conn().query(
      std::string(kCols) + w.text + " ORDER BY id DESC LIMIT " + b.next(std::int64_t{q.limit} + 1),
      b.params, [&](const Row& r) { page.items.push_back(inbound_from(r)); });
  if (page.items.size() > static_cast<std::size_t>(q.limit)) {
    page.items.pop_back();
    page.next = Cursor{0, {}, page.items.back().id};
  }
  return page;
}

std::vector<InboundMessage> InboundMailRepo::of_ticket(Id ticket_id,
                                                       std::vector<InboundContent>* content) {
  std::vector<InboundMessage> out;
  conn().query(
      std::string(content ? kColsWithContent : kCols) + " WHERE ticket_id = $1 ORDER BY id",
      {ticket_id}, [&](const Row& r) {
        out.push_back(inbound_from(r));
        if (content) content->push_back(content_from(r.text(16), r.text(17)));
      });
  return out;
}

std::optional<Id> InboundMailRepo::ticket_of_message_id(const std::string& message_id) {
  std::optional<Id> out;
  conn().query(
      "SELECT ticket_id FROM inbound_mail WHERE message_id = $1 AND ticket_id IS NOT NULL "
      "ORDER BY id LIMIT 1",
      {message_id}, [&](const Row& r) { out = r.i64(0); });
  return out;
}

}  // namespace sd::store
