#include "domain/time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <cstdio>
#include <sstream>

namespace sd {

namespace {
bool digits(std::string_view s, std::size_t from, std::size_t n) {
  for (std::size_t i = from; i < from + n; ++i)
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
  return true;
}
}  // namespace

// By date's calendar (year_month_day, hh_mm_ss) into fixed-width digits:
// date::format goes through an ostream and its locale, which made writing
// the timestamps of a page of tickets a tenth of a queue request's time.
std::string to_iso8601(Instant t) {
  const auto day = std::chrono::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<Duration> hms{t - day};
  const int year = static_cast<int>(ymd.year());
  char buf[32];
  if (year < 0 || year > 9999) {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", year,
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()),
                  static_cast<int>(hms.subseconds().count()));
    return buf;
  }
  // By hand: lists format several instants a row, and snprintf was a tenth
  // of a queue page.
  auto put = [&](int at, int value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
      buf[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, year, 4);
  buf[4] = '-';
  put(5, static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
  buf[7] = '-';
  put(8, static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
  buf[10] = 'T';
  put(11, static_cast<int>(hms.hours().count()), 2);
  buf[13] = ':';
  put(14, static_cast<int>(hms.minutes().count()), 2);
  buf[16] = ':';
  put(17, static_cast<int>(hms.seconds().count()), 2);
  buf[19] = '.';
  put(20, static_cast<int>(hms.subseconds().count()), 3);
  buf[23] = 'Z';
  return std::string(buf, 24);
}

std::optional<Instant> parse_iso8601(std::string_view text) {
  // The shape first: date::parse alone accepts one-digit fields and more.
  if (text.size() < 20 || text.size() > 24 || text.back() != 'Z') return std::nullopt;
  if (!digits(text, 0, 4) || text[4] != '-' || !digits(text, 5, 2) || text[7] != '-' ||
      !digits(text, 8, 2) || text[10] != 'T' || !digits(text, 11, 2) || text[13] != ':' ||
      !digits(text, 14, 2) || text[16] != ':' || !digits(text, 17, 2))
    return std::nullopt;
  if (text.size() > 20 &&
      (text[19] != '.' || text.size() == 21 || !digits(text, 20, text.size() - 21)))
    return std::nullopt;
  std::istringstream in{std::string(text)};
  Instant t;
  in >> date::parse("%FT%TZ", t);
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  return t;
}

std::optional<Instant> parse_date(std::string_view text) {
  if (text.size() != 10 || !digits(text, 0, 4) || text[4] != '-' || !digits(text, 5, 2) ||
      text[7] != '-' || !digits(text, 8, 2))
    return std::nullopt;
  std::istringstream in{std::string(text)};
  date::sys_days d;
  in >> date::parse("%F", d);
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  return Instant{d};
}

std::string utc_date(Instant t) { return date::format("%F", std::chrono::floor<date::days>(t)); }

bool is_known_time_zone(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  try {
    return date::locate_zone(name) != nullptr;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace sd
