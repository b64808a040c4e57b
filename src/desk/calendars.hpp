// Business calendars (issue 8): admins write them, staff read them; the
// built-in 24x7 calendar may be renamed but never deleted nor changed in
// its hours.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "desk/outcome.hpp"
#include "domain/actor.hpp"
#include "domain/calendar.hpp"
#include "domain/error.hpp"

namespace sd::desk {

// A new calendar (no id) or a change to one: what is given replaces what
// was there (hours as a whole week, holidays as a whole list).
struct SaveCalendar {
  std::optional<Id> id;
  std::optional<std::string> name, time_zone;
  std::optional<std::array<std::vector<OpenRange>, 7>> hours;
  std::optional<std::vector<Holiday>> holidays;
};
Result<Outcome<Calendar>> save_calendar(store::Tx& tx, const Actor& a, const SaveCalendar& c,
                                        Instant now);
Result<Outcome<Id>> delete_calendar(store::Tx& tx, const Actor& a, Id id, Instant now);
Result<std::vector<Calendar>> list_calendars(store::Tx& tx, const Actor& a);
Result<Calendar> get_calendar(store::Tx& tx, const Actor& a, Id id);

}  // namespace sd::desk
