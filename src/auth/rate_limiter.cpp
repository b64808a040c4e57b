#include "auth/rate_limiter.hpp"

namespace sd::auth {

void RateLimiter::prune(std::deque<Instant>& q, Instant now) const {
  while (!q.empty() && q.front() <= now - m_window) q.pop_front();
}

Duration RateLimiter::retry_after(const std::string& key, Instant now) {
  std::lock_guard lock(m_mu);
  auto it = m_failures.find(key);
  if (it == m_failures.end()) return Duration{0};
  prune(it->second, now);
  if (it->second.empty()) {
    m_failures.erase(it);
    return Duration{0};
  }
  if (static_cast<int>(it->second.size()) < m_max) return Duration{0};
  return it->second.front() + m_window - now;
}

void RateLimiter::record_failure(const std::string& key, Instant now) {
  std::lock_guard lock(m_mu);
  auto& q = m_failures[key];
  prune(q, now);
  q.push_back(now);
  // Bound memory per key: only the newest m_max failures matter.
  while (static_cast<int>(q.size()) > m_max) q.pop_front();
}

void RateLimiter::reset(const std::string& key) {
  std::lock_guard lock(m_mu);
  m_failures.erase(key);
}

}  // namespace sd::auth
