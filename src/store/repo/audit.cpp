#include "store/repo/audit.hpp"

#include "store/repo/sql.hpp"

namespace sd::store {

using namespace sql;

Id AuditRepo::append(const AuditEvent& e) {
  Id id = 0;
  conn().query(
      "INSERT INTO audit_events (actor_kind, actor_id, action, target_user_id, detail, "
      "created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
      {name(e.actor_kind), opt(e.actor_id), e.action, opt(e.target_user_id), e.detail,
       at(e.created_at)},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::vector<AuditEvent> AuditRepo::list_for_user(Id target_user_id, int limit) {
  std::vector<AuditEvent> out;
  conn().query(
      "SELECT id, actor_kind, actor_id, action, target_user_id, detail, created_at FROM "
      "audit_events WHERE target_user_id = $1 ORDER BY id DESC LIMIT $2",
      {target_user_id, std::int64_t{limit}}, [&](const Row& r) {
        out.push_back(AuditEvent{r.i64(0), enum_col<ActorKind>(r, 1, "audit_events.actor_kind"),
                                 opt_i64(r, 2), r.text(3), opt_i64(r, 4), r.text(5),
                                 instant(r, 6)});
      });
  return out;
}

}  // namespace sd::store
