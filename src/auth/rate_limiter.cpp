#include "auth/rate_limiter.hpp"

#include <algorithm>

namespace sd::auth {

void RateLimiter::prune(std::deque<Instant>& q, Instant now) const {
  while (!q.empty() && q.front() <= now - m_window) q.pop_front();
}

void RateLimiter::make_room(Instant now) {
  if (m_attempts.size() < m_max_keys) return;
  for (auto it = m_attempts.begin(); it != m_attempts.end();) {
    prune(it->second, now);
    it = it->second.empty() ? m_attempts.erase(it) : std::next(it);
  }
  while (m_attempts.size() >= m_max_keys) m_attempts.erase(m_attempts.begin());
}

Duration RateLimiter::acquire(const std::string& key, Instant now) {
  std::lock_guard lock(m_mu);
  auto it = m_attempts.find(key);
  if (it == m_attempts.end()) {
    make_room(now);
    it = m_attempts.emplace(key, std::deque<Instant>{}).first;
  }
  auto& q = it->second;
  prune(q, now);
  if (static_cast<int>(q.size()) >= m_max) return q.front() + m_window - now;
  q.push_back(now);
  return Duration{0};
}

void RateLimiter::release(const std::string& key, Instant at) {
  std::lock_guard lock(m_mu);
  auto it = m_attempts.find(key);
  if (it == m_attempts.end()) return;
  auto& q = it->second;
  auto pos = std::find(q.rbegin(), q.rend(), at);
  if (pos != q.rend()) q.erase(std::next(pos).base());
  if (q.empty()) m_attempts.erase(it);
}

Duration RateLimiter::retry_after(const std::string& key, Instant now) {
  std::lock_guard lock(m_mu);
  auto it = m_attempts.find(key);
  if (it == m_attempts.end()) return Duration{0};
  prune(it->second, now);
  if (it->second.empty()) {
    m_attempts.erase(it);
    return Duration{0};
  }
  if (static_cast<int>(it->second.size()) < m_max) return Duration{0};
  return it->second.front() + m_window - now;
}

void RateLimiter::reset(const std::string& key) {
  std::lock_guard lock(m_mu);
  m_attempts.erase(key);
}

std::size_t RateLimiter::keys() const {
  std::lock_guard lock(m_mu);
  return m_attempts.size();
}

}  // namespace sd::auth
