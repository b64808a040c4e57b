// Service-level policies (issue 8): which tickets a policy covers, its
// targets in business minutes of its calendar, the statuses that pause its
// resolution clock, and when to warn. The first policy by ascending rank
// whose match fits a ticket is the ticket's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/enums.hpp"
#include "domain/error.hpp"
#include "domain/model.hpp"
#include "domain/time.hpp"

namespace sd {

// Each list empty = any.
struct SlaMatch {
  std::vector<TicketType> types;
  std::vector<Priority> priorities;
  std::vector<Id> organisation_ids;
  friend bool operator==(const SlaMatch&, const SlaMatch&) = default;
};

struct SlaPolicy {
  Id id = 0;
  std::string name;
  Id calendar_id = 0;
  std::int64_t rank = 0;
  SlaMatch match;
  std::int64_t first_response_minutes = 0;
  std::int64_t resolution_minutes = 0;
  std::vector<TicketStatus> pause_statuses = {TicketStatus::pending};
  // Percent of each target at which the desk warns.
  int first_response_warning_percent = 75;
  int resolution_warning_percent = 75;
  Instant created_at{};
  Instant updated_at{};
};

// The longest target: ten years of minutes.
constexpr std::int64_t kMaxSlaMinutes = 10LL * 366 * 24 * 60;

// Field errors of a policy, its calendar's existence aside (empty when
// valid): a name, positive targets within kMaxSlaMinutes, warnings of
// 1-99%, pause statuses that are neither resolved nor closed ones, no
// value twice in a list.
std::vector<FieldError> check_sla_policy(const SlaPolicy& p);

bool sla_matches(const SlaMatch& m, const Ticket& t);

// The ticket's policy: the first of `policies` by ascending rank (then id)
// whose match fits; nullopt when none does.
std::optional<SlaPolicy> select_sla_policy(std::vector<SlaPolicy> policies, const Ticket& t);

}  // namespace sd
