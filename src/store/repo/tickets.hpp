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
#include "store/repo/search.hpp"

namespace sd::store {
namespace sql {
struct Binder;
}

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
  sla_due,    // by the next service-level due; tickets without one last
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
  // Words to find (domain/search.hpp parse_search), all of them, in the
  // search index (store/repo/search.hpp); `text` says whether notes count.
  std::vector<SearchTerm> terms;
  TicketText text = TicketText::public_only;
  std::optional<Id> number;  // a ticket named by number, listed whatever its text
  // The tickets of the requester with this email key (domain/email.hpp
  // email_key), listed whatever their text.
  std::optional<std::string> requester_email_key;
  bool nothing = false;  // a search that can find nothing (domain/search.hpp): an empty list
  // The next service-level due after `sla_due_after` and at or before
  // `sla_due_until` (breached: until now; breaching soon: after now, until
  // a window ahead).
  std::optional<Instant> sla_due_after, sla_due_until;
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
  // Open tickets whose next service-level due has passed, or comes within
  // the window asked for.
  std::int64_t sla_breached = 0, sla_soon = 0;
};

class TicketRepo : Repo {
 public:
  explicit TicketRepo(Tx& tx) : Repo(tx) {}
  Id insert(const Ticket& t);
  // The ticket if it exists and the scope contains it.
  std::optional<Ticket> find(Id id, const TicketScope& scope, Lock lock = Lock::none);
  // Those of `ids` that exist and the scope contains, in no order (one
  // statement for a page of search hits, not one a hit).
  std::vector<Ticket> find_many(const std::vector<Id>& ids, const TicketScope& scope);
  // Stores every field, and the next version (t.version grows by one).
  void update(Ticket& t);
  // Only the service-level due (the clocks moved without the ticket
  // changing: a policy or calendar changed, a check ran); the version stays.
  void set_sla_due(Id id, std::optional<Instant> due);
  // Open tickets after `after_id`, by id: the service-level sweep's batches.
  std::vector<Id> open_ids_after(Id after_id, int limit);
  Page<Ticket> list(const TicketQuery& q);
  // The plan the back end chooses for list's statement, one line per step
  // (a diagnostic: tests check that a search's page walks an index rather
  // than the whole desk).
  std::string list_plan(const TicketQuery& q);
  std::int64_t count();
  // The newest ticket's id (0 when none): the desk's size near enough, from
  // the key alone (count() reads the whole table).
  Id last_id();
  QueueCounts queue_counts(Id agent_id, const TicketScope& scope, Instant now, Duration window);

  // Up to this many matches, a text filter is a set of ids.
  static constexpr std::int64_t kFewMatches = 20'000;
  static constexpr std::int64_t kFewMatchesPostgres = 1'000;
  // PostgreSQL: the most tickets of a requester's scope a page of a search
  // walks, each looked up in the index, before the index's matches serve.
  static constexpr std::int64_t kWalkTicketsPostgres = 20'000;
  // PostgreSQL: the most matches of one priority a search listed most
  // urgent first reads as one step (list_priority_steps).
  static constexpr std::int64_t kPriorityStepMatches = 5'000;
  // PostgreSQL: the most tickets that search walks in its order, each
  // looked up in the index, before it reads a priority at a time.
  static constexpr std::int64_t kPriorityWalkTickets = 1'000;

 private:
  struct TextPlan {
    enum class Kind { set, each, lead } kind = Kind::set;
    std::string match;         // the back end's query text
    std::int64_t found = 0;    // its matches, counted as far as the plan needed
    bool small_scope = false;  // SQLite: the scope holds at most kRankAll tickets
  };
  // list's statement: the page's, and first, when not empty, the walk's
  // (PostgreSQL); whether the sort's value is text (for the cursor).
  struct ListStatement {
    std::string sql, walk_sql;
    Params params;
    bool text_key = false;
    std::string where;  // the filters, the scope and the cursor
    std::string limit;  // the placeholder of the page's limit (one more than q.limit)
  };
  // `among`, when given, stands for the words: the tickets are those ids.
  ListStatement list_statement(const TicketQuery& q,
                               const std::vector<std::int64_t>* among = nullptr);
  // The rows of a page as list reads them, with the sort's value and the
  // latest event of each.
  struct ListRows;
  void read_rows(const TicketQuery& q, const ListStatement& st, ListRows& rows);
  bool priority_steps(const TicketQuery& q);
  void list_priority_steps(const TicketQuery& q, ListRows& rows);
  TextPlan text_plan(const std::vector<SearchTerm>& terms, TicketText text,
                     const TicketScope& scope, TicketSort sort, int limit);
  std::string text_condition(const TextPlan& plan, sql::Binder& b);
  // The ids the text matches, as a SELECT.
  std::string text_ids(const TextPlan& plan, sql::Binder& b);
  bool requester_has_few(const std::string& email_key);
};

inline TicketRepo Tx::tickets() { return TicketRepo(*this); }

}  // namespace sd::store
