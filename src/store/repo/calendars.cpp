#include "store/repo/calendars.hpp"

#include <unordered_map>

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;
constexpr const char* kCols =
    "SELECT id, name, time_zone, builtin, created_at, updated_at FROM calendars";
Calendar calendar_from(const Row& r) {
  Calendar c;
  c.id = r.i64(0);
  c.name = r.text(1);
  c.time_zone = r.text(2);
  c.builtin = r.i64(3) != 0;
  c.created_at = instant(r, 4);
  c.updated_at = instant(r, 5);
  return c;
}
}  // namespace

Id CalendarRepo::insert(const Calendar& c) {
  Id id = 0;
  conn().query(
      "INSERT INTO calendars (name, time_zone, builtin, created_at, updated_at) VALUES ($1, $2, "
      "0, $3, $4) RETURNING id",
      {c.name, c.time_zone, at(c.created_at), at(c.updated_at)},
      [&](const Row& r) { id = r.i64(0); });
  Calendar saved = c;
  saved.id = id;
  write_parts(saved);
  return id;
}

void CalendarRepo::update(const Calendar& c) {
  conn().exec("UPDATE calendars SET name = $2, time_zone = $3, updated_at = $4 WHERE id = $1",
              {c.id, c.name, c.time_zone, at(c.updated_at)});
  conn().exec("DELETE FROM calendar_hours WHERE calendar_id = $1", {c.id});
  conn().exec("DELETE FROM calendar_holidays WHERE calendar_id = $1", {c.id});
  write_parts(c);
}

void CalendarRepo::write_parts(const Calendar& c) {
  for (std::size_t d = 0; d < c.hours.size(); ++d)
    for (const OpenRange& r : c.hours[d])
      conn().exec(
          "INSERT INTO calendar_hours (calendar_id, weekday, start_minute, end_minute) VALUES "
          "($1, $2, $3, $4)",
          {c.id, static_cast<std::int64_t>(d), std::int64_t{r.start}, std::int64_t{r.end}});
  for (const Holiday& h : c.holidays)
    conn().exec("INSERT INTO calendar_holidays (calendar_id, day, name) VALUES ($1, $2, $3)",
                {c.id, h.date, h.name});
}

void CalendarRepo::read_parts(std::vector<Calendar>& cs) {
  if (cs.empty()) return;
  std::unordered_map<Id, Calendar*> by_id;
  std::vector<std::int64_t> ids;
  for (auto& c : cs) {
    by_id[c.id] = &c;
    ids.push_back(c.id);
  }
  Binder b(dialect());
  const std::string in = b.any_of("calendar_id", ids);
  conn().query("SELECT calendar_id, weekday, start_minute, end_minute FROM calendar_hours WHERE " +
                   in + " ORDER BY calendar_id, weekday, start_minute",
               b.params, [&](const Row& r) {
                 const auto d = r.i64(1);
                 if (d >= 0 && d < 7)
                   by_id[r.i64(0)]->hours[static_cast<std::size_t>(d)].push_back(
                       OpenRange{static_cast<int>(r.i64(2)), static_cast<int>(r.i64(3))});
               });
  conn().query("SELECT calendar_id, day, name FROM calendar_holidays WHERE " + in +
                   " ORDER BY calendar_id, day",
               b.params, [&](const Row& r) {
                 by_id[r.i64(0)]->holidays.push_back(Holiday{r.text(1), r.text(2)});
               });
}

std::optional<Calendar> CalendarRepo::find(Id id) {
  std::vector<Calendar> found;
  conn().query(std::string(kCols) + " WHERE id = $1", {id},
               [&](const Row& r) { found.push_back(calendar_from(r)); });
  if (found.empty()) return std::nullopt;
  read_parts(found);
  return found.front();
}

void CalendarRepo::remove(Id id) { conn().exec("DELETE FROM calendars WHERE id = $1", {id}); }

std::vector<Calendar> CalendarRepo::list() {
  std::vector<Calendar> out;
  conn().query(std::string(kCols) + " ORDER BY builtin DESC, name, id", {},
               [&](const Row& r) { out.push_back(calendar_from(r)); });
  read_parts(out);
  return out;
}

Id CalendarRepo::builtin_id() {
  Id id = 0;
  conn().query("SELECT id FROM calendars WHERE builtin = 1", {},
               [&](const Row& r) { id = r.i64(0); });
  return id;
}

}  // namespace sd::store
