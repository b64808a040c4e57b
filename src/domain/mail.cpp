#include "domain/mail.hpp"

#include <unistr.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "domain/model.hpp"
#include "domain/text.hpp"

namespace sd {
namespace {

constexpr std::string_view kSpace = " \t\r\n\f\v";
constexpr Id kMaxTaggedId = 1'000'000'000'000;  // 10^12

bool is_space(char c) { return kSpace.find(c) != std::string_view::npos; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool icontains(std::string_view haystack, std::string_view needle) {
  return to_lower_ascii(haystack).find(to_lower_ascii(needle)) != std::string::npos;
}

// Each header called `name`, in order.
template <class F>
void each_header(const std::vector<MailHeader>& headers, std::string_view name, F f) {
  for (const auto& [n, v] : headers)
    if (iequals(trim(n), name)) f(std::string_view(v));
}

bool has_header(const std::vector<MailHeader>& headers, std::string_view name) {
  bool found = false;
  each_header(headers, name, [&](std::string_view) { found = true; });
  return found;
}

void append_utf8(std::string& out, char32_t cp) {
  std::uint8_t buf[6];
  const int n = u8_uctomb(buf, static_cast<ucs4_t>(cp), sizeof buf);
  if (n > 0) out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

// `s` with every ill-formed sequence replaced by U+FFFD.
std::string repaired_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 16);
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    ucs4_t cp = 0;
    const int n = u8_mbtouc(&cp, p + i, s.size() - i);
    const std::size_t len = n > 0 ? static_cast<std::size_t>(n) : 1;
    if (cp == 0xFFFD)
      append_utf8(out, 0xFFFD);
    else
      out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

// The id of a well-formed tag "[SD-<digits>]" starting at s[at], and the
// tag's length.
std::optional<Id> tag_at(std::string_view s, std::size_t at, std::size_t& length) {
  if (at + 5 > s.size() || s[at] != '[' || !iequals(s.substr(at + 1, 3), "sd-"))
    return std::nullopt;
  std::size_t i = at + 4;
  while (i < s.size() && s[i] == '0') ++i;
  const std::size_t significant = i;
  Id id = 0;
  while (i < s.size() && is_digit(s[i])) {
    if (i - significant >= 13) return std::nullopt;  // past 10^12 whatever follows
    id = id * 10 + (s[i] - '0');
    ++i;
  }
  if (i == at + 4 || i >= s.size() || s[i] != ']') return std::nullopt;
  if (id <= 0 || id > kMaxTaggedId) return std::nullopt;
  length = i + 1 - at;
  return id;
}

// ---- Subjects ---------------------------------------------------------------

// Reply and forward prefixes in the languages mail clients write them in.
constexpr std::array<std::string_view, 17> kSubjectPrefixes = {
    "re", "fw",   "fwd",     "aw",  "wg",  "rv",  "res",    "tr", "sv",
    "vs", "antw", "antwort", "enc", "odp", "ynt", "doorst", "vl"};

// The length of the reply or forward prefix at the start of `s` ("Re: ",
// "RE[2]: ", "Fwd : "), or 0 when there is none.
std::size_t prefix_length(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && i < 8 && is_alpha(s[i])) ++i;
  if (i == 0 || i == s.size() || is_alpha(s[i])) return 0;
  const auto word = to_lower_ascii(s.substr(0, i));
  if (std::find(kSubjectPrefixes.begin(), kSubjectPrefixes.end(), word) == kSubjectPrefixes.end())
    return 0;
  if (s[i] == '[' || s[i] == '(') {  // a count: "Re[2]:", "RE(3):"
    const char close = s[i] == '[' ? ']' : ')';
    std::size_t j = i + 1;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j == i + 1 || j >= s.size() || s[j] != close) return 0;
    i = j + 1;
  }
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  if (i < s.size() && s[i] == ':') {
    ++i;
  } else if (s.substr(i, 3) == "\xEF\xBC\x9A") {  // full-width colon
    i += 3;
  } else {
    return 0;
  }
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

// ---- Replies ----------------------------------------------------------------

struct Line {
  std::size_t begin = 0;
  std::string_view text;  // without the line break ("\n" or "\r\n")
};

std::vector<Line> split_lines(std::string_view s) {
  std::vector<Line> lines;
  std::size_t i = 0;
  while (i <= s.size()) {
    auto nl = s.find('\n', i);
    if (nl == std::string_view::npos) nl = s.size();
    auto text = s.substr(i, nl - i);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    lines.push_back({i, text});
    i = nl + 1;
  }
  return lines;
}

bool blank(std::string_view line) { return trim(line).empty(); }

bool quoted(std::string_view line) {
  const auto b = line.find_first_not_of(" \t");
  return b != std::string_view::npos && line[b] == '>';
}

// The start of an "On <date>, <name> wrote:" line, in English, Spanish,
// Portuguese, French and German.
constexpr std::array<std::string_view, 5> kAttributionOpeners = {"On ", "El ", "Em ", "Le ", "Am "};
constexpr std::array<std::string_view, 5> kAttributionVerbs = {"wrote", "escribió", "escreveu",
                                                               "a écrit", "schrieb"};

bool attribution_text(std::string_view s) {
  s = trim(s);
  if (s.size() > 400 || s.empty() || s.back() != ':') return false;
  bool opener = false;
  for (auto o : kAttributionOpeners) opener = opener || istarts_with(s, o);
  if (!opener || std::none_of(s.begin(), s.end(), is_digit)) return false;
  for (auto v : kAttributionVerbs)
    if (icontains(s.substr(3), v)) return true;
  return false;
}

// How many lines (1 or 2, when the client wrapped it) the attribution at
// lines[i] takes; 0 when lines[i] starts none.
std::size_t attribution_lines(const std::vector<Line>& lines, std::size_t i) {
  if (attribution_text(lines[i].text)) return 1;
  if (i + 1 >= lines.size() || blank(lines[i + 1].text) || quoted(lines[i + 1].text)) return 0;
  const std::string joined =
      std::string(trim(lines[i].text)) + " " + std::string(trim(lines[i + 1].text));
  return attribution_text(joined) ? 2 : 0;
}

// "-----Original Message-----" and its translations.
bool original_message_line(std::string_view line) {
  line = trim(line);
  if (line.size() < 4 || !line.starts_with("--") || !line.ends_with("--")) return false;
  const auto b = line.find_first_not_of('-');
  if (b == std::string_view::npos) return false;
  const auto name = trim(line.substr(b, line.find_last_not_of('-') + 1 - b));
  for (std::string_view m : {"original message", "mensaje original", "mensagem original",
                             "message d'origine", "ursprüngliche nachricht"})
    if (iequals(name, m)) return true;
  return false;
}

// Whether `line` is a header field of a quoted message: "From: ...",
// "*Sent:* ...", "De : ...".
bool field_line(std::string_view line, std::initializer_list<std::string_view> names) {
  line = trim(line);
  if (!line.empty() && line.front() == '*') line.remove_prefix(1);
  for (auto name : names) {
    if (!istarts_with(line, name)) continue;
    auto rest = line.substr(name.size());
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (!rest.empty() && rest.front() == ':') return true;
  }
  return false;
}

// Outlook's block above the message it quotes: From: followed within three
// lines by Sent: or Date: (and their Spanish, French and German names).
bool header_block(const std::vector<Line>& lines, std::size_t i) {
  if (!field_line(lines[i].text, {"From", "De", "Von"})) return false;
  for (std::size_t j = i + 1; j < lines.size() && j <= i + 3; ++j)
    if (field_line(lines[j].text, {"Sent", "Enviado", "Date", "Fecha", "Gesendet", "Envoyé",
                                   "Datum", "Enviada em", "Data"}))
      return true;
  return false;
}

bool signature_delimiter(std::string_view line) {
  return line == "--" || line == "-- " || line == "--\t";
}

// "Sent from my iPhone" and the other lines phones and apps append.
bool app_signature(std::string_view line) {
  line = trim(line);
  if (line.size() > 60) return false;
  for (std::string_view p :
       {"Sent from my ", "Sent from Outlook", "Sent from Mail for ", "Sent from Yahoo Mail",
        "Get Outlook for ", "Enviado desde mi ", "Enviado desde Outlook", "Enviado desde Correo",
        "Obtener Outlook para ", "Enviado do meu "})
    if (istarts_with(line, p)) return true;
  return false;
}

// Whether everything from lines[i] on is history or signature.
bool cuts_here(const std::vector<Line>& lines, std::size_t i) {
  const auto t = lines[i].text;
  return signature_delimiter(t) || app_signature(t) || original_message_line(t) ||
         header_block(lines, i);
}

bool underscore_rule(std::string_view line) {
  line = trim(line);
  return line.size() >= 8 && line.find_first_not_of('_') == std::string_view::npos;
}

// ---- HTML -------------------------------------------------------------------

struct Entity {
  std::string_view name;
  char32_t cp;
};

constexpr Entity kEntities[] = {
    {"amp", '&'},       {"AMP", '&'},      {"lt", '<'},       {"LT", '<'},       {"gt", '>'},
    {"GT", '>'},        {"quot", '"'},     {"QUOT", '"'},     {"apos", '\''},    {"nbsp", 0xA0},
    {"copy", 0xA9},     {"COPY", 0xA9},    {"reg", 0xAE},     {"REG", 0xAE},     {"trade", 0x2122},
    {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013}, {"laquo", 0xAB},   {"raquo", 0xBB},
    {"lsquo", 0x2018},  {"rsquo", 0x2019}, {"sbquo", 0x201A}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
    {"bdquo", 0x201E},  {"bull", 0x2022},  {"middot", 0xB7},  {"iexcl", 0xA1},   {"iquest", 0xBF},
    {"euro", 0x20AC},   {"pound", 0xA3},   {"yen", 0xA5},     {"cent", 0xA2},    {"sect", 0xA7},
    {"para", 0xB6},     {"deg", 0xB0},     {"times", 0xD7},   {"divide", 0xF7},  {"plusmn", 0xB1},
    {"ordf", 0xAA},     {"ordm", 0xBA},    {"shy", 0xAD},     {"ensp", 0x2002},  {"emsp", 0x2003},
    {"thinsp", 0x2009}, {"zwnj", 0x200C},  {"zwj", 0x200D},   {"aacute", 0xE1},  {"Aacute", 0xC1},
    {"eacute", 0xE9},   {"Eacute", 0xC9},  {"iacute", 0xED},  {"Iacute", 0xCD},  {"oacute", 0xF3},
    {"Oacute", 0xD3},   {"uacute", 0xFA},  {"Uacute", 0xDA},  {"ntilde", 0xF1},  {"Ntilde", 0xD1},
    {"uuml", 0xFC},     {"Uuml", 0xDC},    {"auml", 0xE4},    {"Auml", 0xC4},    {"ouml", 0xF6},
    {"Ouml", 0xD6},     {"euml", 0xEB},    {"iuml", 0xEF},    {"agrave", 0xE0},  {"Agrave", 0xC0},
    {"egrave", 0xE8},   {"Egrave", 0xC8},  {"igrave", 0xEC},  {"ograve", 0xF2},  {"ugrave", 0xF9},
    {"acirc", 0xE2},    {"ecirc", 0xEA},   {"icirc", 0xEE},   {"ocirc", 0xF4},   {"ucirc", 0xFB},
    {"atilde", 0xE3},   {"otilde", 0xF5},  {"ccedil", 0xE7},  {"Ccedil", 0xC7},  {"szlig", 0xDF},
    {"aring", 0xE5},    {"Aring", 0xC5},   {"oslash", 0xF8},
};

// Entities a browser decodes even without their ';'.
constexpr std::array<std::string_view, 11> kLegacyEntities = {
    "amp", "AMP", "lt", "LT", "gt", "GT", "quot", "QUOT", "nbsp", "copy", "reg"};

// What &#128; to &#159; mean: windows-1252, as browsers read them; 0 for
// the five holes (C1 controls, shown as U+FFFD).
constexpr char32_t kWindows1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

char32_t numeric_code_point(std::uint32_t v, bool overflow) {
  if (overflow || v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0xFFFD;
  if (v >= 0x80 && v <= 0x9F) return kWindows1252[v - 0x80] ? kWindows1252[v - 0x80] : 0xFFFD;
  if ((v < 0x20 && v != '\t' && v != '\n' && v != '\r' && v != '\f') || v == 0x7F) return 0xFFFD;
  return v;
}

// Decodes the character reference at s[i] == '&' and moves i past it; false
// (i unchanged) when there is none there.
bool decode_entity(std::string_view s, std::size_t& i, char32_t& cp) {
  std::size_t j = i + 1;
  if (j < s.size() && s[j] == '#') {
    ++j;
    const bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
    if (hex) ++j;
    const std::size_t digits = j;
    std::uint32_t v = 0;
    bool overflow = false;
    for (; j < s.size(); ++j) {
      const char c = lower(s[j]);
      int d;
      if (is_digit(c))
        d = c - '0';
      else if (hex && c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else
        break;
      v = v * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
      overflow = overflow || v > 0x10FFFF;
      if (overflow) v = 0x110000;  // stays past the range, whatever digits follow
    }
    if (j == digits) return false;
    if (j < s.size() && s[j] == ';') ++j;
    cp = numeric_code_point(v, overflow);
    i = j;
    return true;
  }
  const std::size_t start = j;
  while (j < s.size() && j - start < 32 && (is_alpha(s[j]) || is_digit(s[j]))) ++j;
  const auto name = s.substr(start, j - start);
  if (name.empty()) return false;
  const bool semicolon = j < s.size() && s[j] == ';';
  if (!semicolon) {
    const bool legacy =
        std::find(kLegacyEntities.begin(), kLegacyEntities.end(), name) != kLegacyEntities.end();
    const bool glued = j < s.size() && (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '=');
    if (!legacy || glued) return false;
  }
  for (const auto& e : kEntities) {
    if (e.name != name) continue;
    cp = e.cp;
    i = j + (semicolon ? 1 : 0);
    return true;
  }
  return false;
}

std::string decode_attribute(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size();) {
    char32_t cp = 0;
    if (v[i] == '&' && decode_entity(v, i, cp)) {
      append_utf8(out, cp);
    } else {
      out += v[i];
      ++i;
    }
  }
  return out;
}

struct Tag {
  std::string name;  // lower case
  bool end = false;
  std::optional<std::string> href;  // raw, for <a> only
};

// Parses the tag whose name starts at s[i] (after "<" or "</") up to its
// '>'; returns the index after it, or npos when the input ends first.
std::size_t parse_tag(std::string_view s, std::size_t i, Tag& tag) {
  const std::size_t n = s.size();
  while (i < n && !is_space(s[i]) && s[i] != '/' && s[i] != '>') tag.name += lower(s[i++]);
  while (i < n) {
    while (i < n && (is_space(s[i]) || s[i] == '/')) ++i;
    if (i >= n) break;
    if (s[i] == '>') return i + 1;
    const std::size_t name_begin = i;
    ++i;  // the first character may be anything, even '='
    while (i < n && !is_space(s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '=') ++i;
    const auto attr = s.substr(name_begin, i - name_begin);
    while (i < n && is_space(s[i])) ++i;
    if (i >= n || s[i] != '=') continue;
    ++i;
    while (i < n && is_space(s[i])) ++i;
    if (i >= n) break;
    std::string_view value;
    if (s[i] == '"' || s[i] == '\'') {
      const auto close = s.find(s[i], i + 1);
      if (close == std::string_view::npos) return std::string_view::npos;
      value = s.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      const std::size_t b = i;
      while (i < n && !is_space(s[i]) && s[i] != '>') ++i;
      value = s.substr(b, i - b);
    }
    if (tag.name == "a" && !tag.end && !tag.href && iequals(attr, "href"))
      tag.href = std::string(value);
  }
  return std::string_view::npos;
}

// A link shown as "(url)": http, https and mailto only.
std::optional<std::string> shown_url(const std::string& raw) {
  std::string url;
  for (char c : decode_attribute(raw))
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) url += c;
  url = std::string(trim(url));
  for (std::string_view scheme : {"http://", "https://", "mailto:"})
    if (istarts_with(url, scheme) && url.size() > scheme.size()) return url;
  return std::nullopt;
}

// Whether a link's text already says its url ("example.com/x" for
// "https://example.com/x/", "ana@example.com" for "mailto:ana@example.com").
bool text_says_url(std::string_view text, std::string_view url) {
  auto bare = [](std::string_view u) {
    for (std::string_view scheme : {"http://", "https://", "mailto:"})
      if (istarts_with(u, scheme)) u.remove_prefix(scheme.size());
    if (!u.empty() && u.back() == '/') u.remove_suffix(1);
    return u;
  };
  return iequals(text, url) || iequals(bare(text), bare(url));
}

// The text being written: whitespace collapsed as a browser does, line
// breaks and list markers held back until visible text follows them.
class TextWriter {
 public:
  void space() { m_space = true; }
  void line() {
    if (!m_out.empty()) m_breaks = std::max(m_breaks, 1);
  }
  void paragraph() {
    if (!m_out.empty()) m_breaks = 2;
  }
  void hard_break() {
    if (!m_out.empty()) ++m_breaks;
  }
  void list_item(std::size_t depth) {
    line();
    m_prefix.assign(depth > 1 ? 2 * (depth - 1) : 0, ' ');
    m_prefix += "- ";
  }
  // Visible text, written as it is.
  void put(std::string_view s) {
    if (s.empty()) return;
    flush();
    m_out += s;
  }
  // Writes the line breaks, space and list marker held back.
  void flush() {
    if (m_breaks > 0) {
      m_out.append(static_cast<std::size_t>(m_breaks), '\n');
    } else if (m_space && !m_out.empty() && m_out.back() != '\n' && m_prefix.empty()) {
      m_out += ' ';
    }
    if (!m_prefix.empty()) {
      if (!m_out.empty() && m_out.back() != '\n') m_out += '\n';
      m_out += m_prefix;
      m_prefix.clear();
    }
    m_breaks = 0;
    m_space = false;
  }
  // Text from the page: runs of whitespace are one space.
  void text(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (is_space(s[i])) {
        space();
        ++i;
      } else if (c < 0x20 || c == 0x7F) {
        ++i;
      } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
        put(" ");  // a no-break space is a space that does not collapse
        i += 2;
      } else {
        std::size_t j = i + 1;
        while (j < s.size()) {
          const auto d = static_cast<unsigned char>(s[j]);
          if (d <= 0x20 || d == 0x7F ||
              (d == 0xC2 && j + 1 < s.size() && static_cast<unsigned char>(s[j + 1]) == 0xA0))
            break;
          ++j;
        }
        put(s.substr(i, j - i));
        i = j;
      }
    }
  }
  // Text inside <pre>: kept as it is, line breaks as "\n".
  void preformatted(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (s[i] == '\r' || s[i] == '\n') {
        if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
        if (m_pre_start) {
          m_pre_start = false;
          continue;
        }
        if (m_out.empty()) continue;
        flush();
        m_out += '\n';
      } else if (c == '\t' || c >= 0x20) {
        m_pre_start = false;
        if (c != 0x7F) put(s.substr(i, 1));
      }
    }
  }
  void pre_started() { m_pre_start = true; }
  std::size_t size() const { return m_out.size(); }
  std::string_view since(std::size_t at) const { return std::string_view(m_out).substr(at); }
  void append_raw(std::string_view s) { m_out += s; }
  // The text with trailing spaces of each line and runs of blank lines gone.
  std::string finish() const {
    std::string out;
    out.reserve(m_out.size());
    bool blank_before = false;
    for (std::size_t i = 0; i <= m_out.size();) {
      auto nl = m_out.find('\n', i);
      if (nl == std::string::npos) nl = m_out.size();
      auto l = std::string_view(m_out).substr(i, nl - i);
      while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
      if (l.empty()) {
        blank_before = true;
      } else {
        if (!out.empty()) out += blank_before ? "\n\n" : "\n";
        out += l;
        blank_before = false;
      }
      i = nl + 1;
    }
    return out;
  }

 private:
  std::string m_out;
  int m_breaks = 0;
  bool m_space = false;
  bool m_pre_start = false;
  std::string m_prefix;
};

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The index after the end tag "</name ...>" that closes a raw text element
// whose content starts at s[i]; s.size() when there is none.
std::size_t skip_raw_text(std::string_view s, std::size_t i, std::string_view name) {
  for (auto lt = s.find("</", i); lt != std::string_view::npos; lt = s.find("</", lt + 2)) {
    const std::size_t after = lt + 2 + name.size();
    if (after > s.size() || !iequals(s.substr(lt + 2, name.size()), name)) continue;
    if (after < s.size() && !is_space(s[after]) && s[after] != '/' && s[after] != '>') continue;
    const auto gt = s.find('>', after);
    return gt == std::string_view::npos ? s.size() : gt + 1;
  }
  return s.size();
}

}  // namespace

std::optional<std::string> header_value(const std::vector<MailHeader>& headers,
                                        std::string_view name) {
  for (const auto& [n, v] : headers)
    if (iequals(trim(n), name)) return v;
  return std::nullopt;
}

std::optional<std::string> automatic_reason(const InboundMail& m, std::string_view desk_address) {
  const auto& h = m.headers;
  if (m.delivery_report) return "delivery_report";

  std::string_view address = m.from ? trim(m.from->address) : std::string_view{};
  if (address.starts_with('<') && address.ends_with('>'))
    address = address.substr(1, address.size() - 2);
  const auto local = address.substr(0, address.rfind('@'));
  bool daemon = iequals(local, "mailer-daemon") || iequals(local, "postmaster");
  each_header(h, "Return-Path", [&](std::string_view v) {
    std::string bare;
    for (char c : v)
      if (!is_space(c)) bare += c;
    daemon = daemon || bare == "<>";
  });
  if (daemon) return "mailer_daemon";

  const auto desk = trim(desk_address);
  bool loop = false;
  each_header(h, "X-Loop",
              [&](std::string_view v) { loop = loop || (!desk.empty() && icontains(v, desk)); });
  if (loop) return "loop";

  bool auto_submitted = false;
  each_header(h, "Auto-Submitted", [&](std::string_view v) {
    const auto keyword = trim(v.substr(0, v.find_first_of(";(")));
    auto_submitted = auto_submitted || (!keyword.empty() && !iequals(keyword, "no"));
  });
  if (auto_submitted) return "auto_submitted";

  bool bulk = false;
  each_header(h, "Precedence", [&](std::string_view v) {
    const auto p = trim(v);
    bulk = bulk || iequals(p, "bulk") || iequals(p, "junk") || iequals(p, "list");
  });
  if (bulk) return "precedence";

  bool suppress = false;
  each_header(h, "X-Auto-Response-Suppress",
              [&](std::string_view v) { suppress = suppress || !trim(v).empty(); });
  if (suppress) return "auto_response_suppress";

  if (has_header(h, "X-Autoreply") || has_header(h, "X-Autorespond") ||
      has_header(h, "X-Autoresponse"))
    return "autoreply_header";
  return std::nullopt;
}

std::string ticket_tag(Id ticket_id) { return "[" + ticket_number(ticket_id) + "]"; }

std::optional<Id> find_ticket_tag(std::string_view subject) {
  std::size_t length = 0;
  for (auto at = subject.find('['); at != std::string_view::npos; at = subject.find('[', at + 1))
    if (auto id = tag_at(subject, at, length)) return id;
  return std::nullopt;
}

std::string clean_subject(std::string_view subject) {
  // Tags out (each as a space, so that words either side stay apart), then
  // whitespace runs as one space.
  std::string untagged;
  for (std::size_t i = 0; i < subject.size();) {
    std::size_t length = 0;
    if (subject[i] == '[' && tag_at(subject, i, length)) {
      untagged += ' ';
      i += length;
    } else {
      untagged += subject[i++];
    }
  }
  std::string squeezed;
  for (char c : trim(untagged)) {
    if (is_space(c)) {
      if (!squeezed.empty() && squeezed.back() != ' ') squeezed += ' ';
    } else {
      squeezed += c;
    }
  }
  std::string_view rest = squeezed;
  while (const std::size_t n = prefix_length(rest)) rest.remove_prefix(n);
  // Nothing but prefixes: the prefixes are all there is to show.
  return rest.empty() ? squeezed : std::string(rest);
}

std::string trim_reply(std::string_view text) {
  const auto lines = split_lines(text);
  const std::size_t n = lines.size();
  // next_text[i]: the first line at or after i that is neither blank nor quoted.
  std::vector<std::size_t> next_text(n + 1, n);
  std::vector<std::size_t> next_nonblank(n + 1, n);
  for (std::size_t i = n; i-- > 0;) {
    const bool is_blank = blank(lines[i].text);
    next_nonblank[i] = is_blank ? next_nonblank[i + 1] : i;
    next_text[i] = is_blank || quoted(lines[i].text) ? next_text[i + 1] : i;
  }

  std::size_t cut = n;
  for (std::size_t i = 0; i < n && cut == n; ++i) {
    if (quoted(lines[i].text)) continue;
    if (cuts_here(lines, i)) {
      cut = i;
      break;
    }
    const std::size_t k = attribution_lines(lines, i);
    if (k == 0) continue;
    // An inline reply answers between the quoted lines: the attribution and
    // the quotes stay, and only a trailing quote block goes.
    const std::size_t first = next_nonblank[i + k];
    const std::size_t answer = first < n ? next_text[first] : n;
    const bool inline_reply = first < n && quoted(lines[first].text) && answer < n &&
                              !cuts_here(lines, answer) && attribution_lines(lines, answer) == 0;
    if (!inline_reply) cut = i;
    i += k - 1;
  }

  std::size_t end = cut;
  // Outlook's rule of underscores above its header block goes with it.
  if (cut < n) {
    std::size_t j = cut;
    while (j > 0 && blank(lines[j - 1].text)) --j;
    if (j > 0 && underscore_rule(lines[j - 1].text)) end = j - 1;
  }
  // The quoted block at the end.
  while (end > 0 && blank(lines[end - 1].text)) --end;
  std::size_t j = end;
  bool saw_quote = false;
  while (j > 0 && (quoted(lines[j - 1].text) || blank(lines[j - 1].text))) {
    saw_quote = saw_quote || quoted(lines[j - 1].text);
    --j;
  }
  if (saw_quote) end = j;
  while (end > 0 && blank(lines[end - 1].text)) --end;

  std::size_t begin = 0;
  while (begin < end && blank(lines[begin].text)) ++begin;
  if (begin >= end) return std::string(trim(text));
  const auto& last = lines[end - 1];
  auto kept = text.substr(lines[begin].begin, last.begin + last.text.size() - lines[begin].begin);
  while (!kept.empty() && is_space(kept.back())) kept.remove_suffix(1);
  return std::string(kept);
}

std::string html_to_text(std::string_view html) {
  const std::string input = repaired_utf8(html);
  const std::string_view s = input;
  const std::size_t n = s.size();
  TextWriter out;
  int pre = 0;
  bool in_head = false;
  std::size_t list_depth = 0;
  struct Link {
    std::string url;
    std::size_t start;
  };
  std::optional<Link> link;
  auto close_link = [&] {
    if (!link) return;
    const auto said = trim(out.since(link->start));
    if (said.empty())
      out.put(link->url);
    else if (!text_says_url(said, link->url))
      out.append_raw(" (" + link->url + ")");
    link.reset();
  };
  auto write = [&](std::string_view t) {
    if (in_head) return;
    if (pre > 0)
      out.preformatted(t);
    else
      out.text(t);
  };

  std::size_t i = 0;
  while (i < n) {
    if (s[i] == '&') {
      char32_t cp = 0;
      std::size_t j = i;
      if (!decode_entity(s, j, cp)) {
        write("&");
        ++i;
        continue;
      }
      i = j;
      std::string decoded;  // &nbsp; too: text() keeps U+00A0 as a space of its own
      append_utf8(decoded, cp);
      write(decoded);
      continue;
    }
    if (s[i] != '<') {
      const auto next = s.find_first_of("<&", i);
      const std::size_t stop = next == std::string_view::npos ? n : next;
      write(s.substr(i, stop - i));
      i = stop;
      continue;
    }
    // Markup: comments, declarations, tags; anything else is a '<' of text.
    if (s.substr(i, 4) == "<!--") {
      if (s.substr(i + 4, 1) == ">") {
        i += 5;
      } else if (s.substr(i + 4, 2) == "->") {
        i += 6;
      } else {
        const auto close = s.find("-->", i + 4);
        i = close == std::string_view::npos ? n : close + 3;
      }
      continue;
    }
    const bool end_tag = i + 1 < n && s[i + 1] == '/';
    const std::size_t name_at = i + (end_tag ? 2 : 1);
    if ((i + 1 < n && (s[i + 1] == '!' || s[i + 1] == '?')) ||
        (end_tag && (name_at >= n || !is_alpha(s[name_at])))) {
      const auto close = s.find('>', i + 1);
      i = close == std::string_view::npos ? n : close + 1;
      continue;
    }
    if (name_at >= n || !is_alpha(s[name_at])) {
      write("<");
      ++i;
      continue;
    }
    Tag tag;
    tag.end = end_tag;
    const std::size_t after = parse_tag(s, name_at, tag);
    if (after == std::string_view::npos) break;  // a tag cut off by the end: dropped
    i = after;
    const std::string& name = tag.name;

    if (!tag.end && one_of(name, {"script", "style", "title", "textarea", "xmp", "noembed",
                                  "noframes", "template"})) {
      i = skip_raw_text(s, i, name);
      continue;
    }
    if (name == "head") {
      in_head = !tag.end;
      continue;
    }
    if (in_head && !one_of(name, {"meta", "link", "base", "noscript"})) in_head = false;
    if (name == "br") {
      out.hard_break();
    } else if (name == "li") {
      if (tag.end)
        out.line();
      else
        out.list_item(std::max<std::size_t>(list_depth, 1));
    } else if (name == "ul" || name == "ol") {
      if (tag.end && list_depth > 0) --list_depth;
      if (list_depth == 0)
        out.paragraph();
      else
        out.line();
      if (!tag.end) ++list_depth;
    } else if (name == "pre") {
      out.paragraph();
      if (tag.end) {
        pre = std::max(pre - 1, 0);
      } else {
        ++pre;
        out.pre_started();
      }
    } else if (one_of(name, {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr",
                             "dl", "figure", "address"})) {
      out.paragraph();
    } else if (one_of(name, {"div",     "tr",      "dt",      "dd",       "section", "article",
                             "header",  "footer",  "nav",     "aside",    "main",    "center",
                             "caption", "details", "summary", "fieldset", "form",    "figcaption",
                             "tbody",   "thead",   "tfoot"})) {
      out.line();
    } else if (name == "td" || name == "th") {
      out.space();
    } else if (name == "a") {
      close_link();
      if (!tag.end && tag.href) {
        if (auto url = shown_url(*tag.href)) link = Link{std::move(*url), out.size()};
      }
    }
  }
  close_link();
  return out.finish();
}

}  // namespace sd
