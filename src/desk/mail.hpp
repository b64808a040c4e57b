// The email channel's use cases: taking one message in (a new ticket, a
// reply on its ticket, or set aside with the reason, each recorded once per
// mailbox and message), the mail the desk sends (queued in the outbox with
// a mail.send job, threaded with signed Message-IDs), mailboxes, and what
// admins see and retry. mail/ parses and transports; the rules are here and
// in domain/mail.hpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "desk/outcome.hpp"
#include "domain/actor.hpp"
#include "domain/mail.hpp"
#include "domain/mailbox.hpp"
#include "store/blobs.hpp"
#include "store/repo/inbound_mail.hpp"
#include "store/tx.hpp"

namespace sd::desk {

// The desk's mail identity, set once at start from SERVICEDESK_MAIL_FROM
// (and its flags) before any request or job runs; read-only after.
struct MailIdentity {
  MailAddress from;        // the desk's address and name; empty address: no outgoing mail
  bool sending = false;    // an SMTP server is configured
  std::string domain;      // the right side of the desk's Message-IDs
  std::string portal_url;  // links in mail ("https://desk.example/"), may be empty
};
void configure_mail(MailIdentity identity);
const MailIdentity& mail_identity();
// The identity is kept in the database by `serve` (settings mail.from and
// mail.from_name), so that another process (the MTA's pipe) that has no
// SERVICEDESK_MAIL_FROM of its own signs and threads its mail the same way.
void remember_mail_identity(store::Tx& tx, const MailIdentity& identity);
MailIdentity remembered_mail_identity(store::Tx& tx);

struct MailLimits {
  std::size_t max_attachment_bytes = 30 * 1024 * 1024;  // a larger file is left out, and said so
  int max_attachments = 50;
  // Automatic replies (acknowledgements) to one address per hour.
  int auto_replies_per_hour = 5;
};

// A message as received: its bytes, and what mail/ made of them.
struct ReceivedMail {
  std::string_view raw;
  Result<InboundMail> parsed = make_error(ErrorCode::invalid_input, "not parsed");
  std::optional<Id> mailbox_id;  // the mailbox it reached, when known
  std::string source = "pipe";   // pipe | imap
  // Set when the message is not to be decided on (a use case refused it in
  // an earlier attempt): it is kept as failed with this reason.
  std::string failed_reason;
};

// Whether an error of ingest_mail is the message's fault (kept as failed,
// never retried by the MTA) rather than the store's.
bool refused_by_desk(const Error& e);

// Takes one message in, in the caller's transaction. A message already
// taken in on that mailbox (same Message-ID, or the same bytes when it has
// none) changes nothing but its count of duplicates. Fails only when the
// store fails (the message is then not taken: the MTA or the next poll
// brings it again).
Result<Outcome<InboundMessage>> ingest_mail(store::Tx& tx, const store::BlobStore& blobs,
                                            const ReceivedMail& m, Instant now,
                                            const MailLimits& limits = {});

// A set-aside or failed message taken in again (an admin's retry); with
// `accept`, its automatic or refused-sender reason is overridden.
Result<Outcome<InboundMessage>> retry_inbound(store::Tx& tx, const store::BlobStore& blobs,
                                              const Actor& a, Id id, bool accept,
                                              const Result<InboundMail>& parsed, Instant now);

Result<store::Page<InboundMessage>> list_inbound(store::Tx& tx, const Actor& a,
                                                 const store::InboundQuery& q);
Result<InboundMessage> get_inbound(store::Tx& tx, const Actor& a, Id id);

// ---- mail out ----

// Queues a mail in the outbox and its mail.send job (the node that runs
// it holds the mail when it has no SMTP server). With no desk address
// (SERVICEDESK_MAIL_FROM, or the one serve keeps), it is kept held, no job.
Id queue_mail(store::Tx& tx, Effects& fx, OutboxMessage m, Instant now);

// The desk's Message-ID for a mail about `ticket_id` (signed: see
// ticket_of_desk_message_id), unique per call.
std::string desk_message_id(store::Tx& tx, Id ticket_id);
// The ticket named by one of the desk's own Message-IDs, when its signature
// holds; nullopt for any other id, forged or guessed.
std::optional<Id> ticket_of_desk_message_id(store::Tx& tx, std::string_view message_id);

// The mail a ticket's events call for: an agent's public reply and the
// resolution to the requester, an assignment to the new assignee, a
// requester's answer to the assignee. Called by the use cases of tickets.cpp
// after they wrote their events. Nothing without a desk address.
void mail_for_events(store::Tx& tx, Effects& fx, const Ticket& t, const Actor& a,
                     const std::vector<Event>& events, Instant now);

// The job that sends one outbox row (payload {"outbox_id": N}); run by
// mail/ outside any transaction.
inline constexpr const char* kSendMailJob = "mail.send";
// The job that polls one mailbox over IMAP (payload {"mailbox_id": N}).
inline constexpr const char* kPollMailJob = "mail.poll";

// After a send: sent, failed for good (recorded on the ticket), a
// temporary failure (the job is tried again), or held (no SMTP server).
enum class SendResult : std::uint8_t { sent, temporary_failure, permanent_failure, held };
Status record_send(store::Tx& tx, Id outbox_id, SendResult r, const std::string& error,
                   bool last_attempt, Instant now);

// ---- mailboxes ----

// A mailbox as an admin wrote it (id 0: a new one). Its stored password and
// polling state are the desk's: only `imap_password` changes the first
// (empty: none), and the second is never written here.
struct SaveMailbox {
  Mailbox mailbox;
  std::optional<std::string> imap_password;  // unset: keep the stored one
};
Result<Outcome<Mailbox>> save_mailbox(store::Tx& tx, const Actor& a, const SaveMailbox& c,
                                      Instant now);
Result<Outcome<Id>> delete_mailbox(store::Tx& tx, const Actor& a, Id id, Instant now);
Result<std::vector<Mailbox>> list_mailboxes(store::Tx& tx, const Actor& a);
Result<Mailbox> get_mailbox(store::Tx& tx, const Actor& a, Id id);
// The stored IMAP password in clear, for the poller only.
std::string mailbox_password(store::Tx& tx, const Mailbox& m);
// The poll of a mailbox due at `due`: one job per slot of `every`, whatever
// the number of nodes that ask for it.
JobSpec poll_job(Id mailbox_id, Instant due, Duration every);
// Enqueues the next poll of every mailbox with IMAP (once per slot of
// `every`, whatever the number of nodes).
Status schedule_polls(store::Tx& tx, Instant now, Duration every);

// What a message taken in said (admins).
Result<InboundContent> inbound_content(store::Tx& tx, const Actor& a, Id id);

// Mail a ticket received, for its page: the messages taken in on it, each
// with what it said.
struct TicketMail {
  InboundMessage message;
  InboundContent content;
};
Result<std::vector<TicketMail>> ticket_mail(store::Tx& tx, const Actor& a, Id ticket_id);

}  // namespace sd::desk
