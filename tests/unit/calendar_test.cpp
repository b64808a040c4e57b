// Business calendars (issue 8): business time between instants and added to
// an instant, across weekends, holidays and daylight-saving changes, exact
// to the millisecond.
#include "domain/calendar.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace sd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

Instant at(const char* iso) {
  auto t = parse_iso8601(iso);
  EXPECT_TRUE(t) << iso;
  return t.value_or(Instant{});
}

// Monday to Friday, 09:00-18:00, Mexico City (UTC-6 all year since 2022).
Calendar office() {
  Calendar c;
  c.name = "Oficina";
  c.time_zone = "America/Mexico_City";
  for (int d = 0; d < 5; ++d) c.hours[d] = {{9 * 60, 18 * 60}};
  c.holidays = {{"2027-02-01", "Día de la Constitución"}};
  return c;
}

// Every day all day in New York, with a holiday far away so that the
// calendar is not the 24x7 shortcut: its days follow the wall clock.
Calendar new_york_all_day() {
  Calendar c = calendar_24x7();
  c.time_zone = "America/New_York";
  c.holidays = {{"2030-01-01", "far away"}};
  return c;
}

TEST(Calendar, TwentyFourSevenIsElapsedTime) {
  const Calendar c = calendar_24x7();
  EXPECT_TRUE(check_calendar(c).empty());
  const Instant a = at("2027-03-13T10:00:00.250Z");
  EXPECT_EQ(business_time_between(c, a, a + hours(49)), hours(49));
  EXPECT_EQ(add_business_time(c, a, minutes(90)), a + minutes(90));
  EXPECT_EQ(business_time_between(c, a + hours(1), a), milliseconds(0)) << "backwards is zero";
}

TEST(Calendar, WeekendsWait) {
  const Calendar c = office();
  ASSERT_TRUE(check_calendar(c).empty());
  // Friday 2027-01-08 17:00 local (23:00Z) plus two business hours: Monday 10:00 local.
  EXPECT_EQ(add_business_time(c, at("2027-01-08T23:00:00Z"), hours(2)), at("2027-01-11T16:00:00Z"));
  EXPECT_EQ(business_time_between(c, at("2027-01-08T23:00:00Z"), at("2027-01-11T16:00:00Z")),
            hours(2));
  // Starting on Saturday counts from Monday's opening.
  EXPECT_EQ(add_business_time(c, at("2027-01-09T18:00:00Z"), minutes(30)),
            at("2027-01-11T15:30:00Z"));
  // Exactly at closing: the next business day's opening, not a moment of today.
  EXPECT_EQ(add_business_time(c, at("2027-01-08T00:00:00Z"), milliseconds(1)),
            at("2027-01-08T15:00:00.001Z"));
}

TEST(Calendar, ExactToTheMillisecond) {
  const Calendar c = office();
  // Friday 17:59:59.500 local plus one second: Monday 09:00:00.500 local.
  EXPECT_EQ(add_business_time(c, at("2027-01-08T23:59:59.500Z"), milliseconds(1000)),
            at("2027-01-11T15:00:00.500Z"));
}

TEST(Calendar, HolidaysAreClosed) {
  const Calendar c = office();
  // Friday 2027-01-29 17:00 plus two hours skips Monday 1 February.
  EXPECT_EQ(add_business_time(c, at("2027-01-29T23:00:00Z"), hours(2)), at("2027-02-02T16:00:00Z"));
  EXPECT_EQ(business_time_between(c, at("2027-02-01T00:00:00Z"), at("2027-02-02T06:00:00Z")),
            milliseconds(0));
  // A whole week with the holiday: four days of nine hours.
  EXPECT_EQ(business_time_between(c, at("2027-02-01T06:00:00Z"), at("2027-02-08T06:00:00Z")),
            hours(36));
}

TEST(Calendar, DaylightSavingChangesFollowTheWallClock) {
  const Calendar c = new_york_all_day();
  ASSERT_TRUE(check_calendar(c).empty());
  // 2027-03-14, spring forward: a day of 23 hours. 2027-11-07, fall back: 25.
  EXPECT_EQ(business_time_between(c, at("2027-03-14T05:00:00Z"), at("2027-03-15T04:00:00Z")),
            hours(23));
  EXPECT_EQ(business_time_between(c, at("2027-11-07T04:00:00Z"), at("2027-11-08T05:00:00Z")),
            hours(25));
  // Ranges across the change: 01:00-03:00 on the spring day is one real hour;
  // 00:00-02:00 on the autumn day is three.
  Calendar odd;
  odd.name = "Domingos";
  odd.time_zone = "America/New_York";
  odd.hours[6] = {{60, 180}};  // Sundays
  EXPECT_EQ(business_time_between(odd, at("2027-03-13T00:00:00Z"), at("2027-03-16T00:00:00Z")),
            hours(1));
  odd.hours[6] = {{0, 120}};
  EXPECT_EQ(business_time_between(odd, at("2027-11-06T00:00:00Z"), at("2027-11-09T00:00:00Z")),
            hours(3));
  EXPECT_EQ(add_business_time(odd, at("2027-11-06T00:00:00Z"), hours(3)),
            at("2027-11-07T07:00:00Z"));
}

TEST(Calendar, AddingThenMeasuringGivesBackTheAmount) {
  const Calendar cals[] = {office(), new_york_all_day(), calendar_24x7()};
  for (const Calendar& c : cals) {
    for (Instant from = at("2027-01-01T00:00:00Z"); from < at("2027-12-31T00:00:00Z");
         from += hours(97) + minutes(13)) {
      for (auto amount : {milliseconds(1), milliseconds(minutes(45)), milliseconds(hours(30))}) {
        const auto due = add_business_time(c, from, amount);
        ASSERT_TRUE(due) << c.name;
        EXPECT_EQ(business_time_between(c, from, *due), amount)
            << c.name << " from " << to_iso8601(from);
        // And not a moment earlier.
        EXPECT_LT(business_time_between(c, from, *due - milliseconds(1)), amount);
      }
    }
  }
}

TEST(Calendar, NeverOpenIsNoDueTime) {
  Calendar closed;
  closed.name = "Cerrado";
  EXPECT_TRUE(check_calendar(closed).empty());
  EXPECT_EQ(add_business_time(closed, at("2027-01-01T00:00:00Z"), minutes(1)), std::nullopt);
  EXPECT_EQ(business_time_between(closed, at("2027-01-01T00:00:00Z"), at("2028-01-01T00:00:00Z")),
            milliseconds(0));
}

TEST(Calendar, ChecksRefuseWhatCannotBeCounted) {
  Calendar c = office();
  c.time_zone = "Mars/Olympus_Mons";
  c.hours[0] = {{9 * 60, 13 * 60}, {12 * 60, 18 * 60}};  // overlap
  c.hours[1] = {{18 * 60, 9 * 60}};                      // ends before it starts
  c.hours[2] = {{0, 1441}};                              // past the day
  c.holidays = {{"2027-02-31", "no such day"}, {"2027-05-01", "a"}, {"2027-05-01", "b"}};
  c.name = "";
  std::vector<std::string> codes;
  for (const auto& e : check_calendar(c)) codes.push_back(e.field + ":" + e.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"name:required", "time_zone:unknown_zone",
                                             "hours.mon:overlap", "hours.tue:empty_range",
                                             "hours.wed:out_of_range", "holidays:invalid_date",
                                             "holidays:duplicate"}));
}

TEST(Calendar, ClockTimes) {
  EXPECT_EQ(parse_clock_time("09:00", false), 540);
  EXPECT_EQ(parse_clock_time("23:59", false), 1439);
  EXPECT_EQ(parse_clock_time("24:00", true), 1440);
  EXPECT_EQ(parse_clock_time("24:00", false), std::nullopt) << "only a range ends at 24:00";
  for (const char* bad : {"9:00", "09:60", "25:00", "24:01", "0900", "09:0a", ""})
    EXPECT_EQ(parse_clock_time(bad, true), std::nullopt) << bad;
  EXPECT_EQ(format_clock_time(1440), "24:00");
  EXPECT_EQ(format_clock_time(545), "09:05");
}

}  // namespace
}  // namespace sd
