// IMAP's text on the wire, for mail/imap.cpp: folder names in modified
// UTF-7, flags and search criteria, the untagged replies the client reads,
// and a FETCH literal read back line by line. Pure and thread-safe; apart
// from the tests, only imap.cpp includes this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/error.hpp"
#include "mail/imap.hpp"

namespace sd::mail::imap_wire {

// ASCII case-insensitive comparisons, as IMAP's atoms are compared.
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::size_t ifind(std::string_view s, std::string_view needle);

std::string_view trim_crlf(std::string_view line);
std::vector<std::string_view> split_lines(std::string_view text);  // without their CRLF
std::optional<std::uint64_t> parse_number(std::string_view s);     // the digits it starts with
// The number right after `key` (matched case-insensitively) in `line`.
std::optional<std::uint64_t> number_after(std::string_view line, std::string_view key);

// A flag the desk may name: a system flag it can set (\Seen, \Answered,
// \Flagged, \Deleted, \Draft) or a keyword atom ("$SDIngested").
bool valid_flag(std::string_view flag);
// SEARCH criteria for "does not carry `flag`". REQUIRES: valid_flag(flag).
std::string without_flag(std::string_view flag);
// An IMAP quoted string.
std::string quoted(std::string_view s);
// libcurl percent-decodes a custom request before it sends it: '%' as %25.
std::string custom_escape(std::string_view command);

// "A001 NO ...", "* BAD ...": the server refused something.
bool is_refusal(std::string_view line);

// UIDVALIDITY, UIDNEXT and EXISTS out of a SELECT's untagged replies (0
// for what is missing).
FolderState parse_select(std::string_view untagged);
// Every number of the "* SEARCH n n ..." replies among `untagged`.
std::vector<std::uint64_t> parse_search(std::string_view untagged);

// An untagged FETCH reply: "* 12 FETCH (UID 34 FLAGS (\Seen $SDIngested))".
struct FetchReply {
  std::optional<std::uint64_t> uid;
  std::optional<std::vector<std::string>> flags;
};
std::optional<FetchReply> parse_fetch_reply(std::string_view line);
bool has_flag(const std::vector<std::string>& flags, std::string_view flag);

// Reads the literal of "* n FETCH (UID u BODY[] {size}" out of the lines of
// a reply as libcurl hands them to the header callback, one at a time,
// refusing it beyond max_bytes. The literal is whole when state is done.
struct LiteralReader {
  enum class State { before, in_literal, after, done };
  std::size_t max_bytes = 0;
  State state = State::before;
  std::size_t remaining = 0, size = 0;
  std::string data;    // the literal's bytes
  std::string around;  // the reply's text before and after the literal (its UID)
  bool too_big = false;

  // False to abort the transfer (too big). `literal` tells whether the line
  // was (partly) message bytes.
  bool feed(std::string_view line, bool& literal);

 private:
  void after(std::string_view rest);
};

// The folder name as IMAP wants it: modified UTF-7 (RFC 3501 5.1.3).
// invalid_input when `utf8` is empty, not valid UTF-8 or holds control
// characters.
Result<std::string> utf7_folder(std::string_view utf8);

}  // namespace sd::mail::imap_wire
