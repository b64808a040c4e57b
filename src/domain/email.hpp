// Email addresses as people type them, made safe to show and to compare.
// Pure (libunistring's Unicode tables, no I/O). Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "domain/error.hpp"

namespace sd {

struct Email {
  // NFC, trimmed, ASCII letters in lower case: what is stored and shown.
  std::string address;
  // The full Unicode case fold of the address (ß and ss, K and k alike):
  // what uniqueness and sign-in compare.
  std::string key;
};

// Refuses, with a FieldError on `field`: text that is not UTF-8, invisible
// or control characters anywhere (zero-width and no-break spaces, soft
// hyphens, direction marks: invalid_text), a local part mixing scripts
// (Latin with Cyrillic, say: mixed_script), and what is not an address
// (invalid_format).
Result<Email> normalize_email(std::string_view text, std::string_view field = "email");

// The comparison key of whatever was typed (at sign-in); empty when it is
// not an address.
std::string email_key(std::string_view text);

}  // namespace sd
