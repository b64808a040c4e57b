#include "domain/time.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace sd {
namespace {

using namespace std::chrono_literals;

// An instant from its UTC calendar fields.
Instant at(int y, int mo, int d, int h = 0, int mi = 0, int s = 0, int ms = 0) {
  return std::chrono::sys_days{std::chrono::year{y} / mo / d} + std::chrono::hours{h} +
         std::chrono::minutes{mi} + std::chrono::seconds{s} + std::chrono::milliseconds{ms};
}

std::string show(const std::optional<Instant>& t) {
  return t ? to_iso8601(*t) : std::string("nullopt");
}

TEST(Time, FormatsUtcWithMilliseconds) {
  struct Case {
    Instant t;
    std::string_view text;
  };
  const Case cases[] = {
      {from_unix_ms(0), "1970-01-01T00:00:00.000Z"},
      {from_unix_ms(1795751310123), "2026-11-27T03:48:30.123Z"},
      {at(2027, 2, 8, 1, 2, 3), "2027-02-08T01:02:03.000Z"},
      {at(2027, 2, 8, 1, 2, 3, 7), "2027-02-08T01:02:03.007Z"},
      {at(2024, 2, 29, 23, 59, 59, 999), "2024-02-29T23:59:59.999Z"},
  };
  for (const auto& c : cases) EXPECT_EQ(to_iso8601(c.t), c.text);
}

TEST(Time, Iso8601RoundTripKeepsMilliseconds) {
  const Instant cases[] = {
      from_unix_ms(0),
      from_unix_ms(1),
      from_unix_ms(999),
      from_unix_ms(1000),
      from_unix_ms(1795751310123),
      at(2024, 2, 29, 23, 59, 59, 999),
      at(2027, 12, 31, 23, 59, 59, 1),
  };
  for (const auto t : cases) {
    const std::string text = to_iso8601(t);
    const auto back = parse_iso8601(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(to_unix_ms(*back), to_unix_ms(t)) << text;
  }
}

TEST(Time, ParseIso8601Accepts) {
  struct Case {
    std::string_view text;
    Instant want;
  };
  const Case cases[] = {
      {"1970-01-01T00:00:00Z", from_unix_ms(0)},
      {"2027-02-08T01:02:03Z", at(2027, 2, 8, 1, 2, 3)},
      {"2027-02-08T01:02:03.1Z", at(2027, 2, 8, 1, 2, 3, 100)},
      {"2027-02-08T01:02:03.12Z", at(2027, 2, 8, 1, 2, 3, 120)},
      {"2027-02-08T01:02:03.123Z", at(2027, 2, 8, 1, 2, 3, 123)},
      {"2027-02-08T01:02:03.000Z", at(2027, 2, 8, 1, 2, 3)},
      {"2027-02-08T01:02:03.999Z", at(2027, 2, 8, 1, 2, 3, 999)},
      {"2024-02-29T23:59:59Z", at(2024, 2, 29, 23, 59, 59)},  // leap day
      {"2000-02-29T00:00:00Z", at(2000, 2, 29)},              // every 400 years
      {"2027-12-31T23:59:59.999Z", at(2027, 12, 31, 23, 59, 59, 999)},
  };
  for (const auto& c : cases) {
    const auto got = parse_iso8601(c.text);
    ASSERT_TRUE(got.has_value()) << c.text;
    EXPECT_EQ(to_unix_ms(*got), to_unix_ms(c.want)) << c.text << " gave " << show(got);
  }
}

TEST(Time, ParseIso8601IsStrict) {
  const std::string_view cases[] = {
      "2027-02-31T00:00:00Z",       // no such day
      "2024-02-30T00:00:00Z",       // no such day, even in a leap year
      "2023-02-29T00:00:00Z",       // not a leap year
      "1900-02-29T00:00:00Z",       // centuries are not leap years
      "2024-13-01T00:00:00Z",       // no month 13
      "2024-00-01T00:00:00Z",       // no month 0
      "2024-01-00T00:00:00Z",       // no day 0
      "2027-02-08T24:00:00Z",       // hour 24
      "2027-02-08T25:00:00Z",       // hour 25
      "2027-02-08T01:60:00Z",       // minute 60
      "2027-02-08T01:02:60Z",       // second 60: leap seconds are refused
      "2027-12-31T23:59:60Z",       // even where one could fall
      "2027-02-08T01:02:03",        // no Z
      "2027-02-08T01:02:03.123",    // no Z after a fraction
      "2027-02-08T01:02:03z",       // lower-case z
      "2027-02-08T01:02:03+00:00",  // an offset instead of Z
      "2027-02-08 01:02:03Z",       // space instead of T
      "2027-02-08t01:02:03Z",       // lower-case t
      "2027-2-8T1:1:1Z",            // one-digit fields
      "2027-02-08T1:02:03Z",        // one one-digit field
      "27-02-08T01:02:03Z",         // two-digit year
      " 2027-02-08T01:02:03Z",      // leading space
      "2027-02-08T01:02:03Z ",      // trailing space
      "2027-02-08T01:02:03.1234Z",  // more than 3 fraction digits
      "2027-02-08T01:02:03.Z",      // a point with no digits
      "2027-02-08T01:02:03,123Z",   // a comma for the point
      "2027-02-08T01:02:03.1a3Z",   // a letter in the fraction
      "2027-02-08",                 // a date alone
      "2027/02/08T01:02:03Z",       // other separators
      "",
  };
  for (const auto text : cases) {
    const auto got = parse_iso8601(text);
    EXPECT_FALSE(got.has_value()) << '"' << text << "\" gave " << show(got);
  }
}

TEST(Time, ParseDateIsStrict) {
  struct Case {
    std::string_view text;
    std::optional<Instant> want;
  };
  const Case cases[] = {
      {"2027-02-08", at(2027, 2, 8)},  {"2024-02-29", at(2024, 2, 29)},
      {"1970-01-01", from_unix_ms(0)}, {"2027-02-31", std::nullopt},
      {"2023-02-29", std::nullopt},    {"2027-13-01", std::nullopt},
      {"2027-00-01", std::nullopt},    {"2027-01-00", std::nullopt},
      {"2027-2-01", std::nullopt},     {"2027-02-1", std::nullopt},
      {"2027-02-08x", std::nullopt},   {"2027-02-08 ", std::nullopt},
      {" 2027-02-08", std::nullopt},   {"2027-02-08T00:00:00Z", std::nullopt},
      {"2027/02/08", std::nullopt},    {"", std::nullopt},
  };
  for (const auto& c : cases) {
    const auto got = parse_date(c.text);
    EXPECT_EQ(got.has_value(), c.want.has_value()) << '"' << c.text << "\" gave " << show(got);
    if (got && c.want) {
      EXPECT_EQ(to_unix_ms(*got), to_unix_ms(*c.want)) << c.text;
    }
  }
}

TEST(Time, UtcDate) {
  struct Case {
    Instant t;
    std::string_view date;
  };
  const Case cases[] = {
      {from_unix_ms(0), "1970-01-01"},
      {from_unix_ms(-1), "1969-12-31"},  // floors, does not truncate towards the epoch
      {at(2027, 2, 8), "2027-02-08"},
      {at(2027, 2, 8, 23, 59, 59, 999), "2027-02-08"},
      {at(2024, 2, 29, 12), "2024-02-29"},
  };
  for (const auto& c : cases) EXPECT_EQ(utc_date(c.t), c.date);
  const auto d = parse_date("2027-02-08");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(utc_date(*d), "2027-02-08");
}

TEST(Time, KnownTimeZones) {
  struct Case {
    std::string name;
    bool known;
  };
  const Case cases[] = {
      {"America/Mexico_City", true},
      {"UTC", true},
      {"Europe/Madrid", true},
      {"Etc/UTC", true},
      {"Mars/Olympus", false},
      {"", false},
      {"America/Mexico City", false},
      {"america/mexico_city", false},
      {"America", false},  // a folder of the database, not a zone
      {"../etc/passwd", false},
      {"/usr/share/zoneinfo/UTC", false},
      {std::string(65, 'A'), false},
      {"America/Mexico_City" + std::string(46, '/'), false},  // 65 characters
  };
  for (const auto& c : cases)
    EXPECT_EQ(is_known_time_zone(c.name), c.known) << '"' << c.name << '"';
}

TEST(Time, ManualClockMovesOnlyWhenTold) {
  const Instant start = at(2027, 2, 8, 9);
  ManualClock c(start);
  EXPECT_EQ(c.now(), start);
  EXPECT_EQ(c.now(), start) << "reading the clock does not move it";
  c.advance(500ms);
  EXPECT_EQ(c.now(), start + 500ms);
  c.advance(2h);
  EXPECT_EQ(c.now(), start + 2h + 500ms);
  c.advance(Duration{0});
  EXPECT_EQ(c.now(), start + 2h + 500ms);
  c.set(from_unix_ms(0));
  EXPECT_EQ(c.now(), from_unix_ms(0));
  c.set(start);
  EXPECT_EQ(c.now(), start);
  const Clock& as_clock = c;
  EXPECT_EQ(as_clock.now(), start);
}

}  // namespace
}  // namespace sd
