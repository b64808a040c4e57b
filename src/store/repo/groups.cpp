#include "store/repo/groups.hpp"

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;
constexpr const char* kCols = "SELECT id, name, support_level, created_at FROM agent_groups";
Group group_from(const Row& r) {
  return Group{r.i64(0), r.text(1), static_cast<int>(r.i64(2)), instant(r, 3)};
}
}  // namespace

Id GroupRepo::insert(const Group& g) {
  Id id = 0;
  conn().query(
      "INSERT INTO agent_groups (name, support_level, created_at) VALUES ($1, $2, $3) "
      "RETURNING id",
      {g.name, std::int64_t{g.support_level}, at(g.created_at)},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<Group> GroupRepo::find(Id id) {
  std::optional<Group> out;
  conn().query(std::string(kCols) + " WHERE id = $1", {id},
               [&](const Row& r) { out = group_from(r); });
  return out;
}

void GroupRepo::update(const Group& g) {
  conn().exec("UPDATE agent_groups SET name = $2, support_level = $3 WHERE id = $1",
              {g.id, g.name, std::int64_t{g.support_level}});
}

std::vector<Group> GroupRepo::list() {
  std::vector<Group> out;
  conn().query(std::string(kCols) + " ORDER BY support_level, name, id", {},
               [&](const Row& r) { out.push_back(group_from(r)); });
  return out;
}

std::vector<Id> GroupRepo::members(Id group_id) {
  std::vector<Id> out;
  conn().query("SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id", {group_id},
               [&](const Row& r) { out.push_back(r.i64(0)); });
  return out;
}

void GroupRepo::set_members(Id group_id, const std::vector<Id>& user_ids) {
  conn().exec("DELETE FROM group_members WHERE group_id = $1", {group_id});
  for (Id u : user_ids)
    conn().exec("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)", {group_id, u});
}

std::vector<Id> GroupRepo::groups_of(Id user_id) {
  std::vector<Id> out;
  conn().query("SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id", {user_id},
               [&](const Row& r) { out.push_back(r.i64(0)); });
  return out;
}

}  // namespace sd::store
