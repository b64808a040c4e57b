// Counts failures per key (an account, an address) in a sliding window and
// says when a key is locked out. In memory, per node: a lockout is a brake on
// guessing, not a record that must survive restarts. Thread-safe.
#pragma once

#include "domain/clock.hpp"

#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sd::auth {

class RateLimiter {
 public:
  RateLimiter(int max_failures, Millis window) : m_max(max_failures), m_window(window) {}

  // Milliseconds until `key` may try again; 0 when it may try now.
  Millis retry_after(const std::string& key, Millis now);
  void record_failure(const std::string& key, Millis now);
  void reset(const std::string& key);

 private:
  void prune(std::deque<Millis>& q, Millis now) const;

  int m_max;
  Millis m_window;
  std::mutex m_mu;
  std::unordered_map<std::string, std::deque<Millis>> m_failures;
};

}  // namespace sd::auth
