#include "domain/email.hpp"

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "domain/text.hpp"

namespace sd {
namespace {

struct Freer {
  void operator()(std::uint8_t* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<std::uint8_t, Freer>;

const std::uint8_t* bytes(std::string_view s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

std::string nfc(std::string_view s) {
  std::size_t len = 0;
  Buffer out(u8_normalize(UNINORM_NFC, bytes(s), s.size(), nullptr, &len));
  if (!out) return std::string(s);
  return std::string(reinterpret_cast<const char*>(out.get()), len);
}

std::string casefold(std::string_view s) {
  std::size_t len = 0;
  Buffer out(u8_casefold(bytes(s), s.size(), nullptr, UNINORM_NFC, nullptr, &len));
  if (!out) return std::string(s);
  return std::string(reinterpret_cast<const char*>(out.get()), len);
}

// Calls f(code point, byte offset, byte length) for each code point.
template <class F>
void each(std::string_view s, F f) {
  std::size_t i = 0;
  while (i < s.size()) {
    ucs4_t cp = 0;
    const int n = u8_mbtouc(&cp, bytes(s) + i, s.size() - i);
    f(cp, i, static_cast<std::size_t>(n > 0 ? n : 1));
    i += static_cast<std::size_t>(n > 0 ? n : 1);
  }
}

bool invisible(ucs4_t cp) {
  return uc_is_general_category(cp, UC_CATEGORY_Cc) || uc_is_general_category(cp, UC_CATEGORY_Cf) ||
         uc_is_general_category(cp, UC_CATEGORY_Z) || uc_is_property_white_space(cp) ||
         uc_is_general_category(cp, UC_CATEGORY_Co) || uc_is_general_category(cp, UC_CATEGORY_Cn);
}

std::string trimmed(const std::string& s) {
  std::size_t begin = 0, end = s.size();
  bool more = true;
  while (more && begin < end) {
    more = false;
    ucs4_t cp = 0;
    const int n = u8_mbtouc(&cp, bytes(s) + begin, end - begin);
    if (n > 0 && uc_is_property_white_space(cp)) {
      begin += static_cast<std::size_t>(n);
      more = true;
    }
  }
  // From the end: step back to each code point's first byte.
  while (end > begin) {
    std::size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    ucs4_t cp = 0;
    const int n = u8_mbtouc(&cp, bytes(s) + start, end - start);
    if (n <= 0 || !uc_is_property_white_space(cp)) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

}  // namespace

Result<Email> normalize_email(std::string_view text, std::string_view field) {
  if (!is_valid_utf8(text))
    return field_error(std::string(field), "is not valid UTF-8", "invalid_text");
  const std::string address = trimmed(nfc(text));
  bool hidden = false;
  each(address, [&](ucs4_t cp, std::size_t, std::size_t) { hidden = hidden || invisible(cp); });
  if (hidden)
    return field_error(std::string(field), "contains invisible, space or control characters",
                       "invalid_text");
  if (!looks_like_email(address))
    return field_error(std::string(field), "is not an email address", "invalid_format");
  const auto at = address.rfind('@');
  std::set<std::string> scripts;
  each(std::string_view(address).substr(0, at), [&](ucs4_t cp, std::size_t, std::size_t) {
    const uc_script_t* script = uc_script(cp);
    if (!script || !script->name) return;
    if (std::strcmp(script->name, "Common") == 0 || std::strcmp(script->name, "Inherited") == 0)
      return;
    scripts.insert(script->name);
  });
  if (scripts.size() > 1)
    return field_error(std::string(field), "mixes letters of several scripts before the @",
                       "mixed_script");
  Email out;
  out.address = to_lower_ascii(address);
  out.key = casefold(out.address);
  return out;
}

std::string search_fold(std::string_view text) {
  if (!is_valid_utf8(text)) return {};
  // Decomposed, the accents are marks of their own, which go.
  std::size_t len = 0;
  Buffer nfd(u8_normalize(UNINORM_NFD, bytes(text), text.size(), nullptr, &len));
  std::string bare;
  const std::string_view decomposed =
      nfd ? std::string_view(reinterpret_cast<const char*>(nfd.get()), len) : text;
  bool space = true;
  each(decomposed, [&](ucs4_t cp, std::size_t at, std::size_t n) {
    if (uc_is_general_category(cp, UC_CATEGORY_M)) return;
    if (uc_is_property_white_space(cp) || uc_is_general_category(cp, UC_CATEGORY_C)) {
      if (!space) bare += ' ';
      space = true;
      return;
    }
    bare.append(decomposed.substr(at, n));
    space = false;
  });
  while (!bare.empty() && bare.back() == ' ') bare.pop_back();
  return casefold(bare);
}

std::vector<std::string> search_words(std::string_view q) {
  std::vector<std::string> words;
  const std::string folded = search_fold(q);
  std::size_t i = 0;
  while (i < folded.size()) {
    auto end = folded.find(' ', i);
    if (end == std::string::npos) end = folded.size();
    if (end > i) words.push_back(folded.substr(i, end - i));
    i = end + 1;
  }
  return words;
}

namespace {

// The fold of each code point below kTableEnd (Latin, Greek, Cyrillic, the
// general punctuation...), as search_fold gives it between two letters: a
// space stays one space, a combining mark is nothing, "ß" is "ss".
constexpr ucs4_t kTableEnd = 0x3000;

std::string fold_between_letters(ucs4_t cp) {
  std::uint8_t buf[6];
  const int n = u8_uctomb(buf, cp, sizeof buf);
  if (n <= 0) return {};
  const std::string raw(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
  const std::string f = search_fold("a" + raw + "a");
  if (f.size() >= 2 && f.front() == 'a' && f.back() == 'a') return f.substr(1, f.size() - 2);
  return raw;
}

struct FoldTable {
  std::vector<std::uint32_t> start;  // kTableEnd + 1 offsets into text
  std::string text;
};

const FoldTable& fold_table() {
  static const FoldTable table = [] {
    FoldTable t;
    t.start.reserve(kTableEnd + 1);
    for (ucs4_t cp = 0; cp < kTableEnd; ++cp) {
      t.start.push_back(static_cast<std::uint32_t>(t.text.size()));
      if (cp < 0x80) {
        char c = static_cast<char>(cp);
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (cp < 0x20 || cp == 0x7F || c == ' ') c = ' ';
        t.text += c;
      } else {
        t.text += fold_between_letters(cp);
      }
    }
    t.start.push_back(static_cast<std::uint32_t>(t.text.size()));
    return t;
  }();
  return table;
}

// Appends the fold of `s` to out, spaces squeezed (`space`: the last thing
// appended was a space, or nothing yet).
void fold_append(std::string_view s, std::string& out, bool& space) {
  const FoldTable& t = fold_table();
  auto put = [&](std::string_view piece) {
    for (char c : piece) {
      if (c == ' ') {
        if (!space) out += ' ';
        space = true;
      } else {
        out += c;
        space = false;
      }
    }
  };
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      put(std::string_view(t.text).substr(t.start[c], 1));
      ++i;
      continue;
    }
    ucs4_t cp = 0;
    const int n = u8_mbtouc(&cp, bytes(s) + i, s.size() - i);
    const std::size_t len = static_cast<std::size_t>(n > 0 ? n : 1);
    if (cp == 0xFFFD && len == 1) {
      put(s.substr(i, 1));  // not UTF-8: the byte itself
    } else if (cp < kTableEnd) {
      put(std::string_view(t.text).substr(t.start[cp], t.start[cp + 1] - t.start[cp]));
    } else {
      put(fold_between_letters(cp));
    }
    i += len;
  }
}

bool contains_all(const std::string& folded, const std::vector<std::string>& words) {
  for (const auto& w : words)
    if (folded.find(w) == std::string::npos) return false;
  return true;
}

}  // namespace

bool folded_contains_all(std::string_view text, const std::vector<std::string>& words) {
  thread_local std::string buf;
  buf.clear();
  bool space = true;
  fold_append(text, buf, space);
  return contains_all(buf, words);
}

bool folded_contains_all(std::string_view a, std::string_view b,
                         const std::vector<std::string>& words) {
  thread_local std::string buf;
  buf.clear();
  bool space = true;
  fold_append(a, buf, space);
  if (!space) buf += ' ';
  space = true;
  fold_append(b, buf, space);
  return contains_all(buf, words);
}

std::string email_key(std::string_view text) {
  if (!is_valid_utf8(text)) return {};
  return casefold(to_lower_ascii(trimmed(nfc(text))));
}

}  // namespace sd
