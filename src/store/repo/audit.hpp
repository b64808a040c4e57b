// The audit trail: changes made to people's accounts by others. Append only.
#pragma once

#include <vector>

#include "domain/model.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

class AuditRepo : Repo {
 public:
  explicit AuditRepo(Tx& tx) : Repo(tx) {}
  Id append(const AuditEvent& e);
  // Newest first.
  std::vector<AuditEvent> list_for_user(Id target_user_id, int limit = 100);
};

inline AuditRepo Tx::audit() { return AuditRepo(*this); }

}  // namespace sd::store
