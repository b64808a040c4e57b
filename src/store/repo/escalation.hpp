// Escalation rules and staff notifications.
#pragma once

#include <optional>
#include <vector>

#include "domain/escalation.hpp"
#include "domain/model.hpp"
#include "store/repo/page.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

class EscalationRuleRepo : Repo {
 public:
  explicit EscalationRuleRepo(Tx& tx) : Repo(tx) {}
  Id insert(const EscalationRule& r);
  std::optional<EscalationRule> find(Id id);
  void update(const EscalationRule& r);
  void remove(Id id);
  std::vector<EscalationRule> list();  // by id
};

class NotificationRepo : Repo {
 public:
  explicit NotificationRepo(Tx& tx) : Repo(tx) {}
  Id insert(const Notification& n);
  // A user's, newest first, before `before_id` when set.
  std::vector<Notification> list(Id user_id, bool unread_only, std::optional<Id> before_id,
                                 int limit);
  std::int64_t unread_count(Id user_id);
  // Marks one (or, with no id, all) of the user's as read; how many changed.
  std::int64_t mark_read(Id user_id, std::optional<Id> id, Instant now);
};

inline EscalationRuleRepo Tx::escalation_rules() { return EscalationRuleRepo(*this); }
inline NotificationRepo Tx::notifications() { return NotificationRepo(*this); }

}  // namespace sd::store
