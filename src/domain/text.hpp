// Checks on text that arrives from outside: valid UTF-8, length limits
// counted in code points, no control characters in one-line fields.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "domain/error.hpp"

namespace sd {

bool is_valid_utf8(std::string_view s);
// Number of code points; REQUIRES: is_valid_utf8(s).
std::size_t utf8_length(std::string_view s);

enum class TextKind { single_line, multi_line };

// Appends a FieldError to `errors` when the text is empty (if required),
// too long, not UTF-8, or has control characters not allowed for its kind.
void check_text(std::vector<FieldError>& errors, std::string_view field, std::string_view value,
                std::size_t max_chars, TextKind kind, bool required);

bool looks_like_email(std::string_view s);

// Text as people search it: accents dropped, case folded, spaces squeezed
// ("Telefónica" and "telefonica" alike). REQUIRES: valid UTF-8.
std::string search_fold(std::string_view s);
// The words of a search, each folded as search_fold does ("Impresora  SIN
// tóner" -> {"impresora", "sin", "toner"}).
std::vector<std::string> search_words(std::string_view q);
// Only the digits ("+52 55 1234-5678" -> "525512345678").
std::string digits_of(std::string_view s);
// What a search for `q` looks for in a search key: the folded text, or for
// something typed like a phone number, its digits.
std::string search_needle(std::string_view q);

// ASCII letters to lower case (emails, header names); other bytes unchanged.
std::string to_lower_ascii(std::string_view s);

// Limits on what people type.
constexpr std::size_t kMaxSubject = 200;
constexpr std::size_t kMaxDescription = 100'000;
constexpr std::size_t kMaxCommentBody = 100'000;
constexpr std::size_t kMaxName = 200;
constexpr std::size_t kMaxEmail = 254;
constexpr std::size_t kMaxPhone = 40;
constexpr std::size_t kMaxReason = 2'000;

}  // namespace sd
