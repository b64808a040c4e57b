#include "mail/charset.hpp"

#include <gmime/gmime.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <utility>

#include "domain/text.hpp"

namespace sd::mail {

namespace {

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n\"'");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n\"'");
  return s.substr(b, e - b + 1);
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The length of the well-formed UTF-8 sequence at s[i], or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  std::size_t len;
  char32_t cp, min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  return len;
}

struct Utf8Census {
  std::size_t multibyte = 0;  // well-formed sequences beyond ASCII
  std::size_t invalid = 0;    // bytes that start no well-formed sequence
};

Utf8Census utf8_census(std::string_view s) {
  Utf8Census c;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      ++c.invalid;
      ++i;
    } else {
      if (n > 1) ++c.multibyte;
      i += n;
    }
  }
  return c;
}

}  // namespace

std::string repair_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 16);
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

namespace {

// Windows-1252, which is what mail labelled ISO-8859-1 (or not labelled at
// all) means in practice; its five unassigned bytes become U+FFFD.
std::string windows1252_to_utf8(std::string_view s) {
  static constexpr char16_t k80[32] = {
      0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80)
      out += ch;
    else if (c < 0xA0)
      append_utf8(out, k80[c - 0x80]);
    else
      append_utf8(out, c);
  }
  return out;
}

// Bytes whose charset is unknown: UTF-8 if they are, Windows-1252 if
// nothing in them looks like UTF-8, else UTF-8 with the bad bytes replaced.
std::string guess_to_utf8(std::string&& s) {
  const Utf8Census c = utf8_census(s);
  if (c.invalid == 0) return std::move(s);
  if (c.multibyte == 0) return windows1252_to_utf8(s);
  return repair_utf8(s);
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = g_ascii_tolower(c);
  return out;
}

// Converts with iconv; a byte it cannot convert becomes U+FFFD. nullopt
// when iconv does not know the charset.
std::optional<std::string> iconv_to_utf8(std::string_view s, const std::string& charset,
                                         std::size_t& errors) {
  iconv_t cd = g_mime_iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1))) return std::nullopt;
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  char* in = const_cast<char*>(s.data());
  std::size_t in_left = s.size();
  char buf[16384];
  while (in_left > 0) {
    char* o = buf;
    std::size_t o_left = sizeof buf;
    const std::size_t r = iconv(cd, &in, &in_left, &o, &o_left);
    const int err = errno;
    out.append(buf, static_cast<std::size_t>(o - buf));
    if (r != static_cast<std::size_t>(-1) || err == E2BIG) continue;
    // EILSEQ (a bad sequence), EINVAL (one cut short at the end) or worse:
    // skip a byte and go on.
    ++errors;
    out += kReplacement;
    ++in;
    --in_left;
  }
  char* o = buf;
  std::size_t o_left = sizeof buf;
  iconv(cd, nullptr, nullptr, &o, &o_left);  // the shift state's end
  out.append(buf, static_cast<std::size_t>(o - buf));
  g_mime_iconv_close(cd);
  return out;
}

bool is_utf8_label(std::string_view cs) {
  return cs == "utf-8" || cs == "utf8" || cs == "unicode-1-1-utf-8";
}
bool is_western_label(std::string_view cs) {
  return cs == "us-ascii" || cs == "ascii" || cs == "iso-8859-1" || cs == "iso8859-1" ||
         cs == "iso_8859-1" || cs == "latin1" || cs == "l1" || cs == "windows-1252" ||
         cs == "cp1252" || cs == "x-cp1252" || cs == "ansi_x3.4-1968";
}
// Labels whose real text is usually in the charset's superset.
std::string superset_of(const std::string& cs) {
  if (cs == "gb2312" || cs == "gbk" || cs == "x-gbk" || cs == "euc-cn") return "gb18030";
  if (cs == "ks_c_5601-1987" || cs == "euc-kr") return "cp949";
  if (cs == "shift_jis" || cs == "shift-jis" || cs == "sjis" || cs == "x-sjis") return "cp932";
  return cs;
}

}  // namespace

std::string to_utf8(std::string s, std::string_view label) {
  if (s.empty()) return {};
  const std::string cs = lower_ascii(trim(label));
  if (cs.empty() || is_utf8_label(cs)) return guess_to_utf8(std::move(s));
  if (is_western_label(cs)) {
    const Utf8Census c = utf8_census(s);
    if (c.invalid == 0 && c.multibyte > 0) return s;  // UTF-8, mislabelled
    return windows1252_to_utf8(s);
  }
  std::size_t errors = 0;
  auto converted = iconv_to_utf8(s, superset_of(cs), errors);
  if (!converted) return guess_to_utf8(std::move(s));
  if (errors > 0 && is_valid_utf8(s)) return s;  // UTF-8, mislabelled
  return is_valid_utf8(*converted) ? std::move(*converted) : repair_utf8(*converted);
}

}  // namespace sd::mail
