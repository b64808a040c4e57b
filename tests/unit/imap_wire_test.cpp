// IMAP's text as mail/imap.cpp writes and reads it: folder names in modified
// UTF-7 (so that a desk can read "Soporte técnico" as well as INBOX), flags,
// the untagged replies of SELECT, SEARCH and FETCH, and a FETCH literal read
// back line by line as libcurl hands the lines over.
#include "mail/imap_wire.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sd::mail::imap_wire {
namespace {

TEST(ImapWire, EncodesFolderNamesAsModifiedUtf7) {
  struct Case {
    const char* utf8;
    const char* wire;
  };
  const Case cases[] = {
      {"INBOX", "INBOX"},
      {"Soporte técnico", "Soporte t&AOk-cnico"},
      {"A & B", "A &- B"},
      {"Año/Ñandú", "A&APE-o/&ANE-and&APo-"},
      {"日本語", "&ZeVnLIqe-"},                                        // RFC 3501's example
      {"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},  // ',' for '/'
      {"😀", "&2D3eAA-"},           // beyond the BMP: a surrogate pair
      {"a\"b\\c%d", "a\"b\\c%d"},  // quoting and escaping come later
  };
  for (const auto& c : cases) {
    auto w = utf7_folder(c.utf8);
    ASSERT_TRUE(w) << c.utf8;
    EXPECT_EQ(*w, c.wire) << c.utf8;
  }
}

TEST(ImapWire, RefusesFolderNamesThatAreNotText) {
  const std::string cases[] = {
      "",
      "bad\xff",
      "cut\xc3",
      "\xc0\xaf",
      "line\r\nbreak",
      std::string("nul\0x", 5),
      "\xed\xa0\x80",  // a lone surrogate
  };
  for (const auto& c : cases) {
    auto w = utf7_folder(c);
    ASSERT_FALSE(w) << c;
    EXPECT_EQ(w.error().code, ErrorCode::invalid_input) << c;
  }
}

TEST(ImapWire, QuotesAndEscapesCommands) {
  EXPECT_EQ(quoted("Soporte t&AOk-cnico"), "\"Soporte t&AOk-cnico\"");
  EXPECT_EQ(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(custom_escape("SELECT \"100% done\""), "SELECT \"100%25 done\"");
}

TEST(ImapWire, KnowsFlags) {
  for (const char* ok : {"$SDIngested", "\\Seen", "\\seen", "\\Flagged", "Junk", "$Label1"})
    EXPECT_TRUE(valid_flag(ok)) << ok;
  for (const char* bad : {"", "\\Recent", "\\Other", "two words", "a(b", "a)b", "a{b", "a%b", "a*b",
                          "a\"b", "a]b", "a\\b", "line\r\n", "caf\xc3\xa9"})
    EXPECT_FALSE(valid_flag(bad)) << bad;
  EXPECT_EQ(without_flag("$SDIngested"), "UNKEYWORD $SDIngested");
  EXPECT_EQ(without_flag("\\Seen"), "UNSeen");
  EXPECT_EQ(without_flag("\\Deleted"), "UNDeleted");
}

TEST(ImapWire, ReadsSelect) {
  auto st = parse_select(
      "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
      "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags "
      "permitted.\r\n"
      "* 2 EXISTS\r\n"
      "* 0 RECENT\r\n"
      "* OK [UIDVALIDITY 1796205668] UIDs valid\r\n"
      "* OK [UIDNEXT 3] Predicted next UID\r\n");
  EXPECT_EQ(st.uidvalidity, 1796205668u);
  EXPECT_EQ(st.uidnext, 3u);
  EXPECT_EQ(st.exists, 2u);
  auto empty = parse_select("* OK\r\n* NO\r\n");
  EXPECT_EQ(empty.uidvalidity, 0u);
  EXPECT_EQ(empty.exists, 0u);
}

TEST(ImapWire, ReadsSearch) {
  EXPECT_EQ(parse_search("* SEARCH 1 2 30\r\n"), (std::vector<std::uint64_t>{1, 2, 30}));
  EXPECT_EQ(parse_search("* SEARCH\r\n"), std::vector<std::uint64_t>{});
  EXPECT_EQ(parse_search("* 3 EXISTS\r\n* SEARCH 4\r\n* search 5 6\r\n"),
            (std::vector<std::uint64_t>{4, 5, 6}));
}

TEST(ImapWire, ReadsFetchReplies) {
  auto r = parse_fetch_reply("* 12 FETCH (UID 34 FLAGS (\\Seen $SDIngested))");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->uid, 34u);
  ASSERT_TRUE(r->flags);
  EXPECT_EQ(*r->flags, (std::vector<std::string>{"\\Seen", "$SDIngested"}));
  EXPECT_TRUE(has_flag(*r->flags, "$sdingested"));
  EXPECT_FALSE(has_flag(*r->flags, "\\Flagged"));

  r = parse_fetch_reply("* 1 FETCH (FLAGS () UID 7)");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->uid, 7u);
  ASSERT_TRUE(r->flags);
  EXPECT_TRUE(r->flags->empty());

  r = parse_fetch_reply("* 1 FETCH (FLAGS (XUID 9))");  // a keyword is not the UID item
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->uid);
  EXPECT_FALSE(parse_fetch_reply("* SEARCH 1"));
  EXPECT_FALSE(parse_fetch_reply("A003 OK done"));
}

TEST(ImapWire, TellsRefusals) {
  EXPECT_TRUE(is_refusal("A002 NO [AUTHENTICATIONFAILED] Authentication failed."));
  EXPECT_TRUE(is_refusal("A003 BAD Error in IMAP command"));
  EXPECT_TRUE(is_refusal("* NO"));
  EXPECT_FALSE(is_refusal("A004 OK Logout completed"));
  EXPECT_FALSE(is_refusal("* NOTHING"));
}

// Feeds `lines` as libcurl would: one header callback per line.
LiteralReader read(const std::vector<std::string>& lines, std::size_t max_bytes,
                   std::size_t* literal_lines = nullptr) {
  LiteralReader r;
  r.max_bytes = max_bytes;
  std::size_t n = 0;
  for (const auto& l : lines) {
    bool literal = false;
    if (!r.feed(l, literal)) break;
    if (literal) ++n;
  }
  if (literal_lines) *literal_lines = n;
  return r;
}

TEST(ImapWire, ReadsALiteralLineByLine) {
  std::size_t literal_lines = 0;
  auto r = read({"* 1 FETCH (UID 5 FLAGS (\\Seen))\r\n",  // unsolicited, before ours
                 "* 2 FETCH (UID 7 BODY[] {22}\r\n", "Subject: x\r\n", "\r\n", "* body\r\n",
                 ")\r\n", "A005 OK Fetch completed.\r\n"},
                1000, &literal_lines);
  EXPECT_EQ(r.state, LiteralReader::State::done);
  EXPECT_EQ(r.data, "Subject: x\r\n\r\n* body\r\n");
  EXPECT_EQ(literal_lines, 3u);
  EXPECT_EQ(number_after(r.around, "UID "), 7u);

  // A message that does not end with CRLF: the reply goes on after it on the same line.
  r = read({"* 2 FETCH (BODY[] {5}\r\n", "hello UID 7)\r\n", "A005 OK\r\n"}, 1000);
  EXPECT_EQ(r.state, LiteralReader::State::done);
  EXPECT_EQ(r.data, "hello");
  EXPECT_EQ(number_after(r.around, "UID "), 7u);

  r = read({"* 2 FETCH (UID 7 BODY[] {0}\r\n", ")\r\n"}, 1000);
  EXPECT_EQ(r.state, LiteralReader::State::done);
  EXPECT_EQ(r.data, "");
}

TEST(ImapWire, RefusesALiteralTooBigBeforeReadingIt) {
  auto r = read({"* 2 FETCH (UID 7 BODY[] {1001}\r\n", std::string(1001, 'x'), ")\r\n"}, 1000);
  EXPECT_TRUE(r.too_big);
  EXPECT_EQ(r.size, 1001u);
  EXPECT_TRUE(r.data.empty());
}

TEST(ImapWire, KnowsALiteralThatStoppedShort) {
  // libcurl took a line of the message for the tagged reply, or clipped a long line.
  auto r = read({"* 2 FETCH (UID 7 BODY[] {100}\r\n", "Subject: x\r\n"}, 1000);
  EXPECT_EQ(r.state, LiteralReader::State::in_literal);
  r = read({"* 2 FETCH (UID 7 BODY[] {3}\r\n", "abc\r\n"}, 1000);
  EXPECT_EQ(r.state, LiteralReader::State::after);  // no closing parenthesis seen
}

}  // namespace
}  // namespace sd::mail::imap_wire
