// Service-level policies.
#pragma once

#include <optional>
#include <vector>

#include "domain/sla.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

class SlaPolicyRepo : Repo {
 public:
  explicit SlaPolicyRepo(Tx& tx) : Repo(tx) {}
  Id insert(const SlaPolicy& p);
  std::optional<SlaPolicy> find(Id id);
  void update(const SlaPolicy& p);
  void remove(Id id);
  // By rank, then id: the order in which they are tried.
  std::vector<SlaPolicy> list();
  bool uses_calendar(Id calendar_id);
};

inline SlaPolicyRepo Tx::sla_policies() { return SlaPolicyRepo(*this); }

}  // namespace sd::store
