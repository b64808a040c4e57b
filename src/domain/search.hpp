// What people type into a search box, read into terms every back end can
// match safely. Pure: the store turns terms into its own syntax (FTS5 MATCH
// strings, PostgreSQL tsquery text); nothing the user typed ever reaches
// either syntax except as the letters and digits of a quoted term.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/error.hpp"
#include "domain/model.hpp"

namespace sd {

// One thing to find: a word, or several words one after the other (a phrase
// in quotes, or a word the punctuation inside split, such as "wi-fi"). The
// words hold letters, digits and combining marks only, separated by one
// space; the back ends fold case and accents as they index.
// A word of fewer letters matches whole words only: "pc" finds "pc", and
// "im" does not find every word that begins so (the index keeps no prefixes
// that short, which makes each ticket's create cheaper).
constexpr std::size_t kMinPrefixLetters = 3;

struct SearchTerm {
  SearchTerm() = default;
  SearchTerm(std::string w, bool p, std::string typed = {})
      : words(std::move(w)), prefix(p), text(std::move(typed)) {}
  std::string words;
  bool prefix = false;  // the last word also matches longer words ("impres" -> "impresora")
  // The term as typed, without quotes, backslashes or controls, for a back
  // end that splits text into words its own way (PostgreSQL reads
  // "SD-000123" and "ana@example.com" as it read them in the tickets).
  std::string text;
  bool operator==(const SearchTerm& o) const { return words == o.words && prefix == o.prefix; }
};

struct SearchQuery {
  std::vector<SearchTerm> terms;  // all must match (or, for suggestions, any)
  // What the query names directly, found first: a ticket's number
  // (SD-000123 or sd-123 anywhere, a bare number when it is the whole
  // query) and an email address.
  std::optional<Id> ticket_number;
  std::optional<std::string> email;  // as normalize_email gives it
  bool nothing = false;              // can find nothing (see search_finds_nothing)
};

constexpr std::size_t kMaxSearchChars = 500;
constexpr std::size_t kMaxSearchTerms = 16;

// Reads a query: words (each a prefix too, when it has two letters or more),
// "exact phrases" (an unclosed quote runs to the end), a ticket number, an
// email address. Operators and punctuation of any search syntax (OR, NEAR(,
// *, ^, column:, {cols}, -x, parentheses) are nothing but separators, and
// control characters are spaces. Errors (invalid_input): not UTF-8, longer
// than kMaxSearchChars, more than kMaxSearchTerms terms, or nothing to
// search for.
Result<SearchQuery> parse_search(std::string_view q);

// Text that is a search for nothing: valid UTF-8 within the limits, but
// without a letter or digit ("*", "%", "\""). parse_search refuses it; a
// filter box may take it as finding nothing instead.
bool search_finds_nothing(std::string_view q);

// The words of free text worth matching when any of them may (a subject
// being typed, a ticket to suggest articles for): three letters or more,
// not a common Spanish or English word, each a prefix, at most `max` of the
// longest, no repeats.
std::vector<SearchTerm> significant_terms(std::string_view text, std::size_t max = 12);

// Snippets come from the back ends with these around each match.
constexpr char kMarkOpen = '\x01';
constexpr char kMarkClose = '\x02';
// And with these for < > & (a back end that would read them as markup, and
// drops control characters): U+E000, U+E001, U+E002, private use.
constexpr std::string_view kLessThan = "\xEE\x80\x80";
constexpr std::string_view kGreaterThan = "\xEE\x80\x81";
constexpr std::string_view kAmpersand = "\xEE\x80\x82";

// The snippet as safe HTML: the text escaped, each marked match in <mark>,
// other control characters dropped, marks balanced. Whatever the stored
// text holds, the result is only text and <mark> elements.
std::string snippet_html(std::string_view marked);

}  // namespace sd
