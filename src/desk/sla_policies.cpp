#include "desk/sla_policies.hpp"

#include "desk/clocks.hpp"
#include "domain/permissions.hpp"
#include "store/repo/calendars.hpp"
#include "store/repo/organisations.hpp"
#include "store/repo/sla_policies.hpp"

namespace sd::desk {
namespace {

Error not_allowed() { return make_error(ErrorCode::forbidden, "only admins edit service levels"); }

}  // namespace

Result<Outcome<SlaPolicy>> save_sla_policy(store::Tx& tx, const Actor& a, const SaveSlaPolicy& c,
                                           Instant now) {
  if (!can_manage_settings(a)) return not_allowed();
  SlaPolicy p;
  if (c.id) {
    auto found = tx.sla_policies().find(*c.id);
    if (!found) return make_error(ErrorCode::not_found, "no such service-level policy");
    p = *found;
  } else {
    p.created_at = now;
    p.calendar_id = tx.calendars().builtin_id();
  }
  if (c.name) p.name = *c.name;
  if (c.calendar_id) p.calendar_id = *c.calendar_id;
  if (c.rank) p.rank = *c.rank;
  if (c.match) p.match = *c.match;
  if (c.first_response_minutes) p.first_response_minutes = *c.first_response_minutes;
  if (c.resolution_minutes) p.resolution_minutes = *c.resolution_minutes;
  if (c.pause_statuses) p.pause_statuses = *c.pause_statuses;
  if (c.first_response_warning_percent)
    p.first_response_warning_percent = *c.first_response_warning_percent;
  if (c.resolution_warning_percent) p.resolution_warning_percent = *c.resolution_warning_percent;
  p.updated_at = now;
  std::vector<FieldError> errors = check_sla_policy(p);
  if (!tx.calendars().find(p.calendar_id))
    errors.push_back({"calendar_id", "no such calendar", "not_found"});
  for (Id org : p.match.organisation_ids)
    if (!tx.organisations().find(org)) {
      errors.push_back({"match.organisation_ids", "no such organisation", "not_found"});
      break;
    }
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  if (c.id)
    tx.sla_policies().update(p);
  else
    p.id = tx.sla_policies().insert(p);
  config_changed(tx);
  Effects fx(tx);
  // Open tickets may fall under it now, or keep their targets by another rule.
  schedule_sweep(fx, now);
  return fx.done(*tx.sla_policies().find(p.id));
}

Result<Outcome<Id>> delete_sla_policy(store::Tx& tx, const Actor& a, Id id, Instant now) {
  if (!can_manage_settings(a)) return not_allowed();
  if (!tx.sla_policies().find(id))
    return make_error(ErrorCode::not_found, "no such service-level policy");
  tx.sla_policies().remove(id);
  config_changed(tx);
  Effects fx(tx);
  schedule_sweep(fx, now);
  return fx.done(id);
}

Result<std::vector<SlaPolicy>> list_sla_policies(store::Tx& tx, const Actor& a) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "only staff see service levels");
  return tx.sla_policies().list();
}

Result<SlaPolicy> get_sla_policy(store::Tx& tx, const Actor& a, Id id) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "only staff see service levels");
  auto found = tx.sla_policies().find(id);
  if (!found) return make_error(ErrorCode::not_found, "no such service-level policy");
  return *found;
}

}  // namespace sd::desk
