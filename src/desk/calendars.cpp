#include "desk/calendars.hpp"

#include "desk/clocks.hpp"
#include "domain/permissions.hpp"
#include "store/repo/calendars.hpp"
#include "store/repo/sla_policies.hpp"

namespace sd::desk {

Result<Outcome<Calendar>> save_calendar(store::Tx& tx, const Actor& a, const SaveCalendar& c,
                                        Instant now) {
  if (!can_manage_settings(a))
    return make_error(ErrorCode::forbidden, "only admins edit calendars");
  Calendar cal;
  if (c.id) {
    auto found = tx.calendars().find(*c.id);
    if (!found) return make_error(ErrorCode::not_found, "no such calendar");
    cal = *found;
    if (cal.builtin && (c.time_zone || c.hours || c.holidays))
      return conflict("builtin_calendar",
                      "the 24x7 calendar is always open; make a calendar of your own");
  } else {
    cal.created_at = now;
  }
  if (c.name) cal.name = *c.name;
  if (c.time_zone) cal.time_zone = *c.time_zone;
  if (c.hours) cal.hours = *c.hours;
  if (c.holidays) cal.holidays = *c.holidays;
  cal.updated_at = now;
  if (auto s = check_fields(check_calendar(cal)); !s) return s.error();
  if (c.id)
    tx.calendars().update(cal);
  else
    cal.id = tx.calendars().insert(cal);
  config_changed(tx);
  Effects fx(tx);
  // The targets of open tickets under its policies move with its hours.
  if (c.id && tx.sla_policies().uses_calendar(cal.id)) schedule_sweep(fx, now);
  return fx.done(*tx.calendars().find(cal.id));
}

Result<Outcome<Id>> delete_calendar(store::Tx& tx, const Actor& a, Id id, Instant) {
  if (!can_manage_settings(a))
    return make_error(ErrorCode::forbidden, "only admins edit calendars");
  auto found = tx.calendars().find(id);
  if (!found) return make_error(ErrorCode::not_found, "no such calendar");
  if (found->builtin) return conflict("builtin_calendar", "the 24x7 calendar cannot be deleted");
  if (tx.sla_policies().uses_calendar(id))
    return conflict("calendar_in_use", "service-level policies count on this calendar");
  tx.calendars().remove(id);
  config_changed(tx);
  Effects fx(tx);
  return fx.done(id);
}

Result<std::vector<Calendar>> list_calendars(store::Tx& tx, const Actor& a) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "only staff see calendars");
  return tx.calendars().list();
}

Result<Calendar> get_calendar(store::Tx& tx, const Actor& a, Id id) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "only staff see calendars");
  auto found = tx.calendars().find(id);
  if (!found) return make_error(ErrorCode::not_found, "no such calendar");
  return *found;
}

}  // namespace sd::desk
