// Agent groups, each serving one support level, and their members.
#pragma once

#include <optional>
#include <vector>

#include "domain/model.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

class GroupRepo : Repo {
 public:
  explicit GroupRepo(Tx& tx) : Repo(tx) {}
  Id insert(const Group& g);
  std::optional<Group> find(Id id);
  void update(const Group& g);
  // By support level, then name.
  std::vector<Group> list();
  std::vector<Id> members(Id group_id);
  void set_members(Id group_id, const std::vector<Id>& user_ids);
  std::vector<Id> groups_of(Id user_id);
};

inline GroupRepo Tx::groups() { return GroupRepo(*this); }

}  // namespace sd::store
