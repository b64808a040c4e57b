// MIME with GMime 3: RFC 5322 bytes as the desk's InboundMail value, and an
// OutgoingMail as bytes ready for SMTP. The outer layer of the email
// channel; the rules that judge a message live in domain/mail.hpp.
// Thread-safe once init_mime() has run: calls share no mutable state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "domain/error.hpp"
#include "domain/mail.hpp"

namespace sd::mail {

// Initialises GMime (g_mime_init) once for the process, however many
// threads call it. Call it before any other function here; they also call
// it themselves, so forgetting costs nothing but the first call's time.
void init_mime();

// Bounds on what one message may make the parser do.
struct ParseLimits {
  std::size_t max_bytes = std::size_t{40} * 1024 * 1024;  // larger input: refused
  int max_parts = 500;  // MIME parts walked (multiparts too); beyond: ignored, noted
  int max_depth = 20;   // nesting of multiparts and message/rfc822; deeper: ignored, noted
};

// What parse_message left out or had to mend, for the log.
struct ParseNotes {
  bool parts_truncated = false;  // more than max_parts parts: the rest ignored
  bool depth_truncated = false;  // nesting deeper than max_depth: the deeper parts ignored
  bool header_repaired = false;  // lines of the top header that were not fields were dropped
  int parts_walked = 0;
};

// Parses a message best-effort: every header of the top message (Content-*
// ones too, in the order written), the threading ids, the addresses (groups
// flattened), the date, the text, the attachments, and whether it is a
// delivery report. The text is the first text/plain or text/html part that
// is neither an attachment nor named like a file (plain preferred within a
// multipart/alternative; HTML made text with html_to_text), with LF line
// ends and no control characters but tabs. Every other leaf part is an
// attachment, later inline text parts included, so that nothing is lost; an
// attached message is one, named from its subject. Charsets are converted
// to UTF-8 and bad bytes repaired, so every string in the result is valid
// UTF-8 (the attachments' data excepted: those are the decoded bytes).
// Refuses (ErrorCode::invalid_input) only input that is empty, larger than
// limits.max_bytes, or has no header field at all; fails (internal) only
// when memory runs out. Never throws, on any input; the work is linear in
// the input's size. `notes`, when given, says what was ignored or mended.
Result<InboundMail> parse_message(std::string_view raw, const ParseLimits& limits = {},
                                  ParseNotes* notes = nullptr);

// The message as RFC 5322 bytes with CRLF line ends and no line over 998
// characters, ready for SMTP: From, To, Subject (RFC 2047-encoded when not
// ASCII), Date (from m.date), Message-ID (made up when m.message_id is
// empty), In-Reply-To and References when set, Auto-Submitted when set,
// MIME-Version, then m.extra_headers (a name that is not a valid field name,
// or that names one of the headers above, Bcc or a Content-* one, is
// skipped; line breaks in values become spaces), and one text/plain;
// charset=utf-8 body, quoted-printable (base64 when most of its bytes are
// not ASCII, as in Cyrillic or Japanese text).
std::string compose_message(const OutgoingMail& m);

}  // namespace sd::mail
