// Counts attempts per key (an account, an address) in a sliding window and
// says when a key is locked out. In memory, per node: a lockout is a brake on
// guessing, not a record that must survive restarts. Thread-safe.
//
// An attempt is counted before it is checked (acquire), so that many
// simultaneous guesses cannot all pass the check before any is counted; a
// success then gives its attempt back (release) or clears the key (reset).
// The number of keys is bounded: past the bound, expired keys are dropped,
// then arbitrary ones.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "domain/time.hpp"

namespace sd::auth {

class RateLimiter {
 public:
  RateLimiter(int max_attempts, Duration window, std::size_t max_keys = 100'000)
      : m_max(max_attempts), m_window(window), m_max_keys(max_keys) {}

  // Counts an attempt and returns zero, or returns how long until `key` may
  // try again (and counts nothing).
  Duration acquire(const std::string& key, Instant now);
  // Gives back the attempt acquired at `at` (it succeeded).
  void release(const std::string& key, Instant at);
  // How long until `key` may try again; zero when it may try now.
  Duration retry_after(const std::string& key, Instant now);
  void reset(const std::string& key);
  std::size_t keys() const;

 private:
  void prune(std::deque<Instant>& q, Instant now) const;
  void make_room(Instant now);  // REQUIRES: m_mu held

  int m_max;
  Duration m_window;
  std::size_t m_max_keys;
  mutable std::mutex m_mu;
  std::unordered_map<std::string, std::deque<Instant>> m_attempts;
};

}  // namespace sd::auth
