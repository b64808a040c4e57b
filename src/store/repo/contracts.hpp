// Contracts of organisations.
#pragma once

#include <optional>
#include <vector>

#include "domain/contract.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

struct ContractQuery {
  std::optional<Id> organisation_id;
  // In force or not, ending on or before this date (YYYY-MM-DD) and not before `ends_from`.
  std::optional<std::string> ends_from, ends_until;
};

class ContractRepo : Repo {
 public:
  explicit ContractRepo(Tx& tx) : Repo(tx) {}
  Id insert(const Contract& c);
  std::optional<Contract> find(Id id);
  void update(const Contract& c);
  void remove(Id id);
  // By end date, then id.
  std::vector<Contract> list(const ContractQuery& q);
};

inline ContractRepo Tx::contracts() { return ContractRepo(*this); }

}  // namespace sd::store
