// Exact time: instants are UTC milliseconds as std::chrono::sys_time, durations
// are std::chrono::milliseconds; no bare integers for either. The clock is
// passed in (a Clock&), so that rules and tests can travel in time: nothing
// in domain/ or desk/ reads the system clock. ISO 8601 and time zones go
// through Howard Hinnant's date/tz on the system zone database.
// Thread-safe: every function here may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sd {

using Duration = std::chrono::milliseconds;
using Instant = std::chrono::sys_time<Duration>;

// The epoch-millisecond form in which the store keeps instants.
constexpr std::int64_t to_unix_ms(Instant t) { return t.time_since_epoch().count(); }
constexpr Instant from_unix_ms(std::int64_t ms) { return Instant{Duration{ms}}; }

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

// A clock that only moves when told to; for tests and demo data.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant start) : m_now(start) {}
  Instant now() const override { return m_now; }
  void advance(Duration d) { m_now += d; }
  void set(Instant t) { m_now = t; }

 private:
  Instant m_now;
};

// ISO 8601 UTC with milliseconds, e.g. 2026-11-27T03:48:30.123Z.
std::string to_iso8601(Instant t);
// Strict: exactly YYYY-MM-DDTHH:MM:SS, optionally .f to .fff, then Z; the date
// must exist (2027-02-31 does not) and the time be in range.
std::optional<Instant> parse_iso8601(std::string_view text);
// A calendar date, YYYY-MM-DD, as the instant of its midnight UTC.
std::optional<Instant> parse_date(std::string_view text);
// The YYYY-MM-DD of an instant in UTC.
std::string utc_date(Instant t);

// Whether `name` is a zone of the IANA zone database (America/Mexico_City, UTC).
bool is_known_time_zone(std::string_view name);

}  // namespace sd
