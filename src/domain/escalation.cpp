#include "domain/escalation.hpp"

#include <algorithm>
#include <set>

#include "domain/priority.hpp"
#include "domain/text.hpp"

namespace sd {
namespace {

template <class T>
bool any_or_has(const std::vector<T>& v, const T& x) {
  return v.empty() || std::find(v.begin(), v.end(), x) != v.end();
}

template <class T>
bool has_twice(const std::vector<T>& v) {
  std::set<T> seen(v.begin(), v.end());
  return seen.size() != v.size();
}

}  // namespace

std::vector<FieldError> check_escalation_rule(const EscalationRule& r) {
  std::vector<FieldError> errors;
  check_text(errors, "name", r.name, kMaxName, TextKind::single_line, true);
  if (!r.target.empty() && r.target != "first_response" && r.target != "resolution")
    errors.push_back({"target", "must be first_response or resolution", "invalid"});
  if (r.trigger == EscalationTrigger::created && (!r.target.empty() || r.policy_id))
    errors.push_back({"target", "a rule on creation has no target or policy", "invalid"});
  if (r.support_level && !valid_support_level(*r.support_level))
    errors.push_back({"support_level", "must be 1, 2 or 3", "out_of_range"});
  if (r.directory_level &&
      (*r.directory_level < kMinEscalationLevel || *r.directory_level > kMaxEscalationLevel))
    errors.push_back({"directory_level", "must be 1, 2, 3 or 4", "out_of_range"});
  if (!r.support_level && !r.directory_level && !r.group_id && !r.priority)
    errors.push_back({"actions", "a rule must do something", "required"});
  if (has_twice(r.impacts)) errors.push_back({"impacts", "each value once", "duplicate"});
  if (has_twice(r.types)) errors.push_back({"types", "each value once", "duplicate"});
  return errors;
}

bool rule_applies(const EscalationRule& r, const EscalationCause& c, const Ticket& t) {
  if (!r.active || r.trigger != c.trigger) return false;
  if (!r.target.empty() && r.target != c.target) return false;
  if (r.policy_id && r.policy_id != c.policy_id) return false;
  return any_or_has(r.impacts, t.impact) && any_or_has(r.types, t.type);
}

EscalationCause cause_of(SlaMoment m, std::optional<Id> policy_id) {
  return {moment_is_breach(m) ? EscalationTrigger::sla_breach : EscalationTrigger::sla_warning,
          moment_target(m), policy_id};
}

EscalationPlan plan_escalation(const std::vector<EscalationRule>& rules, const EscalationCause& c,
                               const Ticket& t) {
  EscalationPlan p;
  for (const auto& r : rules) {
    if (!rule_applies(r, c, t)) continue;
    p.rule_names.push_back(r.name);
    if (r.support_level && *r.support_level > t.support_level &&
        (!p.support_level || *r.support_level > *p.support_level))
      p.support_level = r.support_level;
    // Priority 1 is the most urgent.
    if (r.priority && *r.priority < t.priority && (!p.priority || *r.priority < *p.priority))
      p.priority = r.priority;
    if (r.group_id && r.group_id != t.group_id) p.group_id = r.group_id;
    if (r.directory_level && std::find(p.directory_levels.begin(), p.directory_levels.end(),
                                       *r.directory_level) == p.directory_levels.end())
      p.directory_levels.push_back(*r.directory_level);
  }
  std::sort(p.directory_levels.begin(), p.directory_levels.end());
  return p;
}

std::string escalation_reason(const EscalationCause& c, const std::vector<std::string>& rules) {
  std::string what;
  switch (c.trigger) {
    case EscalationTrigger::created:
      what = "on creation";
      break;
    case EscalationTrigger::sla_warning:
      what = c.target + " warning";
      break;
    case EscalationTrigger::sla_breach:
      what = c.target + " breached";
      break;
  }
  std::string names;
  for (const auto& n : rules) names += (names.empty() ? "" : ", ") + n;
  return what + " (rules: " + names + ")";
}

}  // namespace sd
