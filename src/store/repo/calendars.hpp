// Business calendars: a zone, opening ranges by weekday, holidays.
#pragma once

#include <optional>
#include <vector>

#include "domain/calendar.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

class CalendarRepo : Repo {
 public:
  explicit CalendarRepo(Tx& tx) : Repo(tx) {}
  // With its hours and holidays; the id is the new one.
  Id insert(const Calendar& c);
  std::optional<Calendar> find(Id id);
  // Replaces name, zone, hours and holidays.
  void update(const Calendar& c);
  void remove(Id id);
  // The built-in first, then by name.
  std::vector<Calendar> list();
  // The id of the built-in 24x7 calendar.
  Id builtin_id();

 private:
  void write_parts(const Calendar& c);
  void read_parts(std::vector<Calendar>& cs);
};

inline CalendarRepo Tx::calendars() { return CalendarRepo(*this); }

}  // namespace sd::store
