// Mailboxes: admins keep them; the IMAP password is sealed with a key of the
// desk's and never leaves it but to the poller.
#include "store/repo/mailboxes.hpp"

#include <boost/json.hpp>

#include "auth/crypto.hpp"
#include "desk/mail.hpp"
#include "desk/settings.hpp"
#include "domain/email.hpp"
#include "domain/permissions.hpp"
#include "domain/text.hpp"
#include "store/repo/groups.hpp"

namespace sd::desk {
namespace {

using store::Tx;

std::string password_key(Tx& tx) { return server_secret(tx, "mailbox_passwords"); }

Error not_allowed() { return make_error(ErrorCode::forbidden, "only admins manage mailboxes"); }

bool imap_url_ok(std::string_view u) {
  return u.empty() || u.rfind("imap://", 0) == 0 || u.rfind("imaps://", 0) == 0;
}

}  // namespace

JobSpec poll_job(Id mailbox_id, Instant due, Duration every) {
  const auto slot = to_unix_ms(due) / std::max<std::int64_t>(every.count(), 1);
  JobSpec j;
  j.kind = kPollMailJob;
  j.payload = boost::json::serialize(boost::json::object{{"mailbox_id", mailbox_id}});
  j.due_at = due;
  j.dedupe_key =
      std::string(kPollMailJob) + ":" + std::to_string(mailbox_id) + ":" + std::to_string(slot);
  j.max_attempts = 1;
  return j;
}

Result<Outcome<Mailbox>> save_mailbox(Tx& tx, const Actor& a, const SaveMailbox& c, Instant now) {
  if (!can_manage_settings(a)) return not_allowed();
  const Mailbox& in = c.mailbox;
  std::vector<FieldError> errors;
  auto email = normalize_email(in.address, "address");
  if (!email)
    for (auto& f : email.error().fields) errors.push_back(f);
  check_text(errors, "name", in.name, 120, TextKind::single_line, false);
  check_text(errors, "imap.url", in.imap_url, 300, TextKind::single_line, false);
  check_text(errors, "imap.username", in.imap_username, 200, TextKind::single_line, false);
  check_text(errors, "imap.folder", in.imap_folder, 200, TextKind::single_line, true);
  if (c.imap_password)
    check_text(errors, "imap.password", *c.imap_password, 500, TextKind::single_line, false);
  if (!imap_url_ok(in.imap_url))
    errors.push_back({"imap.url", "must start with imap:// or imaps://", "invalid_format"});
  if (in.imap_tls != "required" && in.imap_tls != "opportunistic" && in.imap_tls != "none")
    errors.push_back({"imap.tls", "must be required, opportunistic or none", "invalid_choice"});
  if (in.group_id && !tx.groups().find(*in.group_id))
    errors.push_back({"group_id", "no such group", "not_found"});
  if (auto s = check_fields(std::move(errors)); !s) return s.error();

  // What the desk keeps of its own: the stored password and the polling state.
  Mailbox m = in;
  if (in.id) {
    auto old = tx.mailboxes().find(in.id, store::Lock::for_update);
    if (!old) return make_error(ErrorCode::not_found, "no such mailbox");
    m.imap_password = old->imap_password;
    m.created_at = old->created_at;
  } else {
    m.imap_password.clear();
    m.created_at = now;
  }
  if (auto other = tx.mailboxes().find_by_address(email->address); other && other->id != m.id) {
    Error e = conflict("address_taken", "another mailbox has that address");
    e.existing_id = other->id;
    return e;
  }
  m.address = email->address;
  if (c.imap_password)
    m.imap_password =
        c.imap_password->empty() ? "" : auth::seal(password_key(tx), *c.imap_password);
  m.updated_at = now;
  Effects fx(tx);
  if (m.id)
    tx.mailboxes().update(m);
  else
    m.id = tx.mailboxes().insert(m);
  // A changed mailbox is polled at once.
  if (m.active && !m.imap_url.empty()) fx.job(poll_job(m.id, now, std::chrono::seconds(1)), now);
  return fx.done(m);
}

Result<Outcome<Id>> delete_mailbox(Tx& tx, const Actor& a, Id id, Instant) {
  if (!can_manage_settings(a)) return not_allowed();
  if (!tx.mailboxes().find(id)) return make_error(ErrorCode::not_found, "no such mailbox");
  tx.mailboxes().remove(id);
  Effects fx(tx);
  return fx.done(id);
}

Result<std::vector<Mailbox>> list_mailboxes(Tx& tx, const Actor& a) {
  if (!can_manage_settings(a)) return not_allowed();
  return tx.mailboxes().list();
}

Result<Mailbox> get_mailbox(Tx& tx, const Actor& a, Id id) {
  if (!can_manage_settings(a)) return not_allowed();
  auto m = tx.mailboxes().find(id);
  if (!m) return make_error(ErrorCode::not_found, "no such mailbox");
  return *m;
}

std::string mailbox_password(Tx& tx, const Mailbox& m) {
  if (m.imap_password.empty()) return {};
  return auth::unseal(password_key(tx), m.imap_password).value_or("");
}

Status schedule_polls(Tx& tx, Instant now, Duration every) {
  for (const Mailbox& m : tx.mailboxes().list())
    if (m.active && !m.imap_url.empty()) tx.jobs().enqueue(poll_job(m.id, now, every), now);
  return {};
}

}  // namespace sd::desk
