#include "domain/clock.hpp"

#include <gtest/gtest.h>

namespace sd {
namespace {

TEST(Clock, Iso8601RoundTrip) {
  EXPECT_EQ(to_iso8601(0), "1970-01-01T00:00:00.000Z");
  const Millis t = 1795751310123;  // 2026-11-27T03:48:30.123Z
  EXPECT_EQ(to_iso8601(t), "2026-11-27T03:48:30.123Z");
  Millis back = 0;
  ASSERT_TRUE(parse_iso8601(to_iso8601(t), back));
  EXPECT_EQ(back, t);
  ASSERT_TRUE(parse_iso8601("2024-02-29T23:59:59Z", back));
  EXPECT_EQ(to_iso8601(back), "2024-02-29T23:59:59.000Z");
  EXPECT_FALSE(parse_iso8601("2024-02-29 23:59:59Z", back));
  EXPECT_FALSE(parse_iso8601("2024-13-01T00:00:00Z", back));
  EXPECT_FALSE(parse_iso8601("2024-01-01T00:00:00", back));
}

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  ManualClock c(1000);
  EXPECT_EQ(c.now(), 1000);
  c.advance(500);
  EXPECT_EQ(c.now(), 1500);
}

}  // namespace
}  // namespace sd
