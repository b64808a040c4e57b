#include "store/repo/mailboxes.hpp"

#include "domain/email.hpp"
#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;

constexpr const char* kCols =
    "SELECT id, address, name, active, unknown_senders, group_id, imap_url, imap_username, "
    "imap_password, imap_folder, imap_tls, imap_verify_peer, imap_uidvalidity, imap_last_uid, "
    "imap_polled_at, imap_error, created_at, updated_at FROM mailboxes";

Mailbox mailbox_from(const Row& r) {
  Mailbox m;
  m.id = r.i64(0);
  m.address = r.text(1);
  m.name = r.text(2);
  m.active = r.i64(3) != 0;
  m.unknown_senders = enum_col<UnknownSenders>(r, 4, "mailboxes.unknown_senders");
  m.group_id = opt_i64(r, 5);
  m.imap_url = r.text(6);
  m.imap_username = r.text(7);
  m.imap_password = r.text(8);
  m.imap_folder = r.text(9);
  m.imap_tls = r.text(10);
  m.imap_verify_peer = r.i64(11) != 0;
  m.imap_uidvalidity = r.i64(12);
  m.imap_last_uid = r.i64(13);
  m.imap_polled_at = opt_instant(r, 14);
  m.imap_error = r.text(15);
  m.created_at = instant(r, 16);
  m.updated_at = instant(r, 17);
  return m;
}

Params values(const Mailbox& m) {
  return {m.address,
          email_key(m.address),
          m.name,
          flag(m.active),
          name(m.unknown_senders),
          opt(m.group_id),
          m.imap_url,
          m.imap_username,
          m.imap_password,
          m.imap_folder,
          m.imap_tls,
          flag(m.imap_verify_peer),
          at(m.updated_at)};
}

}  // namespace

Id MailboxRepo::insert(const Mailbox& m) {
  Id id = 0;
  Params p = values(m);
  p.push_back(at(m.created_at));
  conn().query(
      "INSERT INTO mailboxes (address, address_key, name, active, unknown_senders, group_id, "
      "imap_url, imap_username, imap_password, imap_folder, imap_tls, imap_verify_peer, "
      "updated_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
      "$14) RETURNING id",
      p, [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<Mailbox> MailboxRepo::find(Id id, Lock lock) {
  std::optional<Mailbox> out;
  const bool update = lock == Lock::for_update && dialect() == Dialect::postgres;
  conn().query(std::string(kCols) + " WHERE id = $1" + (update ? " FOR UPDATE" : ""), {id},
               [&](const Row& r) { out = mailbox_from(r); });
  return out;
}

std::optional<Mailbox> MailboxRepo::find_by_address(const std::string& address) {
  std::optional<Mailbox> out;
  conn().query(std::string(kCols) + " WHERE address_key = $1", {email_key(address)},
               [&](const Row& r) { out = mailbox_from(r); });
  return out;
}

void MailboxRepo::update(const Mailbox& m) {
  Params p = values(m);
  p.push_back(m.id);
  conn().exec(
      "UPDATE mailboxes SET address = $1, address_key = $2, name = $3, active = $4, "
      "unknown_senders = $5, group_id = $6, imap_url = $7, imap_username = $8, "
      "imap_password = $9, imap_folder = $10, imap_tls = $11, imap_verify_peer = $12, "
      "updated_at = $13 WHERE id = $14",
      p);
}

void MailboxRepo::remove(Id id) { conn().exec("DELETE FROM mailboxes WHERE id = $1", {id}); }

std::vector<Mailbox> MailboxRepo::list() {
  std::vector<Mailbox> out;
  conn().query(std::string(kCols) + " ORDER BY address", {},
               [&](const Row& r) { out.push_back(mailbox_from(r)); });
  return out;
}

void MailboxRepo::record_poll(Id id, std::int64_t uidvalidity, std::int64_t last_uid,
                              const std::string& error, Instant now) {
  conn().exec(
      "UPDATE mailboxes SET imap_uidvalidity = $1, imap_last_uid = $2, imap_error = $3, "
      "imap_polled_at = $4 WHERE id = $5",
      {uidvalidity, last_uid, error, at(now), id});
}

}  // namespace sd::store
