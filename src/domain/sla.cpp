#include "domain/sla.hpp"

#include <algorithm>
#include <set>

#include "domain/lifecycle.hpp"
#include "domain/text.hpp"

namespace sd {
namespace {

template <class T>
bool has_duplicates(const std::vector<T>& v) {
  return std::set<T>(v.begin(), v.end()).size() != v.size();
}

template <class T>
bool fits(const std::vector<T>& allowed, const T& value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

}  // namespace

std::vector<FieldError> check_sla_policy(const SlaPolicy& p) {
  std::vector<FieldError> errors;
  check_text(errors, "name", p.name, kMaxName, TextKind::single_line, true);
  auto target = [&](const char* field, std::int64_t minutes) {
    if (minutes < 1 || minutes > kMaxSlaMinutes)
      errors.push_back({field, "must be a number of minutes from 1 to 5270400", "out_of_range"});
  };
  target("first_response_minutes", p.first_response_minutes);
  target("resolution_minutes", p.resolution_minutes);
  auto percent = [&](const char* field, int v) {
    if (v < 1 || v > 99) errors.push_back({field, "must be 1 to 99 (percent)", "out_of_range"});
  };
  percent("first_response_warning_percent", p.first_response_warning_percent);
  percent("resolution_warning_percent", p.resolution_warning_percent);
  for (TicketStatus s : p.pause_statuses) {
    const StatusCategory c = category_of(s);
    if (c == StatusCategory::resolved || c == StatusCategory::closed) {
      errors.push_back({"pause_statuses",
                        "resolved and closed tickets have no running clock to pause",
                        "not_pausable"});
      break;
    }
  }
  if (has_duplicates(p.pause_statuses))
    errors.push_back({"pause_statuses", "names a status twice", "duplicate"});
  if (has_duplicates(p.match.types))
    errors.push_back({"match.types", "names a type twice", "duplicate"});
  if (has_duplicates(p.match.priorities))
    errors.push_back({"match.priorities", "names a priority twice", "duplicate"});
  if (has_duplicates(p.match.organisation_ids))
    errors.push_back({"match.organisation_ids", "names an organisation twice", "duplicate"});
  return errors;
}

bool sla_matches(const SlaMatch& m, const Ticket& t) {
  if (!fits(m.types, t.type) || !fits(m.priorities, t.priority)) return false;
  if (m.organisation_ids.empty()) return true;
  return t.organisation_id && fits(m.organisation_ids, *t.organisation_id);
}

std::optional<SlaPolicy> select_sla_policy(std::vector<SlaPolicy> policies, const Ticket& t) {
  std::sort(policies.begin(), policies.end(), [](const SlaPolicy& a, const SlaPolicy& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.id < b.id;
  });
  for (auto& p : policies)
    if (sla_matches(p.match, t)) return std::move(p);
  return std::nullopt;
}

}  // namespace sd
