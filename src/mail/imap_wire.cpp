#include "mail/imap_wire.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace sd::mail::imap_wire {

namespace {

constexpr std::size_t max_around = 300;

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

void append_base64_utf16(std::string& out, const std::vector<std::uint16_t>& units) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
  std::vector<unsigned char> bytes;
  for (std::uint16_t u : units) {
    bytes.push_back(static_cast<unsigned char>(u >> 8));
    bytes.push_back(static_cast<unsigned char>(u & 0xff));
  }
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += alphabet[(v >> s) & 63];
  }
  std::size_t left = bytes.size() - i;
  if (left == 1) {
    unsigned v = bytes[i] << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
  } else if (left == 2) {
    unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
  }
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return upper(x) == upper(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::size_t ifind(std::string_view s, std::string_view needle) {
  if (needle.size() > s.size()) return std::string_view::npos;
  for (std::size_t i = 0; i + needle.size() <= s.size(); ++i)
    if (iequals(s.substr(i, needle.size()), needle)) return i;
  return std::string_view::npos;
}

std::string_view trim_crlf(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

std::optional<std::uint64_t> parse_number(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> number_after(std::string_view line, std::string_view key) {
  std::size_t at = ifind(line, key);
  if (at == std::string_view::npos) return std::nullopt;
  return parse_number(line.substr(at + key.size()));
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    lines.push_back(trim_crlf(line));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::optional<FetchReply> parse_fetch_reply(std::string_view line) {
  if (!line.starts_with("* ")) return std::nullopt;
  std::size_t at = ifind(line, " FETCH (");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view items = line.substr(at + 8);
  FetchReply r;
  // The UID item: "UID " at the start or after a space (not inside a keyword).
  for (std::size_t u = ifind(items, "UID "); u != std::string_view::npos;) {
    if (u == 0 || items[u - 1] == ' ') {
      r.uid = parse_number(items.substr(u + 4));
      break;
    }
    std::size_t next = ifind(items.substr(u + 1), "UID ");
    u = next == std::string_view::npos ? next : u + 1 + next;
  }
  std::size_t f = ifind(items, "FLAGS (");
  if (f != std::string_view::npos) {
    std::string_view rest = items.substr(f + 7);
    std::size_t close = rest.find(')');
    if (close != std::string_view::npos) {
      std::vector<std::string> flags;
      std::string_view list = rest.substr(0, close);
      while (!list.empty()) {
        std::size_t sp = list.find(' ');
        if (sp != 0) flags.emplace_back(list.substr(0, sp));
        if (sp == std::string_view::npos) break;
        list.remove_prefix(sp + 1);
      }
      r.flags = std::move(flags);
    }
  }
  return r;
}

bool has_flag(const std::vector<std::string>& flags, std::string_view flag) {
  return std::any_of(flags.begin(), flags.end(),
                     [&](const std::string& f) { return iequals(f, flag); });
}

bool valid_flag(std::string_view flag) {
  for (std::string_view system : {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"})
    if (iequals(flag, system)) return true;
  if (flag.empty() || flag.size() > 255 || flag[0] == '\\') return false;
  return std::all_of(flag.begin(), flag.end(), [](char c) {
    return c > 0x20 && c < 0x7f &&
           std::string_view("(){ %*\"\\]").find(c) == std::string_view::npos;
  });
}

std::string without_flag(std::string_view flag) {
  if (flag[0] == '\\') return "UN" + std::string(flag.substr(1));
  return "UNKEYWORD " + std::string(flag);
}

std::string custom_escape(std::string_view command) {
  std::string out;
  out.reserve(command.size());
  for (char c : command) {
    if (c == '%')
      out += "%25";
    else
      out += c;
  }
  return out;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool is_refusal(std::string_view line) {
  std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return false;
  std::string_view rest = line.substr(sp + 1);
  return istarts_with(rest, "NO ") || istarts_with(rest, "BAD ") || iequals(rest, "NO") ||
         iequals(rest, "BAD");
}

FolderState parse_select(std::string_view untagged) {
  FolderState st;
  for (std::string_view line : split_lines(untagged)) {
    if (!line.starts_with("* ")) continue;
    if (auto v = number_after(line, "[UIDVALIDITY "))
      st.uidvalidity = *v;
    else if (auto n = number_after(line, "[UIDNEXT "))
      st.uidnext = *n;
    else if (auto e = parse_number(line.substr(2));
             e && line.size() > 7 && iequals(line.substr(line.size() - 7), " EXISTS"))
      st.exists = *e;
  }
  return st;
}

std::vector<std::uint64_t> parse_search(std::string_view untagged) {
  std::vector<std::uint64_t> out;
  for (std::string_view line : split_lines(untagged)) {
    if (!istarts_with(line, "* SEARCH")) continue;
    std::string_view rest = line.substr(8);
    while (!rest.empty()) {
      std::size_t sp = rest.find(' ');
      if (auto n = parse_number(rest.substr(0, sp))) out.push_back(*n);
      if (sp == std::string_view::npos) break;
      rest.remove_prefix(sp + 1);
    }
  }
  return out;
}

bool LiteralReader::feed(std::string_view line, bool& literal) {
  literal = false;
  switch (state) {
    case State::before: {
      if (!line.starts_with("* ")) return true;
      std::string_view l = trim_crlf(line);
      // "BODY[] {N}", or for a partial fetch "BODY[]<OFFSET> {N}".
      std::size_t body = ifind(l, " FETCH (") == std::string_view::npos ? std::string_view::npos
                                                                        : ifind(l, "BODY[]");
      if (body == std::string_view::npos || l.back() != '}') return true;
      std::size_t at = body + 6;
      if (at < l.size() && l[at] == '<') {
        const auto close = l.find('>', at);
        if (close == std::string_view::npos) return true;
        at = close + 1;
      }
      if (l.substr(at, 2) != " {") return true;
      auto n = parse_number(l.substr(at + 2, l.size() - at - 3));
      if (!n) return true;
      size = static_cast<std::size_t>(*n);
      if (*n > max_bytes) {
        too_big = true;
        return false;
      }
      around.assign(l.substr(0, body));
      data.reserve(size);
      remaining = size;
      state = size == 0 ? State::after : State::in_literal;
      return true;
    }
    case State::in_literal: {
      literal = true;
      std::size_t k = std::min(remaining, line.size());
      data.append(line.substr(0, k));
      remaining -= k;
      if (remaining == 0) {
        state = State::after;
        after(line.substr(k));
      }
      return true;
    }
    case State::after:
      after(line);
      return true;
    case State::done:
      return true;
  }
  return true;
}

void LiteralReader::after(std::string_view rest) {
  rest = trim_crlf(rest);
  if (around.size() < max_around) around.append(" ").append(rest.substr(0, max_around));
  if (rest.find(')') != std::string_view::npos) state = State::done;
}

Result<std::string> utf7_folder(std::string_view utf8) {
  Error bad = make_error(ErrorCode::invalid_input, "the IMAP folder name is not valid UTF-8 text");
  if (utf8.empty()) return make_error(ErrorCode::invalid_input, "the IMAP folder name is empty");
  std::string out;
  std::vector<std::uint16_t> pending;  // non-ASCII run, as UTF-16
  auto flush = [&] {
    if (pending.empty()) return;
    out += '&';
    append_base64_utf16(out, pending);
    out += '-';
    pending.clear();
  };
  for (std::size_t i = 0; i < utf8.size();) {
    auto b = static_cast<unsigned char>(utf8[i]);
    char32_t cp = 0;
    std::size_t len = 0;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else if ((b & 0xe0) == 0xc0) {
      cp = b & 0x1f;
      len = 2;
    } else if ((b & 0xf0) == 0xe0) {
      cp = b & 0x0f;
      len = 3;
    } else if ((b & 0xf8) == 0xf0) {
      cp = b & 0x07;
      len = 4;
    } else {
      return bad;
    }
    if (i + len > utf8.size()) return bad;
    for (std::size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(utf8[i + k]);
      if ((c & 0xc0) != 0x80) return bad;
      cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr std::array<char32_t, 5> min_for_len{0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return bad;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return bad;  // control characters
    i += len;
    if (cp < 0x7f) {
      flush();
      out += cp == '&' ? std::string("&-") : std::string(1, static_cast<char>(cp));
    } else if (cp < 0x10000) {
      pending.push_back(static_cast<std::uint16_t>(cp));
    } else {
      char32_t v = cp - 0x10000;
      pending.push_back(static_cast<std::uint16_t>(0xd800 + (v >> 10)));
      pending.push_back(static_cast<std::uint16_t>(0xdc00 + (v & 0x3ff)));
    }
  }
  flush();
  return out;
}

}  // namespace sd::mail::imap_wire
