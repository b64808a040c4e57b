// Counts failures per key (an account, an address) in a sliding window and
// says when a key is locked out. In memory, per node: a lockout is a brake on
// guessing, not a record that must survive restarts. Thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "domain/time.hpp"

namespace sd::auth {

class RateLimiter {
 public:
  RateLimiter(int max_failures, Duration window) : m_max(max_failures), m_window(window) {}

  // How long until `key` may try again; 0 when it may try now.
  Duration retry_after(const std::string& key, Instant now);
  void record_failure(const std::string& key, Instant now);
  void reset(const std::string& key);

 private:
  void prune(std::deque<Instant>& q, Instant now) const;

  int m_max;
  Duration m_window;
  std::mutex m_mu;
  std::unordered_map<std::string, std::deque<Instant>> m_failures;
};

}  // namespace sd::auth
