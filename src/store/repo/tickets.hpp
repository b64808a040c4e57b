// Tickets: insert, lookup, update, lists and queue counts. Every query takes
// the caller's TicketScope; the scope is part of the SQL, never a filter
// applied afterwards.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/enums.hpp"
#include "domain/model.hpp"
#include "domain/scope.hpp"
#include "store/repo/page.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

enum class TicketSort {
  id,
  created_at,
  updated_at,
  priority,
  support_level,
  status,  // by lifecycle order
  subject,
  type,
  requester,  // by name
  assignee,   // by name
  group,      // by name
  category,   // by name
};

// An optional filter on a nullable reference: unset = any, none = IS NULL,
// equals = one of `ids`.
struct RefFilter {
  enum class Mode { any, none, equals } mode = Mode::any;
  std::vector<Id> ids;
};

struct TicketQuery {
  // REQUIRES: the scope of whoever asks; there is no default.
  explicit TicketQuery(TicketScope s) : scope(s) {}
  TicketScope scope;
  std::vector<TicketStatus> statuses;
  std::vector<StatusCategory> categories;
  std::vector<TicketType> types;
  std::vector<Priority> priorities;
  std::vector<int> support_levels;
  RefFilter assignee;
  RefFilter group;
  std::optional<Id> requester_id;
  std::optional<Id> category_id;
  std::string text;          // substring of subject or description
  std::optional<Id> number;  // the ticket whose number `text` is (SD-000123, 123)
  TicketSort sort = TicketSort::id;
  bool descending = true;
  std::optional<Cursor> after;
  int limit = 50;
  // Whose unread marks the list carries (Ticket::unread_by_viewer).
  std::optional<Id> viewer;
};

// Open tickets per queue, as seen by one agent.
struct QueueCounts {
  std::int64_t mine = 0, my_groups = 0, unassigned = 0, open = 0;
  std::int64_t level[3] = {0, 0, 0};
};

class TicketRepo : Repo {
 public:
  explicit TicketRepo(Tx& tx) : Repo(tx) {}
  Id insert(const Ticket& t);
  // The ticket if it exists and the scope contains it.
  std::optional<Ticket> find(Id id, const TicketScope& scope, Lock lock = Lock::none);
  // Stores every field, and the next version (t.version grows by one).
  void update(Ticket& t);
  Page<Ticket> list(const TicketQuery& q);
  std::int64_t count();
  QueueCounts queue_counts(Id agent_id, const TicketScope& scope);
};

inline TicketRepo Tx::tickets() { return TicketRepo(*this); }

}  // namespace sd::store
