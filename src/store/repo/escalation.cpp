#include "store/repo/escalation.hpp"

#include "store/repo/lists.hpp"
#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;

constexpr const char* kRuleCols =
    "SELECT id, name, active, trigger_kind, target, policy_id, impacts, types, support_level, "
    "directory_level, group_id, priority, created_at, updated_at FROM escalation_rules";

EscalationRule rule_from(const Row& r) {
  EscalationRule x;
  x.id = r.i64(0);
  x.name = r.text(1);
  x.active = r.i64(2) != 0;
  x.trigger = enum_col<EscalationTrigger>(r, 3, "escalation_rules.trigger_kind");
  x.target = r.text(4);
  x.policy_id = opt_i64(r, 5);
  x.impacts = enums<Impact>(r.text(6));
  x.types = enums<TicketType>(r.text(7));
  if (auto v = opt_i64(r, 8)) x.support_level = static_cast<int>(*v);
  if (auto v = opt_i64(r, 9)) x.directory_level = static_cast<int>(*v);
  x.group_id = opt_i64(r, 10);
  if (auto v = opt_i64(r, 11)) {
    if (*v < 1 || *v > 4)
      throw DbError(DbError::Kind::other, "unknown value in column escalation_rules.priority");
    x.priority = static_cast<Priority>(*v);
  }
  x.created_at = instant(r, 12);
  x.updated_at = instant(r, 13);
  return x;
}

Params rule_values(const EscalationRule& r) {
  auto small = [](const std::optional<int>& v) {
    return v ? Value{std::int64_t{*v}} : Value{nullptr};
  };
  return {r.name,
          flag(r.active),
          name(r.trigger),
          r.target,
          opt(r.policy_id),
          joined(r.impacts, name_of),
          joined(r.types, name_of),
          small(r.support_level),
          small(r.directory_level),
          opt(r.group_id),
          r.priority ? Value{static_cast<std::int64_t>(*r.priority)} : Value{nullptr},
          at(r.updated_at)};
}

constexpr const char* kNoticeCols =
    "SELECT id, user_id, ticket_id, kind, detail, created_at, read_at FROM notifications";

Notification notice_from(const Row& r) {
  Notification n;
  n.id = r.i64(0);
  n.user_id = r.i64(1);
  n.ticket_id = opt_i64(r, 2);
  n.kind = r.text(3);
  n.detail = r.text(4);
  n.created_at = instant(r, 5);
  n.read_at = opt_instant(r, 6);
  return n;
}

}  // namespace

Id EscalationRuleRepo::insert(const EscalationRule& r) {
  Id id = 0;
  Params p = rule_values(r);
  p.push_back(at(r.created_at));
  conn().query(
      "INSERT INTO escalation_rules (name, active, trigger_kind, target, policy_id, impacts, "
      "types, support_level, directory_level, group_id, priority, updated_at, created_at) VALUES "
      "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
      p, [&](const Row& row) { id = row.i64(0); });
  return id;
}

std::optional<EscalationRule> EscalationRuleRepo::find(Id id) {
  std::optional<EscalationRule> out;
  conn().query(std::string(kRuleCols) + " WHERE id = $1", {id},
               [&](const Row& r) { out = rule_from(r); });
  return out;
}

void EscalationRuleRepo::update(const EscalationRule& r) {
  Params p = rule_values(r);
  p.push_back(r.id);
  conn().exec(
      "UPDATE escalation_rules SET name = $1, active = $2, trigger_kind = $3, target = $4, "
      "policy_id = $5, impacts = $6, types = $7, support_level = $8, directory_level = $9, "
      "group_id = $10, priority = $11, updated_at = $12 WHERE id = $13",
      p);
}

void EscalationRuleRepo::remove(Id id) {
  conn().exec("DELETE FROM escalation_rules WHERE id = $1", {id});
}

std::vector<EscalationRule> EscalationRuleRepo::list() {
  std::vector<EscalationRule> out;
  conn().query(std::string(kRuleCols) + " ORDER BY id", {},
               [&](const Row& r) { out.push_back(rule_from(r)); });
  return out;
}

Id NotificationRepo::insert(const Notification& n) {
  Id id = 0;
  conn().query(
      "INSERT INTO notifications (user_id, ticket_id, kind, detail, created_at) VALUES ($1, $2, "
      "$3, $4, $5) RETURNING id",
      {n.user_id, opt(n.ticket_id), n.kind, n.detail, at(n.created_at)},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::vector<Notification> NotificationRepo::list(Id user_id, bool unread_only,
                                                 std::optional<Id> before_id, int limit) {
  std::vector<Notification> out;
  Binder b(dialect());
  Where w;
  w.add("user_id = " + b.next(user_id));
  if (unread_only) w.add("read_at IS NULL");
  if (before_id) w.add("id < " + b.next(*before_id));
  conn().query(
      std::string(kNoticeCols) + w.text + " ORDER BY id DESC LIMIT " + b.next(std::int64_t{limit}),
      b.params, [&](const Row& r) { out.push_back(notice_from(r)); });
  return out;
}

std::int64_t NotificationRepo::unread_count(Id user_id) {
  std::int64_t n = 0;
  conn().query("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
               {user_id}, [&](const Row& r) { n = r.i64(0); });
  return n;
}

std::int64_t NotificationRepo::mark_read(Id user_id, std::optional<Id> id, Instant now) {
  if (id)
    return conn().exec(
        "UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND id = $2 AND read_at IS NULL",
        {user_id, *id, at(now)});
  return conn().exec("UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL",
                     {user_id, at(now)});
}

}  // namespace sd::store
