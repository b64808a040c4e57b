#include "domain/job.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <optional>

namespace sd {
namespace {

using namespace std::chrono_literals;

TEST(Job, RetryDelayDoublesFromFiveSecondsUpToAnHour) {
  struct Case {
    int attempts;
    Duration want;
  };
  const Case cases[] = {
      {1, 5s},   {2, 10s},  {3, 20s},   {4, 40s},    {5, 80s}, {6, 160s},
      {7, 320s}, {8, 640s}, {9, 1280s}, {10, 2560s}, {11, 1h}, {12, 1h},
  };
  for (const auto& c : cases)
    EXPECT_EQ(retry_delay(c.attempts).count(), c.want.count()) << "attempts " << c.attempts;
}

TEST(Job, RetryDelayNeverOverflows) {
  struct Case {
    int attempts;
    Duration want;
  };
  const Case cases[] = {
      {0, 5s},  // no failed run yet: the first delay
      {21, 1h}, {22, 1h},   {30, 1h},          {63, 1h},
      {64, 1h}, {1000, 1h}, {INT_MAX - 1, 1h}, {INT_MAX, 1h},
  };
  for (const auto& c : cases) {
    const Duration d = retry_delay(c.attempts);
    EXPECT_EQ(d.count(), c.want.count()) << "attempts " << c.attempts;
    EXPECT_GT(d.count(), 0) << "attempts " << c.attempts;
  }
}

TEST(Job, RetryDelayNeverShrinks) {
  Duration previous = retry_delay(1);
  for (int attempts = 2; attempts <= 100; ++attempts) {
    const Duration d = retry_delay(attempts);
    EXPECT_GE(d.count(), previous.count()) << "attempts " << attempts;
    EXPECT_LE(d.count(), Duration(1h).count()) << "attempts " << attempts;
    previous = d;
  }
}

TEST(Job, NextAttemptAt) {
  const Instant now = from_unix_ms(1795751310123);
  struct Case {
    int attempts, max_attempts;
    std::optional<Duration> wait;  // nullopt: no further attempt
  };
  const Case cases[] = {
      {0, 8, 5s},           {1, 8, 5s},           {2, 8, 10s},          {3, 8, 20s},
      {7, 8, 320s},         {8, 8, std::nullopt}, {9, 8, std::nullopt}, {0, 1, 5s},
      {1, 1, std::nullopt}, {0, 0, std::nullopt}, {11, 12, 1h},         {12, 12, std::nullopt},
      {999, 1000, 1h},
  };
  for (const auto& c : cases) {
    Job j;
    j.attempts = c.attempts;
    j.max_attempts = c.max_attempts;
    const auto got = next_attempt_at(j, now);
    ASSERT_EQ(got.has_value(), c.wait.has_value())
        << c.attempts << " of " << c.max_attempts << " attempts";
    if (got) {
      EXPECT_EQ(to_unix_ms(*got), to_unix_ms(now + *c.wait))
          << c.attempts << " of " << c.max_attempts << " attempts";
      EXPECT_EQ(*got, now + retry_delay(c.attempts));
    }
  }
}

TEST(Job, DefaultsAllowEightAttempts) {
  const Job j;
  EXPECT_EQ(j.status, JobStatus::queued);
  EXPECT_EQ(j.attempts, 0);
  EXPECT_EQ(j.max_attempts, 8);
  EXPECT_EQ(JobSpec{}.max_attempts, 8);
}

}  // namespace
}  // namespace sd
