#include "domain/search.hpp"

#include <unictype.h>
#include <unistr.h>

#include <algorithm>
#include <set>

#include "domain/email.hpp"
#include "domain/model.hpp"
#include "domain/text.hpp"

namespace sd {
namespace {

const std::uint8_t* bytes(std::string_view s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

// Letters, digits and combining marks make words; everything else parts them.
bool word_char(ucs4_t cp) {
  return uc_is_general_category(cp, UC_CATEGORY_L) || uc_is_general_category(cp, UC_CATEGORY_N) ||
         uc_is_general_category(cp, UC_CATEGORY_M);
}

// The words of `s`, joined by one space. REQUIRES: valid UTF-8.
std::string words_of(std::string_view s, std::size_t* count = nullptr) {
  std::string out;
  bool in_word = false;
  std::size_t n_words = 0;
  for (std::size_t i = 0; i < s.size();) {
    ucs4_t cp = 0;
    const int n = u8_mbtouc(&cp, bytes(s) + i, s.size() - i);
    const std::size_t len = n > 0 ? static_cast<std::size_t>(n) : 1;
    if (word_char(cp) && !(uc_is_general_category(cp, UC_CATEGORY_M) && !in_word)) {
      if (!in_word && !out.empty()) out += ' ';
      if (!in_word) ++n_words;
      out.append(s.substr(i, len));
      in_word = true;
    } else {
      in_word = false;
    }
    i += len;
  }
  if (count) *count = n_words;
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// SD-000123, sd-123, or up to 12 digits.
std::optional<Id> ticket_number_of(std::string_view chunk) {
  std::string_view digits = chunk;
  if (chunk.size() > 3 && (chunk[0] == 'S' || chunk[0] == 's') &&
      (chunk[1] == 'D' || chunk[1] == 'd') && chunk[2] == '-')
    digits = chunk.substr(3);
  if (!all_digits(digits) || digits.size() > 12) return std::nullopt;
  Id n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  if (n <= 0) return std::nullopt;
  return n;
}

// The text of a term as typed, safe inside any quoted string.
std::string typed(std::string_view s) {
  std::string out;
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    out += (c == '\'' || c == '\\' || c == '"' || u < 0x20 || u == 0x7F) ? ' ' : c;
  }
  return out;
}

void add_term(std::vector<SearchTerm>& terms, std::string words, bool quoted,
              std::string_view as_typed) {
  if (words.empty()) return;
  SearchTerm t;
  t.text = typed(as_typed);
  // A quoted phrase is exact; a word is a prefix as well, unless it is a
  // number (123 must not find 1234) or shorter than kMinPrefixLetters.
  const auto sp = words.rfind(' ');
  const std::string_view last =
      sp == std::string::npos ? std::string_view(words) : std::string_view(words).substr(sp + 1);
  t.prefix = !quoted && utf8_length(last) >= kMinPrefixLetters && !all_digits(last);
  t.words = std::move(words);
  if (std::find(terms.begin(), terms.end(), t) == terms.end()) terms.push_back(std::move(t));
}

bool is_space_or_control(unsigned char c) { return c <= 0x20 || c == 0x7F; }

// Where a chunk of the query ends: spaces and controls, and the operators
// of search syntaxes ("NEAR(a", "subject:foo" are two words). What joins
// the parts of one thing (wi-fi, 3.5, ana@example.com, SD-000123) does not.
bool ends_chunk(unsigned char c) {
  if (is_space_or_control(c)) return true;
  switch (c) {
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case ':':
    case '^':
    case '*':
    case '!':
    case '|':
    case '&':
    case '<':
    case '>':
    case ',':
    case ';':
    case '?':
    case '=':
    case '~':
    case '"':
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<SearchQuery> parse_search(std::string_view q) {
  if (!is_valid_utf8(q))
    return make_error(ErrorCode::invalid_input, "the search is not valid UTF-8");
  if (utf8_length(q) > kMaxSearchChars)
    return make_error(
        ErrorCode::invalid_input,
        "the search is longer than " + std::to_string(kMaxSearchChars) + " characters");
  SearchQuery out;
  std::size_t chunks = 0;
  bool bare_number = false;
  std::size_t i = 0;
  while (i < q.size()) {
    const unsigned char c = static_cast<unsigned char>(q[i]);
    if (c != '"' && ends_chunk(c)) {
      ++i;
      continue;
    }
    if (c == '"') {
      auto end = q.find('"', i + 1);
      if (end == std::string_view::npos) end = q.size();
      add_term(out.terms, words_of(q.substr(i + 1, end - i - 1)), true,
               q.substr(i + 1, end - i - 1));
      i = end + 1;
      ++chunks;
      continue;
    }
    std::size_t end = i;
    while (end < q.size() && !ends_chunk(static_cast<unsigned char>(q[end]))) ++end;
    const std::string_view chunk = q.substr(i, end - i);
    i = end;
    ++chunks;
    if (!out.email && looks_like_email(chunk)) {
      auto e = normalize_email(chunk, "q");
      if (e) {
        out.email = e->address;
        add_term(out.terms, words_of(chunk), true, chunk);
        continue;
      }
    }
    if (auto n = ticket_number_of(chunk)) {
      if (!out.ticket_number) {
        out.ticket_number = n;
        bare_number = chunk.front() >= '0' && chunk.front() <= '9';
      }
      add_term(out.terms, words_of(chunk), true, chunk);
      continue;
    }
    add_term(out.terms, words_of(chunk), false, chunk);
  }
  // A bare number names a ticket only when it is the whole search
  // ("impresora 3" is about a printer).
  if (bare_number && chunks > 1) out.ticket_number.reset();
  if (out.terms.size() > kMaxSearchTerms)
    return make_error(ErrorCode::invalid_input,
                      "the search has more than " + std::to_string(kMaxSearchTerms) + " words");
  if (out.terms.empty() && !out.ticket_number && !out.email)
    return make_error(ErrorCode::invalid_input, "the search has no letters or digits");
  return out;
}

bool search_finds_nothing(std::string_view q) {
  return is_valid_utf8(q) && utf8_length(q) <= kMaxSearchChars && words_of(q).empty();
}

std::vector<SearchTerm> significant_terms(std::string_view text, std::size_t max) {
  static const std::set<std::string, std::less<>> kCommon = {
      // Spanish
      "que", "los", "las", "del", "por", "para", "con", "una", "uno", "unos", "unas", "como", "mas",
      "pero", "sus", "les", "nos", "sin", "sobre", "este", "esta", "esto", "estos", "estas", "ese",
      "esa", "eso", "cuando", "muy", "hay", "desde", "todo", "todos", "tiene", "tengo", "puedo",
      "puede", "ayuda", "favor", "hola", "buenos", "buenas", "dias", "tardes", "gracias", "mis",
      "algo", "ya", "fue", "ser", "son", "esta", "estoy", "mi", "me", "al", "porque", "donde",
      "entre", "tambien", "hace", "otra", "otro", "cual", "quien",
      // English
      "the", "and", "for", "with", "not", "but", "you", "your", "are", "was", "can", "cannot",
      "cant", "from", "this", "that", "have", "has", "had", "any", "all", "our", "out", "when",
      "what", "how", "why", "who", "please", "help", "hello", "thanks", "does", "doesn", "don",
      "dont", "isn", "into", "there", "they", "them", "then", "than", "will", "would", "could",
      "should", "get", "got", "its", "it's", "been", "being", "some", "since"};
  std::vector<SearchTerm> out;
  if (!is_valid_utf8(text)) return out;
  std::vector<std::string> words;
  for (auto& w : search_words(words_of(text))) {
    if (utf8_length(w) < 3 || kCommon.count(w) || all_digits(w)) continue;
    if (std::find(words.begin(), words.end(), w) == words.end()) words.push_back(std::move(w));
  }
  // The longest words say the most.
  std::stable_sort(words.begin(), words.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  if (words.size() > max) words.resize(max);
  for (auto& w : words) out.push_back(SearchTerm{w, true, w});
  return out;
}

std::string snippet_html(std::string_view marked) {
  std::string out;
  out.reserve(marked.size() + 32);
  bool open = false;
  for (std::size_t i = 0; i < marked.size(); ++i) {
    const char ch = marked[i];
    const unsigned char c = static_cast<unsigned char>(ch);
    const std::string_view rest = marked.substr(i);
    if (rest.starts_with(kLessThan) || rest.starts_with(kGreaterThan) ||
        rest.starts_with(kAmpersand)) {
      out += rest.starts_with(kLessThan)      ? "&lt;"
             : rest.starts_with(kGreaterThan) ? "&gt;"
                                              : "&amp;";
      i += kLessThan.size() - 1;
    } else if (ch == kMarkOpen) {
      if (!open) out += "<mark>";
      open = true;
    } else if (ch == kMarkClose) {
      if (open) out += "</mark>";
      open = false;
    } else if (ch == '&') {
      out += "&amp;";
    } else if (ch == '<') {
      out += "&lt;";
    } else if (ch == '>') {
      out += "&gt;";
    } else if (ch == '"') {
      out += "&quot;";
    } else if (ch == '\'') {
      out += "&#39;";
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c == 0x7F) {
      // dropped
    } else {
      out += ch;
    }
  }
  if (open) out += "</mark>";
  return out;
}

}  // namespace sd
