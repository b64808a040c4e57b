#include "mail/jobs.hpp"

#include <boost/json.hpp>

#include "desk/mail.hpp"
#include "mail/imap.hpp"
#include "mail/intake.hpp"
#include "mail/mime.hpp"
#include "store/repo/mailboxes.hpp"
#include "store/repo/outbox.hpp"

namespace sd::mail {
namespace {

namespace json = boost::json;

std::optional<Id> id_in(const Job& job, const char* key) {
  boost::system::error_code ec;
  auto v = json::parse(job.payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto* f = v.as_object().if_contains(key);
  if (!f || !f->is_int64()) return std::nullopt;
  return f->as_int64();
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto end = s.find(' ', i);
    if (end == std::string::npos) end = s.size();
    if (end > i) out.push_back(s.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

OutgoingMail outgoing(const OutboxMessage& m, Instant now) {
  const auto& me = desk::mail_identity();
  OutgoingMail o;
  o.from = me.from;
  o.to.push_back({m.to_name, m.to_address});
  o.subject = m.subject;
  o.text = m.body;
  o.message_id = m.message_id;
  if (!m.in_reply_to.empty()) o.in_reply_to.push_back(m.in_reply_to);
  o.references = words(m.references);
  o.auto_submitted = m.auto_submitted;
  o.extra_headers.push_back({"X-Loop", me.from.address});
  if (!m.auto_submitted.empty()) o.extra_headers.push_back({"X-Auto-Response-Suppress", "All"});
  o.date = now;
  return o;
}

Status send_one(store::Store& store, const MailJobsOptions& opt, const Job& job, Instant now) {
  const auto id = id_in(job, "outbox_id");
  if (!id) return {};  // nothing to do with a payload of no outbox row
  auto row = store.read(
      [&](store::Tx& tx) -> Result<std::optional<OutboxMessage>> { return tx.outbox().find(*id); });
  if (!row) return row.error();
  if (!*row || (*row)->status != "pending") return {};
  const OutboxMessage& m = **row;
  const bool last = job.attempts >= job.max_attempts;
  desk::SendResult result = desk::SendResult::sent;
  std::string error;
  if (!opt.smtp || desk::mail_identity().from.address.empty()) {
    result = desk::SendResult::held;
    error = "no SMTP server is configured (SERVICEDESK_SMTP_URL, SERVICEDESK_MAIL_FROM)";
  } else {
    const std::string bytes = compose_message(outgoing(m, now));
    auto sent = send_mail(*opt.smtp, desk::mail_identity().from.address, {m.to_address}, bytes);
    if (!sent) {
      result = sent.error().permanent ? desk::SendResult::permanent_failure
                                      : desk::SendResult::temporary_failure;
      error = sent.error().detail;
    }
  }
  auto w = store.write([&](store::Tx& tx) -> Result<bool> {
    if (auto s = desk::record_send(tx, *id, result, error, last, now); !s) return s.error();
    return true;
  });
  if (!w) return w.error();
  if (result == desk::SendResult::temporary_failure && !last)
    return make_error(ErrorCode::unavailable, "the mail was not sent yet: " + error);
  return {};
}

ImapSettings::Tls tls_of(const std::string& s) {
  if (s == "none") return ImapSettings::Tls::none;
  if (s == "opportunistic") return ImapSettings::Tls::opportunistic;
  return ImapSettings::Tls::required;
}

Status poll_one(store::Store& store, const store::BlobStore& blobs, const MailJobsOptions& opt,
                const Job& job, Instant now) {
  const auto id = id_in(job, "mailbox_id");
  if (!id) return {};
  struct Found {
    Mailbox box;
    std::string password;
  };
  // The next poll is queued first: a crash during this one breaks no chain.
  auto found = store.write([&](store::Tx& tx) -> Result<std::optional<Found>> {
    auto box = tx.mailboxes().find(*id);
    if (!box || !box->active || box->imap_url.empty()) return std::optional<Found>{};
    tx.jobs().enqueue(desk::poll_job(box->id, now + opt.poll_every, opt.poll_every), now);
    return std::optional<Found>{Found{*box, desk::mailbox_password(tx, *box)}};
  });
  if (!found) return found.error();
  if (!*found) return {};
  const Mailbox& box = (*found)->box;
  ImapSettings s;
  s.url = box.imap_url;
  s.username = box.imap_username;
  s.password = (*found)->password;
  s.folder = box.imap_folder;
  s.tls = tls_of(box.imap_tls);
  s.verify_peer = box.imap_verify_peer;
  ImapClient client(s);
  std::int64_t uidvalidity = box.imap_uidvalidity, last_uid = box.imap_last_uid;
  std::string problem;
  auto record = [&]() {
    auto r = store.write([&](store::Tx& tx) -> Result<bool> {
      tx.mailboxes().record_poll(box.id, uidvalidity, last_uid, problem, now);
      return true;
    });
    return r ? Status{} : Status{r.error()};
  };
  auto state = client.select();
  if (!state) {
    problem = state.error().detail;
    return record();
  }
  if (static_cast<std::int64_t>(state->uidvalidity) != uidvalidity) {
    // A new folder behind the same name: its UIDs start again. Messages
    // already taken in are recognised by their Message-ID.
    uidvalidity = static_cast<std::int64_t>(state->uidvalidity);
    last_uid = 0;
  }
  auto uids =
      client.uids_after(static_cast<std::uint64_t>(last_uid), opt.done_flag, opt.messages_per_poll);
  if (!uids) {
    problem = uids.error().detail;
    return record();
  }
  for (const auto uid : *uids) {
    auto raw = client.fetch(uid, opt.max_message_bytes);
    if (!raw) {
      if (raw.error().code != ErrorCode::payload_too_large) {
        problem = raw.error().detail;
        break;
      }
      // Too large to take in: kept as failed so that an admin sees it.
      const std::string stub = "X-Servicedesk-Note: message of UID " + std::to_string(uid) +
                               " in " + box.imap_folder + " was over the size limit\r\n\r\n";
      desk::ReceivedMail m;
      m.raw = stub;
      m.mailbox_id = box.id;
      m.source = "imap";
      m.failed_reason = "too_large";
      auto r = store.write([&](store::Tx& tx) -> Result<bool> {
        auto o = desk::ingest_mail(tx, blobs, m, now);
        if (!o) return o.error();
        return true;
      });
      if (!r) {
        problem = r.error().detail;
        break;
      }
    } else {
      auto taken = take_in(store, blobs, *raw, box.id, {}, "imap", now);
      if (!taken) {
        problem = taken.error().detail;
        break;
      }
    }
    // Committed: now, and only now, the server may know.
    if (auto f = client.add_flag(uid, opt.done_flag); !f) {
      problem = f.error().detail;
      break;
    }
    last_uid = static_cast<std::int64_t>(uid);
  }
  return record();
}

}  // namespace

desk::OutsideJobHandlers mail_job_handlers(store::Store& store, const store::BlobStore& blobs,
                                           MailJobsOptions options) {
  desk::OutsideJobHandlers h;
  auto opt = std::make_shared<MailJobsOptions>(std::move(options));
  h[desk::kSendMailJob] = [&store, opt](const Job& job, Instant now) {
    return send_one(store, *opt, job, now);
  };
  h[desk::kPollMailJob] = [&store, &blobs, opt](const Job& job, Instant now) {
    return poll_one(store, blobs, *opt, job, now);
  };
  return h;
}

}  // namespace sd::mail
