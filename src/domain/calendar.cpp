#include "domain/calendar.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "domain/text.hpp"

namespace sd {
namespace {

constexpr int kDayMinutes = 24 * 60;
// How far ahead add_business_time looks for open hours before giving up.
constexpr int kMaxDays = 3660;

bool is_24x7(const Calendar& c) {
  if (!c.holidays.empty()) return false;
  for (const auto& day : c.hours)
    if (day.size() != 1 || day[0].start != 0 || day[0].end != kDayMinutes) return false;
  return true;
}

const date::time_zone* zone_of(const void* z) { return static_cast<const date::time_zone*>(z); }

// A YYYY-MM-DD already checked, as its day number (no stream: a calendar's
// holidays are read for every ticket that changes).
long day_number(std::string_view d) {
  auto n = [&](std::size_t at, std::size_t len) {
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) v = v * 10 + (d[i] - '0');
    return v;
  };
  const date::year_month_day ymd{date::year{n(0, 4)}, date::month{static_cast<unsigned>(n(5, 2))},
                                 date::day{static_cast<unsigned>(n(8, 2))}};
  return date::sys_days(ymd).time_since_epoch().count();
}

}  // namespace

Calendar calendar_24x7() {
  Calendar c;
  c.name = "24x7";
  c.time_zone = "UTC";
  for (auto& day : c.hours) day = {OpenRange{0, kDayMinutes}};
  return c;
}

std::optional<int> parse_clock_time(std::string_view text, bool end_of_day) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  int h = 0, m = 0;
  auto digits = [](std::string_view s, int& out) {
    if (s.size() != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return false;
    out = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
  };
  if (!digits(text.substr(0, 2), h) || !digits(text.substr(3, 2), m)) return std::nullopt;
  if (h == 24 && m == 0 && end_of_day) return kDayMinutes;
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

std::string format_clock_time(int minutes) {
  minutes = std::clamp(minutes, 0, kDayMinutes);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}

std::vector<FieldError> check_calendar(const Calendar& c) {
  std::vector<FieldError> errors;
  check_text(errors, "name", c.name, kMaxName, TextKind::single_line, true);
  if (!is_known_time_zone(c.time_zone))
    errors.push_back({"time_zone", "is not a time zone of the IANA database", "unknown_zone"});
  for (std::size_t d = 0; d < 7; ++d) {
    if (c.hours[d].size() > kMaxRangesPerDay)
      errors.push_back(
          {std::string("hours.") + kWeekdayKeys[d], "at most 12 ranges a day", "too_many"});
    int last_end = -1;
    for (const OpenRange& r : c.hours[d]) {
      const std::string field = std::string("hours.") + kWeekdayKeys[d];
      if (r.start < 0 || r.start >= kDayMinutes || r.end <= 0 || r.end > kDayMinutes) {
        errors.push_back({field, "times must be within the day (00:00 to 24:00)", "out_of_range"});
      } else if (r.end <= r.start) {
        errors.push_back({field, "each range must end after it starts", "empty_range"});
      } else if (r.start < last_end) {
        errors.push_back({field, "ranges must be in order and not overlap", "overlap"});
      }
      last_end = std::max(last_end, r.end);
    }
  }
  if (c.holidays.size() > kMaxHolidays)
    errors.push_back({"holidays", "at most 1000 holidays", "too_many"});
  std::set<std::string> seen;
  for (const Holiday& h : c.holidays) {
    if (!parse_date(h.date))
      errors.push_back({"holidays", "dates are YYYY-MM-DD and must exist", "invalid_date"});
    else if (!seen.insert(h.date).second)
      errors.push_back({"holidays", "each date once", "duplicate"});
    check_text(errors, "holidays", h.name, kMaxName, TextKind::single_line, false);
  }
  return errors;
}

BusinessClock::BusinessClock(const Calendar& c)
    : m_hours(c.hours), m_zone(date::locate_zone(c.time_zone)), m_always_open(is_24x7(c)) {
  for (const auto& h : c.holidays)
    if (h.date.size() == 10) m_holidays.push_back(day_number(h.date));
  std::sort(m_holidays.begin(), m_holidays.end());
}

long BusinessClock::day_of(Instant t) const {
  return std::chrono::floor<date::days>(zone_of(m_zone)->to_local(t)).time_since_epoch().count();
}

// The open intervals of one local day, as instants, in order.
template <class F>
void BusinessClock::each_open(long local_day, F f) const {
  if (std::binary_search(m_holidays.begin(), m_holidays.end(), local_day)) return;
  const date::local_days day{date::days{local_day}};
  const unsigned weekday = date::weekday(day).iso_encoding();  // 1 = Monday
  const auto* zone = zone_of(m_zone);
  for (const OpenRange& r : m_hours[weekday - 1]) {
    // A start in a gap (spring forward) begins when the day resumes; an
    // ambiguous end (fall back) is the later one: each range lasts as long
    // as the clock on the wall shows it open.
    const Instant start = std::chrono::time_point_cast<Duration>(
        zone->to_sys(day + std::chrono::minutes(r.start), date::choose::earliest));
    const Instant end = std::chrono::time_point_cast<Duration>(
        zone->to_sys(day + std::chrono::minutes(r.end), date::choose::latest));
    if (end > start) f(start, end);
  }
}

Duration BusinessClock::between(Instant from, Instant to) const {
  if (to <= from) return Duration{0};
  if (m_always_open) return to - from;
  Duration total{0};
  // Counted once even where two days' ranges meet in a repeated hour (a
  // zone falling back at midnight): nothing before `counted` counts again.
  Instant counted = from;
  // A zone's day is 23 to 25 hours: start a day early, end a day late.
  for (long day = day_of(from) - 1; day <= day_of(to) + 1; ++day) {
    each_open(day, [&](Instant s, Instant e) {
      const Instant a = std::max(s, counted), b = std::min(e, to);
      if (b > a) total += b - a;
      counted = std::max(counted, e);
    });
  }
  return total;
}

std::optional<Instant> BusinessClock::add(Instant from, Duration amount) const {
  if (amount <= Duration{0}) return from;
  if (m_always_open) return from + amount;
  Duration left = amount;
  std::optional<Instant> at;
  Instant counted = from;
  const long first = day_of(from) - 1;
  for (long day = first; !at && day <= first + kMaxDays; ++day) {
    each_open(day, [&](Instant s, Instant e) {
      if (at) return;
      const Instant a = std::max(s, counted);
      counted = std::max(counted, e);
      if (e <= a) return;
      if (e - a >= left)
        at = a + left;
      else
        left -= e - a;
    });
  }
  return at;
}

Duration business_time_between(const Calendar& c, Instant from, Instant to) {
  return BusinessClock(c).between(from, to);
}

std::optional<Instant> add_business_time(const Calendar& c, Instant from, Duration amount) {
  return BusinessClock(c).add(from, amount);
}

}  // namespace sd
