// The real clock, the one place the desk reads the system time. An offset
// moves it (SERVICEDESK_CLOCK_OFFSET_MS) so that tests and drills can see
// what the desk does days later: due jobs, closings, and next service-level
// breaches. Thread-safe.
#pragma once

#include "domain/time.hpp"

namespace sd::app {

class SystemClock final : public Clock {
 public:
  explicit SystemClock(Duration offset = Duration{0}) : m_offset(offset) {}
  Instant now() const override {
    return std::chrono::floor<Duration>(std::chrono::system_clock::now()) + m_offset;
  }

 private:
  Duration m_offset;
};

}  // namespace sd::app
