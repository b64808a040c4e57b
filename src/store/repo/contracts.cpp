#include "store/repo/contracts.hpp"

#include "store/repo/lists.hpp"
#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;

constexpr const char* kCols =
    "SELECT id, organisation_id, name, starts_on, ends_on, policy_ids, outside_coverage, "
    "created_at, updated_at FROM contracts";

Contract contract_from(const Row& r) {
  Contract c;
  c.id = r.i64(0);
  c.organisation_id = r.i64(1);
  c.name = r.text(2);
  c.starts_on = r.text(3);
  c.ends_on = r.text(4);
  c.policy_ids = ids(r.text(5));
  c.outside = enum_col<OutsideCoverage>(r, 6, "contracts.outside_coverage");
  c.created_at = instant(r, 7);
  c.updated_at = instant(r, 8);
  return c;
}

Params values(const Contract& c) {
  return {c.organisation_id,
          c.name,
          c.starts_on,
          c.ends_on,
          joined(c.policy_ids, [](Id i) { return std::to_string(i); }),
          name(c.outside),
          at(c.updated_at)};
}

}  // namespace

Id ContractRepo::insert(const Contract& c) {
  Id id = 0;
  Params p = values(c);
  p.push_back(at(c.created_at));
  conn().query(
      "INSERT INTO contracts (organisation_id, name, starts_on, ends_on, policy_ids, "
      "outside_coverage, updated_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "RETURNING id",
      p, [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<Contract> ContractRepo::find(Id id) {
  std::optional<Contract> out;
  conn().query(std::string(kCols) + " WHERE id = $1", {id},
               [&](const Row& r) { out = contract_from(r); });
  return out;
}

void ContractRepo::update(const Contract& c) {
  Params p = values(c);
  p.push_back(c.id);
  conn().exec(
      "UPDATE contracts SET organisation_id = $1, name = $2, starts_on = $3, ends_on = $4, "
      "policy_ids = $5, outside_coverage = $6, updated_at = $7 WHERE id = $8",
      p);
}

void ContractRepo::remove(Id id) { conn().exec("DELETE FROM contracts WHERE id = $1", {id}); }

std::vector<Contract> ContractRepo::list(const ContractQuery& q) {
  Binder b(dialect());
  Where w;
  if (q.organisation_id) w.add("organisation_id = " + b.next(*q.organisation_id));
  if (q.ends_from) w.add("ends_on >= " + b.next(*q.ends_from));
  if (q.ends_until) w.add("ends_on <= " + b.next(*q.ends_until));
  std::vector<Contract> out;
  conn().query(std::string(kCols) + w.text + " ORDER BY ends_on, id", b.params,
               [&](const Row& r) { out.push_back(contract_from(r)); });
  return out;
}

}  // namespace sd::store
