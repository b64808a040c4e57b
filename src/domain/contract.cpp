#include "domain/contract.hpp"

#include <algorithm>

#include "domain/text.hpp"

namespace sd {

std::vector<FieldError> check_contract(const Contract& c) {
  std::vector<FieldError> errors;
  check_text(errors, "name", c.name, kMaxName, TextKind::single_line, true);
  const auto start = parse_date(c.starts_on), end = parse_date(c.ends_on);
  if (!start)
    errors.push_back({"starts_on", "must be a date YYYY-MM-DD that exists", "invalid_date"});
  if (!end) errors.push_back({"ends_on", "must be a date YYYY-MM-DD that exists", "invalid_date"});
  if (start && end && *end < *start)
    errors.push_back({"ends_on", "must not be before starts_on", "before_start"});
  std::vector<Id> ids = c.policy_ids;
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end())
    errors.push_back({"policy_ids", "each policy once", "duplicate"});
  return errors;
}

bool in_force(const Contract& c, Instant at) {
  const std::string today = utc_date(at);
  // YYYY-MM-DD compares as text.
  return c.starts_on <= today && today <= c.ends_on;
}

CoverageDecision decide_coverage(const std::vector<Contract>& of_organisation, Instant at) {
  CoverageDecision d;
  if (of_organisation.empty()) return d;
  const Contract* best = nullptr;
  for (const auto& c : of_organisation)
    if (in_force(c, at) && (!best || c.ends_on > best->ends_on)) best = &c;
  if (best) {
    d.coverage = Coverage::covered;
    d.contract = *best;
    return d;
  }
  // Out of force: the one that ended last (or, all in the future, the first to start).
  const std::string today = utc_date(at);
  for (const auto& c : of_organisation) {
    if (!best) {
      best = &c;
      continue;
    }
    const bool c_past = c.ends_on < today, b_past = best->ends_on < today;
    if (c_past != b_past ? c_past
        : c_past         ? c.ends_on > best->ends_on
                         : c.starts_on < best->starts_on)
      best = &c;
  }
  d.coverage = Coverage::outside;
  d.contract = *best;
  return d;
}

long days_left(const Contract& c, Instant at) {
  const auto end = parse_date(c.ends_on);
  if (!end) return 0;
  const auto today = std::chrono::floor<std::chrono::days>(at);
  return static_cast<long>(std::chrono::floor<std::chrono::days>(*end).time_since_epoch().count() -
                           today.time_since_epoch().count());
}

}  // namespace sd
