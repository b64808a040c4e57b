// Organisations the requesters belong to.
#pragma once

#include <optional>
#include <vector>

#include "domain/model.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

class OrganisationRepo : Repo {
 public:
  explicit OrganisationRepo(Tx& tx) : Repo(tx) {}
  Id insert(const Organisation& o);
  std::optional<Organisation> find(Id id);
  void update(const Organisation& o);
  std::vector<Organisation> list();
};

inline OrganisationRepo Tx::organisations() { return OrganisationRepo(*this); }

}  // namespace sd::store
