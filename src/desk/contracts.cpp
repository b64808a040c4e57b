#include "desk/contracts.hpp"

#include "desk/clocks.hpp"
#include "domain/permissions.hpp"
#include "store/repo/organisations.hpp"
#include "store/repo/sla_policies.hpp"

namespace sd::desk {
namespace {

Error not_allowed() { return make_error(ErrorCode::forbidden, "only admins edit contracts"); }
Error no_such_contract() { return make_error(ErrorCode::not_found, "no such contract"); }

}  // namespace

Result<Outcome<Contract>> save_contract(store::Tx& tx, const Actor& a, Contract c, Instant now) {
  if (!can_manage_settings(a)) return not_allowed();
  if (c.id) {
    auto found = tx.contracts().find(c.id);
    if (!found) return no_such_contract();
    c.created_at = found->created_at;
  } else {
    c.created_at = now;
  }
  c.updated_at = now;
  std::vector<FieldError> errors = check_contract(c);
  if (!tx.organisations().find(c.organisation_id))
    errors.push_back({"organisation_id", "no such organisation", "not_found"});
  for (Id p : c.policy_ids)
    if (!tx.sla_policies().find(p)) {
      errors.push_back({"policy_ids", "no such service-level policy", "not_found"});
      break;
    }
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  if (c.id)
    tx.contracts().update(c);
  else
    c.id = tx.contracts().insert(c);
  Effects fx(tx);
  // Open tickets under it may now fall under other policies.
  schedule_sweep(fx, now);
  return fx.done(*tx.contracts().find(c.id));
}

Result<Outcome<Id>> delete_contract(store::Tx& tx, const Actor& a, Id id) {
  if (!can_manage_settings(a)) return not_allowed();
  if (!tx.contracts().find(id)) return no_such_contract();
  tx.contracts().remove(id);
  Effects fx(tx);
  return fx.done(id);
}

Result<Contract> get_contract(store::Tx& tx, const Actor& a, Id id) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "only staff see contracts");
  auto c = tx.contracts().find(id);
  if (!c) return no_such_contract();
  return *c;
}

Result<std::vector<Contract>> list_contracts(store::Tx& tx, const Actor& a, const ContractList& q,
                                             Instant now) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "only staff see contracts");
  store::ContractQuery sq;
  sq.organisation_id = q.organisation_id;
  if (q.expiring_within_days) {
    sq.ends_from = utc_date(now);
    sq.ends_until = utc_date(now + std::chrono::days(*q.expiring_within_days));
  }
  auto list = tx.contracts().list(sq);
  if (q.expiring_within_days)
    std::erase_if(list, [&](const Contract& c) { return !in_force(c, now); });
  return list;
}

}  // namespace sd::desk
