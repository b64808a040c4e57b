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

std::string email_key(std::string_view text) {
  if (!is_valid_utf8(text)) return {};
  return casefold(to_lower_ascii(trimmed(nfc(text))));
}

}  // namespace sd
