// Mail as values, and the pure rules of the email channel: what an inbound
// message is once parsed (mail/ makes it from RFC 5322 bytes with GMime),
// what an outgoing one is before mail/ composes it, and the rules that
// decide on them without I/O: auto-replies and loops, the ticket tag in a
// subject, the reply's new text above the quoted history, HTML as text.
// Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/error.hpp"
#include "domain/time.hpp"

namespace sd {

struct MailAddress {
  std::string name;     // display name, UTF-8, may be empty
  std::string address;  // addr-spec as written (local@domain), may be empty when broken
};

// A file carried by a message: an attachment or an inline image.
struct MailAttachment {
  std::string filename;      // UTF-8, never empty: a made-up name when the message gives none
  std::string content_type;  // as the message declares it (never trusted: sniffed on storing)
  std::string content_id;    // without angle brackets; empty when none
  bool inline_part = false;  // Content-Disposition: inline, or referenced by cid:
  std::string data;          // decoded bytes
};

// One header as it arrived: the name as written, the value unfolded and
// decoded to UTF-8 (RFC 2047 encoded words).
using MailHeader = std::pair<std::string, std::string>;

struct InboundMail {
  std::string message_id;                // without angle brackets; empty when missing
  std::vector<std::string> in_reply_to;  // message ids without angle brackets
  std::vector<std::string> references;   // oldest first
  std::optional<MailAddress> from;
  std::vector<MailAddress> reply_to, to, cc;
  std::string subject;  // UTF-8
  std::optional<Instant> date;
  std::string text;             // the body as UTF-8 text (text/plain preferred)
  bool text_from_html = false;  // the text was made from text/html
  std::vector<MailHeader> headers;
  std::vector<MailAttachment> attachments;
  // multipart/report with report-type=delivery-status, or a
  // message/delivery-status part (RFC 3464): a bounce.
  bool delivery_report = false;
};

// The value of the first header called `name` (case-insensitive), if any.
std::optional<std::string> header_value(const std::vector<MailHeader>& headers,
                                        std::string_view name);

// Why a message is automatic and must never be answered nor make a ticket,
// or nullopt when a person wrote it. Recognises RFC 3834 Auto-Submitted
// (anything but "no"), Precedence bulk/junk/list, X-Auto-Response-Suppress,
// X-Autoreply / X-Autorespond, List-Id and List-Unsubscribe only with
// Precedence, X-Loop naming `desk_address`, a sender that is
// mailer-daemon@ or postmaster@ or an empty Return-Path ("<>"), and
// delivery-status reports. The reason is a short code: auto_submitted,
// precedence, auto_response_suppress, autoreply_header, loop,
// mailer_daemon, delivery_report; when several apply, the first of
// delivery_report, mailer_daemon, loop, auto_submitted, precedence,
// auto_response_suppress, autoreply_header. Header names are matched
// case-insensitively and every header of a name counts, not only the
// first. An Auto-Submitted or X-Auto-Response-Suppress header with an
// empty value says nothing; "no; params" is a person. The subject is never
// looked at: people write "Out of office" too.
std::optional<std::string> automatic_reason(const InboundMail& m, std::string_view desk_address);

// The ticket tag the desk puts in subjects: "[SD-000123]".
std::string ticket_tag(Id ticket_id);
// The id in the first well-formed tag of a subject ("Re: [SD-000123] ..."),
// any zero padding, case-insensitive; nullopt when there is none.
std::optional<Id> find_ticket_tag(std::string_view subject);

// The subject without reply and forward prefixes (Re:, RE:, Fwd:, FW:,
// AW:, RV:, RES:, TR:, SV: and the like, repeated) and without the ticket
// tag; trimmed, runs of whitespace as one space. Every well-formed tag
// goes, wherever it is. A subject that is nothing but prefixes ("Re:",
// "Fwd: [SD-000123]") keeps them, so that it is empty only when the
// original had nothing but whitespace and tags. For a new ticket's subject.
std::string clean_subject(std::string_view subject);

// The new text of a reply: what the writer typed above the quoted history
// ("On ... wrote:" / "El ... escribió:" lines, Outlook's "-----Original
// Message-----" and "From: ... Sent: ..." blocks, lines starting with '>'
// at the end) and above the signature ("-- " line, "Sent from my ...",
// "Enviado desde mi ..."). Never empty when `text` is not: when trimming
// would leave nothing, the text is kept whole (trimmed; so all-whitespace
// text gives ""). Inline replies, new text between quoted lines, keep their
// quotes: only the quoted block at the end goes. Leading and trailing blank
// lines go; the rest is `text` as it was, line breaks (LF or CRLF) included.
std::string trim_reply(std::string_view text);

// HTML as readable, safe text: no tags, no scripts or styles, entities
// decoded, block elements (p, div, br, li, tr, h1-h6) as line breaks, list
// items with "- ", links as "text (url)" when they differ, runs of blank
// lines collapsed. Input that is not valid UTF-8 has its bad bytes
// replaced with U+FFFD. Only http, https and mailto links show their url
// (a link with no text shows the url alone); whitespace collapses as a
// browser does it, but inside <pre>. Linear in the input's size.
std::string html_to_text(std::string_view html);

// Mail the desk composes; mail/ turns it into RFC 5322 bytes and sends it.
struct OutgoingMail {
  MailAddress from;
  std::vector<MailAddress> to;
  std::string subject;     // UTF-8; encoded words are mail/'s job
  std::string text;        // UTF-8, the only body part
  std::string message_id;  // without angle brackets
  std::vector<std::string> in_reply_to, references;
  // RFC 3834: "auto-replied" (an answer to a message) or "auto-generated"
  // (a notice); empty for mail a person wrote (an agent's reply).
  std::string auto_submitted;
  std::vector<MailHeader> extra_headers;  // e.g. X-Loop
  Instant date{};
};

}  // namespace sd
