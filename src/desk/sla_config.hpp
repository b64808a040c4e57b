// The service-level configuration every ticket change consults: the
// policies, their calendars made ready for counting, and the escalation
// rules. Read from the store once per version and shared by all threads:
// every write to a calendar, policy or rule gives the configuration a new
// version in the same transaction (config_changed), and every reader
// compares versions, so a node never counts with another's old rules.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "domain/calendar.hpp"
#include "domain/escalation.hpp"
#include "domain/sla.hpp"
#include "store/tx.hpp"

namespace sd::desk {

struct SlaConfig {
  std::vector<SlaPolicy> policies;        // by rank, then id
  std::map<Id, BusinessClock> calendars;  // those the policies use
  std::vector<EscalationRule> rules;      // by id
};

// The configuration in force in this transaction.
std::shared_ptr<const SlaConfig> sla_config(store::Tx& tx);

// Call in the transaction that changes a calendar, policy or rule.
void config_changed(store::Tx& tx);

}  // namespace sd::desk
