#include "store/repo/organisations.hpp"

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;
constexpr const char* kCols = "SELECT id, name, shared_tickets, created_at FROM organisations";
Organisation org_from(const Row& r) {
  return Organisation{r.i64(0), r.text(1), r.i64(2) != 0, instant(r, 3)};
}
}  // namespace

Id OrganisationRepo::insert(const Organisation& o) {
  Id id = 0;
  conn().query(
      "INSERT INTO organisations (name, shared_tickets, created_at) VALUES ($1, $2, $3) "
      "RETURNING id",
      {o.name, flag(o.shared_tickets), at(o.created_at)}, [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<Organisation> OrganisationRepo::find(Id id) {
  std::optional<Organisation> out;
  conn().query(std::string(kCols) + " WHERE id = $1", {id},
               [&](const Row& r) { out = org_from(r); });
  return out;
}

void OrganisationRepo::update(const Organisation& o) {
  conn().exec("UPDATE organisations SET name = $2, shared_tickets = $3 WHERE id = $1",
              {o.id, o.name, flag(o.shared_tickets)});
}

std::vector<Organisation> OrganisationRepo::list() {
  std::vector<Organisation> out;
  conn().query(std::string(kCols) + " ORDER BY name, id", {},
               [&](const Row& r) { out.push_back(org_from(r)); });
  return out;
}

}  // namespace sd::store
