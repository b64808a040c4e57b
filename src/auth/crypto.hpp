// Secrets: password hashing (Argon2id), random tokens from the CSPRNG, and
// the hash under which a token is stored. Thread-safe; call init() once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sd::auth {

// Initialises libsodium; throws on failure (a start-up failure).
void init();

// An Argon2id hash string (with its own salt and parameters).
std::string hash_password(std::string_view password);
bool verify_password(const std::string& hash, std::string_view password);

// A new random secret: 32 bytes, base64url without padding.
std::string random_token();
// The stored form of a high-entropy token: BLAKE2b-256, hex.
std::string token_hash(std::string_view token);
// Compares secrets without leaking their contents through timing.
bool constant_time_equal(std::string_view a, std::string_view b);

// A new random key for seal(): 32 bytes, hex.
std::string random_key_hex();
// Authenticated encryption (XSalsa20-Poly1305, a random nonce each time):
// the result, base64url, says nothing of `plain` and cannot be altered
// unnoticed. `key_hex` comes from random_key_hex().
std::string seal(std::string_view key_hex, std::string_view plain);
// The plain text, or nullopt when `sealed` was not made by seal() with this key.
std::optional<std::string> unseal(std::string_view key_hex, std::string_view sealed);

// A message authentication code (HMAC-SHA-256 under a key from
// random_key_hex()), its first `bytes` bytes as lower-case hex: what signs the
// desk's Message-IDs so that a guessed one is told apart.
std::string mac_hex(std::string_view key_hex, std::string_view data, std::size_t bytes = 32);

}  // namespace sd::auth
