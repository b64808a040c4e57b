#include "store/repo/attachments.hpp"

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;

constexpr const char* kCols =
    "SELECT id, ticket_id, event_id, sha256, filename, content_type, declared_type, size, "
    "inline_part, content_id, internal, uploaded_by, created_at FROM attachments";

Attachment attachment_from(const Row& r) {
  Attachment a;
  a.id = r.i64(0);
  a.ticket_id = opt_i64(r, 1);
  a.event_id = opt_i64(r, 2);
  a.sha256 = r.text(3);
  a.filename = r.text(4);
  a.content_type = r.text(5);
  a.declared_type = r.text(6);
  a.size = r.i64(7);
  a.inline_part = r.i64(8) != 0;
  a.content_id = r.text(9);
  a.internal = r.i64(10) != 0;
  a.uploaded_by = opt_i64(r, 11);
  a.created_at = instant(r, 12);
  return a;
}

}  // namespace

void AttachmentRepo::record_blob(const BlobRef& b, Instant now) {
  conn().exec(
      "INSERT INTO blobs (sha256, size, created_at) VALUES ($1, $2, $3) "
      "ON CONFLICT (sha256) DO NOTHING",
      {b.sha256, b.size, at(now)});
}

Id AttachmentRepo::insert(const Attachment& a) {
  Id id = 0;
  conn().query(
      "INSERT INTO attachments (ticket_id, event_id, sha256, filename, content_type, "
      "declared_type, size, inline_part, content_id, internal, uploaded_by, created_at) VALUES "
      "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
      {opt(a.ticket_id), opt(a.event_id), a.sha256, a.filename, a.content_type, a.declared_type,
       a.size, flag(a.inline_part), a.content_id, flag(a.internal), opt(a.uploaded_by),
       at(a.created_at)},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<Attachment> AttachmentRepo::find(Id id) {
  std::optional<Attachment> out;
  conn().query(std::string(kCols) + " WHERE id = $1", {id},
               [&](const Row& r) { out = attachment_from(r); });
  return out;
}

std::vector<Attachment> AttachmentRepo::of_ticket(Id ticket_id) {
  std::vector<Attachment> out;
  conn().query(std::string(kCols) + " WHERE ticket_id = $1 ORDER BY id", {ticket_id},
               [&](const Row& r) { out.push_back(attachment_from(r)); });
  return out;
}

std::vector<Attachment> AttachmentRepo::of_events(const std::vector<Id>& event_ids) {
  std::vector<Attachment> out;
  if (event_ids.empty()) return out;
  Binder b(dialect());
  const std::string cond = b.any_of("event_id", event_ids);
  conn().query(std::string(kCols) + " WHERE " + cond + " ORDER BY id", b.params,
               [&](const Row& r) { out.push_back(attachment_from(r)); });
  return out;
}

std::int64_t AttachmentRepo::claim_uploads(const std::vector<Id>& ids, Id uploader, Id ticket_id,
                                           Id event_id, bool internal) {
  if (ids.empty()) return 0;
  Binder b(dialect());
  const std::string t = b.next(ticket_id), e = b.next(event_id), in = b.next(flag(internal)),
                    u = b.next(uploader);
  const std::string cond = b.any_of("id", ids);
  return conn().exec("UPDATE attachments SET ticket_id = " + t + ", event_id = " + e +
                         ", internal = " + in + " WHERE ticket_id IS NULL AND uploaded_by = " + u +
                         " AND " + cond,
                     b.params);
}

std::int64_t AttachmentRepo::purge_unused(Instant before) {
  return conn().exec("DELETE FROM attachments WHERE ticket_id IS NULL AND created_at < $1",
                     {at(before)});
}

}  // namespace sd::store
