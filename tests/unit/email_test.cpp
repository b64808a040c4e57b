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

TEST(Search, FoldedContainsAllAgreesWithSearchFold) {
  const auto words = search_words("telefonica ANDRES");
  EXPECT_TRUE(folded_contains_all("La línea de TELEFÓNICA no da tono", "Llamó Andrés", words));
  EXPECT_FALSE(folded_contains_all("La línea de TELEFÓNICA no da tono", "Llamó Ana", words))
      << "every word must be there";
  EXPECT_TRUE(folded_contains_all("Telefónica y Andrés", words)) << "one text";
  // The words of the two texts do not run together across the join.
  EXPECT_FALSE(folded_contains_all("tele", "fonica", search_words("telefonica")));
  // Spaces of every kind squeeze to one, as in search_fold; marks go; ß is ss.
  EXPECT_TRUE(folded_contains_all("no\xc2\xa0\t\n  imprime", search_words("no imprime")));
  EXPECT_TRUE(
      folded_contains_all("cafe\xcc\x81 Stra\xc3\x9f"
                          "e",
                          search_words("café strasse")));
  // Beyond the table (CJK, emoji) and bytes that are not UTF-8 match themselves.
  EXPECT_TRUE(folded_contains_all("impresora \xe5\x8d\xb0\xe5\x88\xb7 \xf0\x9f\x96\xa8",
                                  search_words("\xe5\x8d\xb0\xe5\x88\xb7 \xf0\x9f\x96\xa8")));
  EXPECT_FALSE(folded_contains_all("caf\xff", search_words("cafe")));
  // For a sample of texts, the same answer as folding with search_fold.
  for (const char* text : {"Ñandú ÁRBOL", "Œuvre ǅemal", "ΣΊΣΥΦΟΣ", "İstanbul", "x\xe2\x80\x8by"}) {
    const std::string folded = search_fold(text);
    for (const auto& w : search_words(text))
      EXPECT_TRUE(folded_contains_all(text, {w})) << text << " / " << w;
    EXPECT_EQ(folded_contains_all(text, {folded}), true) << text;
  }
}

}  // namespace
}  // namespace sd
