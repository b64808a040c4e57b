#include "mail/charset.hpp"

#include <gmime/gmime.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string_view>
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

// ---------------------------------------------------------------------------
// RFC 2047 encoded words. GMime's own decoder (3.2.13) loses the words that
// follow a base64 word ending in '=' padding, when they are of the same
// charset (jstedfast/gmime#133): it carries the base64 state from one word
// to the next. Here each word is decoded on its own and only the bytes are
// joined.

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (g_ascii_tolower(a[i]) != g_ascii_tolower(b[i])) return false;
  return true;
}

int base64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Appends a B word's bytes to `out`; false when its text is not base64 (a
// character outside the alphabet, or a quantum of one character). Blanks
// are skipped, padding may be missing, and a quantum may follow padding (as
// from encoders that join encoded pieces).
bool decode_base64(std::string_view text, std::string& out) {
  std::uint32_t bits = 0;
  int n = 0;  // characters of the quantum so far
  auto end_quantum = [&] {
    if (n == 2) {
      out += static_cast<char>(bits >> 4);
    } else if (n == 3) {
      out += static_cast<char>(bits >> 10);
      out += static_cast<char>((bits >> 2) & 0xFF);
    }
    bits = 0;
    n = 0;
  };
  for (char ch : text) {
    if (is_blank(ch)) continue;
    if (ch == '=') {
      if (n == 1) return false;
      end_quantum();
      continue;
    }
    const int v = base64_value(static_cast<unsigned char>(ch));
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if (++n == 4) {
      out += static_cast<char>(bits >> 16);
      out += static_cast<char>((bits >> 8) & 0xFF);
      out += static_cast<char>(bits & 0xFF);
      bits = 0;
      n = 0;
    }
  }
  if (n == 1) return false;
  end_quantum();
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Appends a Q word's bytes to `out`: "_" is a space, "=XX" a byte, and an
// '=' that starts no such pair is itself.
void decode_q(std::string_view text, std::string& out) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      out += ' ';
    } else if (c == '=' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
}

struct EncodedWord {
  std::string_view charset;  // the label, without its *language
  char encoding;             // 'B' or 'Q'
  std::string_view text;
  std::size_t end;  // just past its "?="
};

// The encoded word at s[at], where "=?" is, if it is one: a charset of
// printable ASCII, B or Q, then text up to the next '?', which must be
// followed by '='. Each scan stops at a '?', so that however many "=?" the
// input holds, each character is looked at a bounded number of times.
std::optional<EncodedWord> encoded_word_at(std::string_view s, std::size_t at) {
  std::size_t i = at + 2;
  while (i < s.size() && s[i] != '?') {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c <= 0x20 || c >= 0x7F) return std::nullopt;
    ++i;
  }
  if (i + 2 >= s.size() || s[i + 2] != '?') return std::nullopt;
  std::string_view charset = s.substr(at + 2, i - (at + 2));
  charset = charset.substr(0, charset.find('*'));
  const char encoding = g_ascii_toupper(s[i + 1]);
  if (charset.empty() || (encoding != 'B' && encoding != 'Q')) return std::nullopt;
  const std::size_t text = i + 3;
  const std::size_t q = s.find('?', text);
  if (q == std::string_view::npos || q + 1 >= s.size() || s[q + 1] != '=') return std::nullopt;
  return EncodedWord{charset, encoding, s.substr(text, q - text), q + 2};
}

}  // namespace

std::string decode_header_words(std::string_view raw) {
  std::string unfolded;
  unfolded.reserve(raw.size());
  for (char c : raw)
    if (c != '\r' && c != '\n') unfolded += c;
  const std::string_view s = unfolded;

  std::string out;
  out.reserve(s.size());
  // The run of adjacent words of one charset: its bytes so far, and the Q
  // text not yet decoded (joined first, so that an "=XX" split between two
  // words is whole again).
  bool in_run = false;
  std::string_view charset;
  std::string bytes, q_text;
  auto end_run = [&] {
    if (!in_run) return;
    decode_q(q_text, bytes);
    q_text.clear();
    out += to_utf8(std::move(bytes), charset);
    bytes.clear();
    in_run = false;
  };
  // Text outside words; raw 8-bit text is converted word by word, as GMime
  // reads it, since one header may mix Latin-1 words and UTF-8 ones.
  auto plain = [&](std::string_view text) {
    if (text.empty()) return;
    end_run();
    if (is_valid_utf8(text)) {
      out += text;
      return;
    }
    for (std::size_t i = 0; i < text.size();) {
      std::size_t j = i;
      while (j < text.size() && !is_blank(text[j])) ++j;
      out += to_utf8(std::string(text.substr(i, j - i)), {});
      for (i = j; i < text.size() && is_blank(text[i]); ++i) out += text[i];
    }
  };

  std::string b64;       // a B word's bytes
  std::size_t done = 0;  // where the text not yet handled starts
  std::size_t from = 0;  // where to look for the next "=?"
  for (std::size_t at; (at = s.find("=?", from)) != std::string_view::npos;) {
    std::optional<EncodedWord> w = encoded_word_at(s, at);
    if (w && w->encoding == 'B') {
      b64.clear();
      if (!decode_base64(w->text, b64)) w.reset();
    }
    if (!w) {  // literal text
      from = at + 1;
      continue;
    }
    const std::string_view gap = s.substr(done, at - done);
    if (!in_run || gap.find_first_not_of(" \t") != std::string_view::npos)
      plain(gap);
    else if (!iequals_ascii(charset, w->charset))
      end_run();  // adjacent, but another charset: the blanks still go
    if (!in_run) {
      in_run = true;
      charset = w->charset;
    }
    if (w->encoding == 'B') {
      decode_q(q_text, bytes);
      q_text.clear();
      bytes += b64;
    } else {
      q_text += w->text;
    }
    done = from = w->end;
  }
  plain(s.substr(done));
  end_run();
  return out;
}

}  // namespace sd::mail
