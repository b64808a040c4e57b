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

}  // namespace sd::auth
