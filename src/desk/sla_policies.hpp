// Service-level policies (issue 8): admins write them, staff read them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "desk/outcome.hpp"
#include "domain/actor.hpp"
#include "domain/error.hpp"
#include "domain/sla.hpp"

namespace sd::desk {

// A new policy (no id) or a change: what is given replaces what was there.
// A new policy without a calendar counts on the built-in 24x7 one.
struct SaveSlaPolicy {
  std::optional<Id> id;
  std::optional<std::string> name;
  std::optional<Id> calendar_id;
  std::optional<std::int64_t> rank;
  std::optional<SlaMatch> match;
  std::optional<std::int64_t> first_response_minutes, resolution_minutes;
  std::optional<std::vector<TicketStatus>> pause_statuses;
  std::optional<int> first_response_warning_percent, resolution_warning_percent;
};
Result<Outcome<SlaPolicy>> save_sla_policy(store::Tx& tx, const Actor& a, const SaveSlaPolicy& c,
                                           Instant now);
Result<Outcome<Id>> delete_sla_policy(store::Tx& tx, const Actor& a, Id id, Instant now);
Result<std::vector<SlaPolicy>> list_sla_policies(store::Tx& tx, const Actor& a);
Result<SlaPolicy> get_sla_policy(store::Tx& tx, const Actor& a, Id id);

}  // namespace sd::desk
