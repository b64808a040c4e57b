// Business calendars (issue 8): an IANA time zone, weekly opening hours and
// holidays, and the arithmetic service levels count in: how much business
// time lies between two instants, and when a given amount of it has passed.
// Exact to the millisecond across weekends, holidays and daylight-saving
// changes. Pure: the zone database is read-only data.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/error.hpp"
#include "domain/time.hpp"

namespace sd {

// Open from `start` to `end`, in minutes after local midnight; `end` may be
// 1440 ("24:00", the end of the day).
struct OpenRange {
  int start = 0;
  int end = 0;
  friend bool operator==(const OpenRange&, const OpenRange&) = default;
};

struct Holiday {
  std::string date;  // YYYY-MM-DD, local to the calendar
  std::string name;
  friend bool operator==(const Holiday&, const Holiday&) = default;
};

struct Calendar {
  Id id = 0;
  bool builtin = false;  // the 24x7 calendar every desk has; not deleted
  std::string name;
  std::string time_zone = "UTC";
  // Monday first; a day without ranges is closed.
  std::array<std::vector<OpenRange>, 7> hours;
  std::vector<Holiday> holidays;
  Instant created_at{};
  Instant updated_at{};
};

// Limits on what a calendar may hold.
constexpr std::size_t kMaxRangesPerDay = 12;
constexpr std::size_t kMaxHolidays = 1000;
// The days of the week as the API names them, Monday first.
constexpr const char* kWeekdayKeys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// The built-in calendar: every day, all day, no holidays.
Calendar calendar_24x7();

// "09:00" -> 540; "24:00" -> 1440 only when `end_of_day` may be given.
std::optional<int> parse_clock_time(std::string_view text, bool end_of_day);
std::string format_clock_time(int minutes);

// Field errors of a calendar (empty when it is valid): a known zone, ranges
// inside the day, each ending after it starts, in order and not
// overlapping, holidays on dates that exist, each date once.
std::vector<FieldError> check_calendar(const Calendar& c);

// A calendar made ready for counting: its zone found and its holidays read
// once, for the many sums a ticket's clocks need. Holds its own copy.
// REQUIRES: check_calendar(c) empty.
class BusinessClock {
 public:
  explicit BusinessClock(const Calendar& c);

  // Business time in [from, to) (zero when to <= from).
  Duration between(Instant from, Instant to) const;
  // The first instant at which `amount` of business time has passed since
  // `from` (from itself when amount is zero or less); nullopt when the
  // calendar is never open within ten years.
  std::optional<Instant> add(Instant from, Duration amount) const;

 private:
  std::array<std::vector<OpenRange>, 7> m_hours;
  const void* m_zone;            // a date::time_zone of the zone database
  std::vector<long> m_holidays;  // local day numbers, sorted
  bool m_always_open;

  template <class F>
  void each_open(long local_day, F f) const;
  long day_of(Instant t) const;
};

// One sum each, for a caller that needs only one.
Duration business_time_between(const Calendar& c, Instant from, Instant to);
std::optional<Instant> add_business_time(const Calendar& c, Instant from, Duration amount);

}  // namespace sd
