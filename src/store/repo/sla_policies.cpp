#include "store/repo/sla_policies.hpp"

#include "store/repo/lists.hpp"
#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;

constexpr const char* kCols =
    "SELECT id, name, calendar_id, rank, match_types, match_priorities, match_organisation_ids, "
    "first_response_minutes, resolution_minutes, pause_statuses, first_response_warning_percent, "
    "resolution_warning_percent, created_at, updated_at FROM sla_policies";

SlaPolicy policy_from(const Row& r) {
  SlaPolicy p;
  p.id = r.i64(0);
  p.name = r.text(1);
  p.calendar_id = r.i64(2);
  p.rank = r.i64(3);
  p.match.types = enums<TicketType>(r.text(4));
  p.match.priorities = enums<Priority>(r.text(5));
  p.match.organisation_ids = ids(r.text(6));
  p.first_response_minutes = r.i64(7);
  p.resolution_minutes = r.i64(8);
  p.pause_statuses = enums<TicketStatus>(r.text(9));
  p.first_response_warning_percent = static_cast<int>(r.i64(10));
  p.resolution_warning_percent = static_cast<int>(r.i64(11));
  p.created_at = instant(r, 12);
  p.updated_at = instant(r, 13);
  return p;
}

std::vector<Value> values(const SlaPolicy& p) {
  return {p.name,
          p.calendar_id,
          p.rank,
          joined(p.match.types, name_of),
          joined(p.match.priorities, name_of),
          joined(p.match.organisation_ids, [](Id i) { return std::to_string(i); }),
          p.first_response_minutes,
          p.resolution_minutes,
          joined(p.pause_statuses, name_of),
          std::int64_t{p.first_response_warning_percent},
          std::int64_t{p.resolution_warning_percent},
          at(p.updated_at)};
}
}  // namespace

Id SlaPolicyRepo::insert(const SlaPolicy& p) {
  Id id = 0;
  auto v = values(p);
  v.push_back(at(p.created_at));
  conn().query(
      "INSERT INTO sla_policies (name, calendar_id, rank, match_types, match_priorities, "
      "match_organisation_ids, first_response_minutes, resolution_minutes, pause_statuses, "
      "first_response_warning_percent, resolution_warning_percent, updated_at, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
      v, [&](const Row& r) { id = r.i64(0); });
  return id;
}

void SlaPolicyRepo::update(const SlaPolicy& p) {
  auto v = values(p);
  v.push_back(p.id);
  conn().exec(
      "UPDATE sla_policies SET name = $1, calendar_id = $2, rank = $3, match_types = $4, "
      "match_priorities = $5, match_organisation_ids = $6, first_response_minutes = $7, "
      "resolution_minutes = $8, pause_statuses = $9, first_response_warning_percent = $10, "
      "resolution_warning_percent = $11, updated_at = $12 WHERE id = $13",
      v);
}

std::optional<SlaPolicy> SlaPolicyRepo::find(Id id) {
  std::optional<SlaPolicy> out;
  conn().query(std::string(kCols) + " WHERE id = $1", {id},
               [&](const Row& r) { out = policy_from(r); });
  return out;
}

void SlaPolicyRepo::remove(Id id) { conn().exec("DELETE FROM sla_policies WHERE id = $1", {id}); }

std::vector<SlaPolicy> SlaPolicyRepo::list() {
  std::vector<SlaPolicy> out;
  conn().query(std::string(kCols) + " ORDER BY rank, id", {},
               [&](const Row& r) { out.push_back(policy_from(r)); });
  return out;
}

bool SlaPolicyRepo::uses_calendar(Id calendar_id) {
  bool used = false;
  conn().query("SELECT 1 FROM sla_policies WHERE calendar_id = $1 LIMIT 1", {calendar_id},
               [&](const Row&) { used = true; });
  return used;
}

}  // namespace sd::store
