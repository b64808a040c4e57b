#include "domain/text.hpp"

#include <gtest/gtest.h>

#include "domain/model.hpp"

namespace sd {
namespace {

TEST(Text, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("Conexión inalámbrica — ✓ 😀"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("ab\x80"));
  EXPECT_EQ(utf8_length("añ😀"), 3u);
}

TEST(Text, CheckText) {
  std::vector<FieldError> errs;
  check_text(errs, "subject", "", 10, TextKind::single_line, true);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].field, "subject");
  errs.clear();
  check_text(errs, "subject", "ñññññ", 5, TextKind::single_line, true);
  EXPECT_TRUE(errs.empty()) << "five characters fit in five, whatever their bytes";
  check_text(errs, "subject", "ññññññ", 5, TextKind::single_line, true);
  EXPECT_EQ(errs.size(), 1u);
  errs.clear();
  check_text(errs, "subject", "a\nb", 5, TextKind::single_line, true);
  EXPECT_EQ(errs.size(), 1u);
  errs.clear();
  check_text(errs, "body", "a\nb", 5, TextKind::multi_line, true);
  EXPECT_TRUE(errs.empty());
  check_text(errs, "body", std::string("a\0b", 3), 5, TextKind::multi_line, true);
  EXPECT_EQ(errs.size(), 1u);
}

TEST(Text, Email) {
  EXPECT_TRUE(looks_like_email("ana@example.com"));
  EXPECT_FALSE(looks_like_email("ana"));
  EXPECT_FALSE(looks_like_email("ana@localhost"));
  EXPECT_FALSE(looks_like_email("a b@example.com"));
  EXPECT_FALSE(looks_like_email("a@b@example.com"));
}

TEST(Text, TicketNumbers) {
  EXPECT_EQ(ticket_number(123), "SD-000123");
  EXPECT_EQ(ticket_number(1234567), "SD-1234567");
  EXPECT_EQ(parse_ticket_number("SD-000123"), 123);
  EXPECT_FALSE(parse_ticket_number("SD-"));
  EXPECT_FALSE(parse_ticket_number("SD-12x"));
  EXPECT_FALSE(parse_ticket_number("XX-1"));
}

}  // namespace
}  // namespace sd
