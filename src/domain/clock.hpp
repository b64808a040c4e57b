// The passage of time, passed in so that domain rules and tests can travel in
// time. Times are UTC milliseconds since the Unix epoch everywhere inside.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sd {

using Millis = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Millis now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Millis now() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that only moves when told to; for tests and demo data.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Millis start) : m_now(start) {}
  Millis now() const override { return m_now; }
  void advance(Millis ms) { m_now += ms; }
  void set(Millis ms) { m_now = ms; }

 private:
  Millis m_now;
};

// ISO 8601 UTC with milliseconds, e.g. 2026-11-27T03:48:30.123Z.
std::string to_iso8601(Millis t);
// Parses the forms to_iso8601 writes (and without milliseconds); false if not.
bool parse_iso8601(const std::string& text, Millis& out);

}  // namespace sd
