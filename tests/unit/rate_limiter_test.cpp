// The sign-in limiter (issue 7, security 3): an attempt counts before the
// password is checked, and the limiter's memory is bounded whatever the
// number of distinct keys an attacker makes up.
#include "auth/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace sd::auth {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const Instant t0 = Instant{} + std::chrono::hours(24 * 365 * 57);

TEST(RateLimiter, CountsEachAttemptUpToTheLimitThenSaysHowLongToWait) {
  RateLimiter limiter(5, minutes(15));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.acquire("ana@example.com", t0), Duration{0});
  EXPECT_EQ(limiter.acquire("ana@example.com", t0 + seconds(60)), minutes(14));
  EXPECT_EQ(limiter.retry_after("ana@example.com", t0 + seconds(60)), minutes(14));
  EXPECT_EQ(limiter.acquire("otro@example.com", t0), Duration{0}) << "keys are separate";
  // After the window the attempts expire one by one.
  EXPECT_EQ(limiter.acquire("ana@example.com", t0 + minutes(15)), Duration{0});
}

TEST(RateLimiter, AGivenBackAttemptIsNotCounted) {
  RateLimiter limiter(2, minutes(15));
  ASSERT_EQ(limiter.acquire("k", t0), Duration{0});
  limiter.release("k", t0);  // that one signed in
  ASSERT_EQ(limiter.acquire("k", t0 + seconds(1)), Duration{0});
  ASSERT_EQ(limiter.acquire("k", t0 + seconds(2)), Duration{0});
  EXPECT_GT(limiter.acquire("k", t0 + seconds(3)), Duration{0});
}

TEST(RateLimiter, MemoryStaysBoundedUnderAFloodOfDistinctKeys) {
  RateLimiter limiter(5, minutes(15), 1'000);
  for (int i = 0; i < 50'000; ++i) {
    limiter.acquire("flood-" + std::to_string(i), t0 + std::chrono::milliseconds(i));
    ASSERT_LE(limiter.keys(), 1'000u) << "after " << i << " keys";
  }
  // Keys whose attempts have all expired are the first to go.
  RateLimiter small(1, minutes(1), 3);
  small.acquire("a", t0);
  small.acquire("b", t0 + seconds(30));
  small.acquire("c", t0 + seconds(40));
  small.acquire("d", t0 + seconds(65));  // "a" has expired: it makes room
  EXPECT_EQ(small.keys(), 3u);
  EXPECT_GT(small.retry_after("b", t0 + seconds(65)), Duration{0}) << "live keys stay";
  EXPECT_GT(small.retry_after("c", t0 + seconds(65)), Duration{0});
  EXPECT_GT(small.retry_after("d", t0 + seconds(65)), Duration{0});
}

}  // namespace
}  // namespace sd::auth
