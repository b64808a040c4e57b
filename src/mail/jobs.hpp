// The email channel's jobs, run by every node's jobs runner outside any
// transaction: mail.send (one outbox row over SMTP, retried with backoff; a
// permanent refusal is recorded on the ticket) and mail.poll (one mailbox
// over IMAP: each message committed, then flagged on the server, so that a
// crash anywhere loses nothing and a message fetched again is one).
#pragma once

#include <optional>

#include "desk/jobs.hpp"
#include "mail/smtp.hpp"
#include "store/blobs.hpp"
#include "store/store.hpp"

namespace sd::mail {

struct MailJobsOptions {
  std::optional<SmtpSettings> smtp;  // none: outgoing mail stays held
  Duration poll_every = std::chrono::seconds(60);
  std::size_t max_message_bytes = 40 * 1024 * 1024;
  int messages_per_poll = 200;
  // The keyword a message taken in gets on the IMAP server.
  std::string done_flag = "$SDIngested";
  // Certificates of IMAP servers are checked unless a mailbox says not to.
};

// REQUIRES: store and blobs outlive the handlers.
desk::OutsideJobHandlers mail_job_handlers(store::Store& store, const store::BlobStore& blobs,
                                           MailJobsOptions options);

}  // namespace sd::mail
