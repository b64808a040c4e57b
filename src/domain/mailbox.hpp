// The email channel's records: the mailboxes the desk receives on, every
// message taken in with what became of it, and the files attached to ticket
// events (from mail or uploaded). Plain values; desk/ applies the rules.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/enums.hpp"
#include "domain/error.hpp"
#include "domain/mail.hpp"
#include "domain/time.hpp"

namespace sd {

struct Mailbox {
  Id id = 0;
  std::string address;  // the desk's address (NFC, lower-case ASCII)
  std::string name;     // shown as the From name of the desk's mail
  bool active = true;
  UnknownSenders unknown_senders = UnknownSenders::create;
  std::optional<Id> group_id;  // new tickets go to this group
  // IMAP polling; an empty url: mail reaches this mailbox by the MTA pipe only.
  std::string imap_url, imap_username;
  std::string imap_password;  // sealed (auth::seal) with the desk's key; never shown
  std::string imap_folder = "INBOX";
  std::string imap_tls = "required";  // required | opportunistic | none
  bool imap_verify_peer = true;
  std::int64_t imap_uidvalidity = 0, imap_last_uid = 0;
  std::optional<Instant> imap_polled_at;
  std::string imap_error;  // the last poll's failure, empty when it went well
  Instant created_at{}, updated_at{};
};

struct InboundMessage {
  Id id = 0;
  Id mailbox_key = 0;      // the mailbox's id, 0 when piped in without one
  std::string dedupe_key;  // "mid:<Message-ID>" or "sha:<hex of the bytes>"
  std::string source;      // pipe | imap | retry
  InboundStatus status = InboundStatus::set_aside;
  std::string reason;  // why set aside or failed, a short code
  std::string message_id, from_address, subject;
  std::int64_t size = 0;
  std::optional<std::string> raw_sha256;  // the message as received
  std::optional<Id> ticket_id, event_id;
  int duplicates = 0;  // times it arrived again and was recognised
  Instant received_at{}, updated_at{};
};

// What a message taken in said, kept with it for staff to read: its headers
// (values unfolded, each at most a couple of thousand characters) and its
// full text (the ticket keeps a reply without its quoted history).
struct InboundContent {
  std::vector<MailHeader> headers;
  std::string text;
};

// A file on a ticket event, or uploaded and not yet sent (no ticket).
struct Attachment {
  Id id = 0;
  std::optional<Id> ticket_id;
  std::optional<Id> event_id;
  std::string sha256;
  std::string filename;
  std::string content_type;   // sniffed from the bytes
  std::string declared_type;  // what the sender said, for the record only
  std::int64_t size = 0;
  bool inline_part = false;
  std::string content_id;
  bool internal = false;  // on an internal note: staff only
  std::optional<Id> uploaded_by;
  Instant created_at{};
};

}  // namespace sd
