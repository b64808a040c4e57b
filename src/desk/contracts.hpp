// Contracts (issue 8): admins write them, staff read them; supervisors look
// for the ones about to end.
#pragma once

#include <optional>
#include <vector>

#include "desk/outcome.hpp"
#include "domain/actor.hpp"
#include "domain/contract.hpp"
#include "store/repo/contracts.hpp"

namespace sd::desk {

Result<Outcome<Contract>> save_contract(store::Tx& tx, const Actor& a, Contract c, Instant now);
Result<Outcome<Id>> delete_contract(store::Tx& tx, const Actor& a, Id id);
Result<Contract> get_contract(store::Tx& tx, const Actor& a, Id id);

struct ContractList {
  std::optional<Id> organisation_id;
  // Only those in force that end within this many days of `now`.
  std::optional<int> expiring_within_days;
};
Result<std::vector<Contract>> list_contracts(store::Tx& tx, const Actor& a, const ContractList& q,
                                             Instant now);

}  // namespace sd::desk
