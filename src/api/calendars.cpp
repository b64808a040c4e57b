// /calendars: business calendars, as JSON over desk/calendars. The shape is
// fixed by issue 8 (tools outside the project use it):
// {"name","time_zone","hours":{"mon":[["09:00","18:00"]],...,"sun":[]},
//  "holidays":[{"date":"2027-02-01","name":"..."}]}.
#include "desk/calendars.hpp"

#include <boost/json.hpp>

#include "api/json_io.hpp"
#include "api/router.hpp"
#include "domain/text.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;
using store::Tx;

json::object calendar_json(const Calendar& c) {
  json::object hours;
  for (std::size_t d = 0; d < 7; ++d) {
    json::array day;
    for (const OpenRange& r : c.hours[d])
      day.push_back(json::array{json::string(format_clock_time(r.start)),
                                json::string(format_clock_time(r.end))});
    hours[kWeekdayKeys[d]] = std::move(day);
  }
  json::array holidays;
  for (const Holiday& h : c.holidays) holidays.push_back({{"date", h.date}, {"name", h.name}});
  return {{"id", c.id},
          {"name", c.name},
          {"time_zone", c.time_zone},
          {"builtin", c.builtin},
          {"hours", std::move(hours)},
          {"holidays", std::move(holidays)},
          {"created_at", to_iso8601(c.created_at)},
          {"updated_at", to_iso8601(c.updated_at)}};
}

// "hours": every day named is read; a day left out is closed.
std::optional<std::array<std::vector<OpenRange>, 7>> read_hours(const json::value& v,
                                                                FieldReader& in) {
  if (!v.is_object()) {
    in.add("hours", "must be an object of days (mon..sun)", "invalid_type");
    return std::nullopt;
  }
  std::array<std::vector<OpenRange>, 7> week;
  bool ok = true;
  for (const auto& [key, day] : v.as_object()) {
    std::size_t d = 0;
    while (d < 7 && key != kWeekdayKeys[d]) ++d;
    const std::string field = "hours." + std::string(key);
    if (d == 7) {
      in.add(field, "is not a day; the days are mon, tue, wed, thu, fri, sat and sun",
             "unknown_field");
      ok = false;
      continue;
    }
    if (!day.is_array() || day.as_array().size() > kMaxRangesPerDay) {
      in.add(field, "must be a list of at most 12 [\"HH:MM\",\"HH:MM\"] ranges", "invalid_type");
      ok = false;
      continue;
    }
    for (const auto& range : day.as_array()) {
      const auto* pair = range.if_array();
      std::optional<int> start, end;
      if (pair && pair->size() == 2 && (*pair)[0].is_string() && (*pair)[1].is_string()) {
        start = parse_clock_time(std::string_view((*pair)[0].as_string()), false);
        end = parse_clock_time(std::string_view((*pair)[1].as_string()), true);
      }
      if (!start || !end) {
        in.add(field, "each range is [\"HH:MM\",\"HH:MM\"], from 00:00 to 24:00", "invalid_time");
        ok = false;
        break;
      }
      week[d].push_back(OpenRange{*start, *end});
    }
  }
  if (!ok) return std::nullopt;
  return week;
}

std::optional<std::vector<Holiday>> read_holidays(const json::value& v, FieldReader& in) {
  if (!v.is_array() || v.as_array().size() > kMaxHolidays) {
    in.add("holidays", "must be a list of at most 1000 {\"date\",\"name\"}", "invalid_type");
    return std::nullopt;
  }
  std::vector<Holiday> out;
  for (const auto& item : v.as_array()) {
    const auto* o = item.if_object();
    const json::value* date = o ? o->if_contains("date") : nullptr;
    const json::value* name = o ? o->if_contains("name") : nullptr;
    const bool shape_ok = o && date && date->is_string() && (!name || name->is_string()) &&
                          o->size() == (name ? 2u : 1u);
    if (!shape_ok) {
      in.add("holidays", "each holiday is {\"date\":\"YYYY-MM-DD\",\"name\":\"...\"}",
             "invalid_type");
      return std::nullopt;
    }
    Holiday h;
    h.date = std::string(date->as_string());
    if (name) h.name = std::string(name->as_string());
    out.push_back(std::move(h));
  }
  return out;
}

Result<Response> write_calendar(Ctx& ctx, bool creating) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"name", "time_zone", "hours", "holidays"});
  desk::SaveCalendar c;
  if (!creating) c.id = ctx.id;
  if (creating || in.has("name")) c.name = in.text("name", kMaxName, TextKind::single_line, true);
  if (creating || in.has("time_zone"))
    c.time_zone = in.text("time_zone", 64, TextKind::single_line, true);
  if (const auto* h = body->if_contains("hours"))
    c.hours = read_hours(*h, in);
  else if (creating)
    in.add("hours", "is required", "required");
  if (const auto* h = body->if_contains("holidays")) c.holidays = read_holidays(*h, in);
  if (auto s = in.finish(); !s) return s.error();
  const Instant now = ctx.s.clock.now();
  auto out =
      ctx.s.store.write([&](Tx& tx) { return desk::save_calendar(tx, ctx.actor(), c, now); });
  if (!out) return out.error();
  if (creating)
    return created(calendar_json(out->value), "/api/v1/calendars/" + std::to_string(out->value.id));
  return json_response(200, calendar_json(out->value));
}

Result<Response> create_calendar(Ctx& ctx) { return write_calendar(ctx, true); }
Result<Response> patch_calendar(Ctx& ctx) { return write_calendar(ctx, false); }

Result<Response> list_calendars(Ctx& ctx) {
  auto list = ctx.s.store.read([&](Tx& tx) { return desk::list_calendars(tx, ctx.actor()); });
  if (!list) return list.error();
  json::array a;
  for (const auto& c : *list) a.push_back(calendar_json(c));
  return json_response(200, json::object{{"items", std::move(a)}});
}

Result<Response> get_calendar(Ctx& ctx) {
  auto c = ctx.s.store.read([&](Tx& tx) { return desk::get_calendar(tx, ctx.actor(), ctx.id); });
  if (!c) return c.error();
  return json_response(200, calendar_json(*c));
}

Result<Response> delete_calendar(Ctx& ctx) {
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write(
      [&](Tx& tx) { return desk::delete_calendar(tx, ctx.actor(), ctx.id, now); });
  if (!out) return out.error();
  return no_content();
}

}  // namespace

void add_calendar_routes(std::vector<Route>& out) {
  out.push_back({Method::get, "/api/v1/calendars", list_calendars, Policy::staff});
  out.push_back({Method::post, "/api/v1/calendars", create_calendar, Policy::admin});
  out.push_back({Method::get, "/api/v1/calendars/{id}", get_calendar, Policy::staff});
  out.push_back({Method::patch, "/api/v1/calendars/{id}", patch_calendar, Policy::admin});
  out.push_back({Method::del, "/api/v1/calendars/{id}", delete_calendar, Policy::admin});
}

}  // namespace sd::api
