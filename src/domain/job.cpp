#include "domain/job.hpp"

#include <algorithm>

namespace sd {

Duration retry_delay(int attempts) {
  using namespace std::chrono_literals;
  const int doublings = std::clamp(attempts, 1, 21) - 1;
  const Duration d = Duration(5s) * (std::int64_t{1} << doublings);
  return std::min<Duration>(d, 1h);
}

std::optional<Instant> next_attempt_at(const Job& j, Instant now) {
  if (j.attempts >= j.max_attempts) return std::nullopt;
  return now + retry_delay(j.attempts);
}

}  // namespace sd
