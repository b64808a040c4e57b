#include "domain/text.hpp"

#include <string>

namespace sd {

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    char32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p < n + 1) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return false;
    p += n + 1;
  }
  return true;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

void check_text(std::vector<FieldError>& errors, std::string_view field, std::string_view value,
                std::size_t max_chars, TextKind kind, bool required) {
  auto add = [&](std::string msg, const char* code) {
    errors.push_back({std::string(field), std::move(msg), code});
  };
  if (!is_valid_utf8(value)) return add("is not valid UTF-8", "invalid_text");
  bool blank = value.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (required && blank) return add("is required", "required");
  if (utf8_length(value) > max_chars)
    return add("is longer than " + std::to_string(max_chars) + " characters", "too_long");
  for (unsigned char c : value) {
    bool allowed_ws = kind == TextKind::multi_line && (c == '\n' || c == '\r' || c == '\t');
    if ((c < 0x20 && !allowed_ws) || c == 0x7F)
      return add("contains control characters", "invalid_text");
  }
}

std::string digits_of(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c >= '0' && c <= '9') out += c;
  return out;
}

std::string search_needle(std::string_view q) {
  // Typed like a phone number: digits, with spaces, +, -, ., ( and ).
  bool phone_like = true;
  for (char c : q)
    if (!((c >= '0' && c <= '9') || c == ' ' || c == '+' || c == '-' || c == '.' || c == '(' ||
          c == ')'))
      phone_like = false;
  const std::string digits = digits_of(q);
  if (phone_like && digits.size() >= 3) return digits;
  return search_fold(q);
}

std::string to_lower_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool looks_like_email(std::string_view s) {
  auto at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= s.size()) return false;
  if (s.find('@', at + 1) != std::string_view::npos) return false;
  auto domain = s.substr(at + 1);
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.')
    return false;
  for (unsigned char c : s)
    if (c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == ',' || c == ';') return false;
  return true;
}

}  // namespace sd
