// Emails as people type them: normalised, refused when they could deceive,
// compared by their full case fold; and the folding that people searches use.
#include "domain/email.hpp"

#include <gtest/gtest.h>

#include "domain/text.hpp"

namespace sd {
namespace {

TEST(Email, NormalisesWhatPeopleType) {
  struct Case {
    const char* typed;
    const char* address;
    const char* key;
  };
  const Case cases[] = {
      {"ana@example.com", "ana@example.com", "ana@example.com"},
      {"  Ana@Example.COM\t", "ana@example.com", "ana@example.com"},
      {"STRASSE@example.com", "strasse@example.com", "strasse@example.com"},
      {"straße@example.com", "straße@example.com", "strasse@example.com"},
      // é written as e + combining acute is the same address as é.
      {"jos\x65\xcc\x81@example.com", "jos\xc3\xa9@example.com", "jos\xc3\xa9@example.com"},
      {"JOSÉ@example.com", "josÉ@example.com", "jos\xc3\xa9@example.com"},
  };
  for (const auto& c : cases) {
    auto e = normalize_email(c.typed);
    ASSERT_TRUE(e) << c.typed;
    EXPECT_EQ(e->address, c.address) << c.typed;
    EXPECT_EQ(e->key, c.key) << c.typed;
    EXPECT_EQ(email_key(c.typed), c.key) << c.typed;
  }
}

TEST(Email, RefusesWhatCouldDeceive) {
  struct Case {
    std::string typed;
    const char* code;
  };
  const Case cases[] = {
      {"ana\xe2\x80\x8b@example.com", "invalid_text"},  // zero-width space
      {"ana\xc2\xa0x@example.com", "invalid_text"},     // no-break space
      {"an\xc2\xad"
       "a@example.com",
       "invalid_text"},                                 // soft hyphen
      {"ana\xe2\x80\xae@example.com", "invalid_text"},  // right-to-left override
      {"ana@exa\xe2\x80\x8dmple.com", "invalid_text"},  // zero-width joiner
      {"p\xd0\xb0ypal@example.com", "mixed_script"},    // Latin p, Cyrillic а
      {"not an email", "invalid_text"},
      {"nobody.example.com", "invalid_format"},
      {std::string("a\x00@example.com", 15), "invalid_text"},
      {"\xff@example.com", "invalid_text"},
  };
  for (const auto& c : cases) {
    auto e = normalize_email(c.typed);
    ASSERT_FALSE(e) << c.typed;
    ASSERT_EQ(e.error().fields.size(), 1u);
    EXPECT_EQ(e.error().fields[0].code, c.code) << c.typed;
    EXPECT_EQ(e.error().fields[0].field, "email");
  }
  // One script alone is fine, whichever it is.
  EXPECT_TRUE(normalize_email("\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd@example.com"));  // иван
}

TEST(Search, FoldsAccentsCaseAndDigits) {
  EXPECT_EQ(search_fold("Telefónica"), "telefonica");
  EXPECT_EQ(search_fold("  JOSÉ   Pérez "), "jose perez");
  EXPECT_EQ(search_fold("Straße"), "strasse");
  EXPECT_EQ(digits_of("+52 (55) 1234-5678"), "525512345678");
  EXPECT_EQ(search_needle("55 1234-5678"), "5512345678") << "typed like a phone";
  EXPECT_EQ(search_needle("Peña 55"), "pena 55") << "a name with a number is text";
  EXPECT_EQ(search_needle("12"), "12") << "too few digits for a phone: text";
}

TEST(Search, WordsAreFoldedAndSplit) {
  EXPECT_EQ(search_words("  Impresora  SIN tóner "),
            (std::vector<std::string>{"impresora", "sin", "toner"}));
  EXPECT_TRUE(search_words(" \t ").empty());
}

}  // namespace
}  // namespace sd
