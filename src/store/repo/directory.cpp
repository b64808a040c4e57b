#include "store/repo/directory.hpp"

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;
constexpr const char* kCols =
    "SELECT id, level, role, name, office_phone, email, mobile, created_at FROM "
    "escalation_contacts";
EscalationContact contact_from(const Row& r) {
  return EscalationContact{r.i64(0),  static_cast<int>(r.i64(1)),
                           r.text(2), r.text(3),
                           r.text(4), r.text(5),
                           r.text(6), instant(r, 7)};
}
}  // namespace

Id DirectoryRepo::insert(const EscalationContact& c) {
  Id id = 0;
  conn().query(
      "INSERT INTO escalation_contacts (level, role, name, office_phone, email, mobile, "
      "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
      {std::int64_t{c.level}, c.role, c.name, c.office_phone, c.email, c.mobile, at(c.created_at)},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<EscalationContact> DirectoryRepo::find(Id id) {
  std::optional<EscalationContact> out;
  conn().query(std::string(kCols) + " WHERE id = $1", {id},
               [&](const Row& r) { out = contact_from(r); });
  return out;
}

void DirectoryRepo::update(const EscalationContact& c) {
  conn().exec(
      "UPDATE escalation_contacts SET level = $2, role = $3, name = $4, office_phone = $5, "
      "email = $6, mobile = $7 WHERE id = $1",
      {c.id, std::int64_t{c.level}, c.role, c.name, c.office_phone, c.email, c.mobile});
}

void DirectoryRepo::remove(Id id) {
  conn().exec("DELETE FROM escalation_contacts WHERE id = $1", {id});
}

std::vector<EscalationContact> DirectoryRepo::list() {
  std::vector<EscalationContact> out;
  conn().query(std::string(kCols) + " ORDER BY level, name, id", {},
               [&](const Row& r) { out.push_back(contact_from(r)); });
  return out;
}

}  // namespace sd::store
