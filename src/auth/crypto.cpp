#include "auth/crypto.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace sd::auth {

void init() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string hash_password(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw std::runtime_error("out of memory while hashing a password");
  return out;
}

bool verify_password(const std::string& hash, std::string_view password) {
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string random_token() {
  unsigned char buf[32];
  randombytes_buf(buf, sizeof buf);
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, buf, sizeof buf, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

std::string token_hash(std::string_view token) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_key_hex() {
  unsigned char key[crypto_secretbox_KEYBYTES];
  crypto_secretbox_keygen(key);
  char hex[2 * sizeof key + 1];
  sodium_bin2hex(hex, sizeof hex, key, sizeof key);
  return hex;
}

namespace {
bool key_from_hex(std::string_view hex, unsigned char (&key)[crypto_secretbox_KEYBYTES]) {
  std::size_t len = 0;
  return sodium_hex2bin(key, sizeof key, hex.data(), hex.size(), nullptr, &len, nullptr) == 0 &&
         len == sizeof key;
}
}  // namespace

std::string seal(std::string_view key_hex, std::string_view plain) {
  unsigned char key[crypto_secretbox_KEYBYTES];
  if (!key_from_hex(key_hex, key)) throw std::runtime_error("seal: the key is not 32 bytes of hex");
  std::string box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(out, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), out,
                        key);
  std::string text(sodium_base64_ENCODED_LEN(box.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                   '\0');
  sodium_bin2base64(text.data(), text.size(), out, box.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  text.resize(std::strlen(text.c_str()));
  return text;
}

std::optional<std::string> unseal(std::string_view key_hex, std::string_view sealed) {
  unsigned char key[crypto_secretbox_KEYBYTES];
  if (!key_from_hex(key_hex, key) || sealed.size() > 4096) return std::nullopt;
  std::string box(sealed.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(box.data()), box.size(), sealed.data(),
                        sealed.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return std::nullopt;
  const auto* in = reinterpret_cast<const unsigned char*>(box.data());
  std::string plain(len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 in + crypto_secretbox_NONCEBYTES,
                                 len - crypto_secretbox_NONCEBYTES, in, key) != 0)
    return std::nullopt;
  return plain;
}

}  // namespace sd::auth

namespace sd::auth {

std::string mac_hex(std::string_view key_hex, std::string_view data, std::size_t bytes) {
  unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
  if (!key_from_hex(key_hex, key)) throw std::runtime_error("mac: the key is not 32 bytes of hex");
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                         key);
  bytes = std::min(bytes, sizeof out);
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), out, bytes);
  hex.pop_back();
  return hex;
}

}  // namespace sd::auth
