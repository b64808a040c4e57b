// The escalation directory: contacts by escalation level 1-4.
#pragma once

#include <optional>
#include <vector>

#include "domain/model.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

class DirectoryRepo : Repo {
 public:
  explicit DirectoryRepo(Tx& tx) : Repo(tx) {}
  Id insert(const EscalationContact& c);
  std::optional<EscalationContact> find(Id id);
  void update(const EscalationContact& c);
  void remove(Id id);
  // By level, then name.
  std::vector<EscalationContact> list();
};

inline DirectoryRepo Tx::directory() { return DirectoryRepo(*this); }

}  // namespace sd::store
