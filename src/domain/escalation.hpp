// Escalation rules (issue 8), as configuration: on a service-level warning
// or breach (per target, and per policy if it names one), or on a ticket's creation with a given
// impact or type, raise the support level (functional escalation), notify
// the escalation directory's contacts of a level (hierarchical), reassign
// to a group, raise the priority. The desk ships the source document's
// defaults; admins change them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/enums.hpp"
#include "domain/error.hpp"
#include "domain/model.hpp"
#include "domain/sla_clock.hpp"
#include "domain/time.hpp"

namespace sd {

enum class EscalationTrigger : std::uint8_t { created, sla_warning, sla_breach };
template <>
struct EnumNames<EscalationTrigger> {
  static constexpr std::array names{std::string_view{"created"}, std::string_view{"sla_warning"},
                                    std::string_view{"sla_breach"}};
};

struct EscalationRule {
  Id id = 0;
  std::string name;
  bool active = true;
  EscalationTrigger trigger = EscalationTrigger::sla_breach;
  // For warnings and breaches: "first_response" or "resolution"; empty = either.
  std::string target;
  std::optional<Id> policy_id;  // unset = any policy
  // Which tickets; each list empty = any.
  std::vector<Impact> impacts;
  std::vector<TicketType> types;
  // What it does; at least one.
  std::optional<SupportLevel> support_level;  // raise to (never lowers)
  std::optional<int> directory_level;         // notify that level's contacts
  std::optional<Id> group_id;                 // reassign to
  std::optional<Priority> priority;           // raise to (never lowers)
  Instant created_at{};
  Instant updated_at{};
};

// What set rules off.
struct EscalationCause {
  EscalationTrigger trigger = EscalationTrigger::created;
  std::string target;           // of a warning or breach
  std::optional<Id> policy_id;  // the ticket's policy then
};

std::vector<FieldError> check_escalation_rule(const EscalationRule& r);
bool rule_applies(const EscalationRule& r, const EscalationCause& c, const Ticket& t);

// The cause of a moment written on a ticket under `policy_id`.
EscalationCause cause_of(SlaMoment m, std::optional<Id> policy_id);

// What the applicable rules do together: the highest level and priority
// asked for (only when above the ticket's), the last group named, every
// directory level to notify, and the rules that applied.
struct EscalationPlan {
  std::optional<SupportLevel> support_level;
  std::optional<Priority> priority;
  std::optional<Id> group_id;
  std::vector<int> directory_levels;
  std::vector<std::string> rule_names;
  bool empty() const { return rule_names.empty(); }
};
EscalationPlan plan_escalation(const std::vector<EscalationRule>& rules, const EscalationCause& c,
                               const Ticket& t);

// The reason written on the timeline: "resolution breached (rule: ...)".
std::string escalation_reason(const EscalationCause& c, const std::vector<std::string>& rules);

}  // namespace sd
