#include "store/repo/tickets.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "domain/lifecycle.hpp"
#include "domain/text.hpp"
#include "store/repo/sql.hpp"

namespace sd::store {
namespace {

using namespace sql;

constexpr const char* kTicketCols =
    "id, type, channel, impact, criticality, priority, support_level, status, requester_id, "
    "organisation_id, assignee_id, group_id, category_id, subject, description, created_at, "
    "updated_at, resolved_at, closed_at, version, follow_up_of, sla_due_at";
constexpr int kTicketColCount = 22;

Ticket ticket_from(const Row& r) {
  Ticket t;
  t.id = r.i64(0);
  t.type = enum_col<TicketType>(r, 1, "tickets.type");
  t.channel = enum_col<Channel>(r, 2, "tickets.channel");
  t.impact = enum_col<Impact>(r, 3, "tickets.impact");
  t.criticality = enum_col<Criticality>(r, 4, "tickets.criticality");
  const auto p = r.i64(5);
  if (p < 1 || p > 4)
    throw DbError(DbError::Kind::other, "unknown value in column tickets.priority");
  t.priority = static_cast<Priority>(p);
  t.support_level = static_cast<int>(r.i64(6));
  t.status = enum_col<TicketStatus>(r, 7, "tickets.status");
  t.requester_id = r.i64(8);
  t.organisation_id = opt_i64(r, 9);
  t.assignee_id = opt_i64(r, 10);
  t.group_id = opt_i64(r, 11);
  t.category_id = opt_i64(r, 12);
  t.subject = r.text(13);
  t.description = r.text(14);
  t.created_at = instant(r, 15);
  t.updated_at = instant(r, 16);
  t.resolved_at = opt_instant(r, 17);
  t.closed_at = opt_instant(r, 18);
  t.version = r.i64(19);
  t.follow_up_of = opt_i64(r, 20);
  t.sla_due_at = opt_instant(r, 21);
  return t;
}

// The SQL the list is ordered by, and whether its values are text.
struct SortExpr {
  const char* sql;
  bool text;
};

// The next service-level due, tickets without one last; written exactly as
// in the index of migration 7 so that the planners use it.
constexpr const char* kSlaDueSql = "COALESCE(sla_due_at, 9223372036854775807)";

SortExpr sort_expr(TicketSort s) {
  switch (s) {
    case TicketSort::id:
      return {"id", false};
    case TicketSort::created_at:
      return {"created_at", false};
    case TicketSort::updated_at:
      return {"updated_at", false};
    case TicketSort::priority:
      return {"priority", false};
    case TicketSort::support_level:
      return {"support_level", false};
    case TicketSort::status:
      return {
          "(CASE status WHEN 'new' THEN 0 WHEN 'assigned' THEN 1 WHEN 'in_progress' THEN 2 "
          "WHEN 'pending' THEN 3 WHEN 'resolved' THEN 4 WHEN 'closed' THEN 5 ELSE 6 END)",
          false};
    case TicketSort::subject:
      return {"subject", true};
    case TicketSort::type:
      return {"type", true};
    case TicketSort::requester:
      return {"COALESCE((SELECT u.name FROM users u WHERE u.id = tickets.requester_id), '')", true};
    case TicketSort::assignee:
      return {"COALESCE((SELECT u.name FROM users u WHERE u.id = tickets.assignee_id), '')", true};
    case TicketSort::group:
      return {"COALESCE((SELECT g.name FROM agent_groups g WHERE g.id = tickets.group_id), '')",
              true};
    case TicketSort::category:
      return {"COALESCE((SELECT c.name FROM categories c WHERE c.id = tickets.category_id), '')",
              true};
    case TicketSort::sla_due:
      return {kSlaDueSql, false};
  }
  return {"id", false};
}

// Whether the tickets have an index in the sort's order (migration 3).
bool indexed_sort(TicketSort s) {
  switch (s) {
    case TicketSort::id:
    case TicketSort::created_at:
    case TicketSort::updated_at:
    case TicketSort::priority:
    case TicketSort::support_level:
    case TicketSort::type:
      return true;
    default:
      return false;
  }
}

// The open categories, written exactly as in the partial indexes of the
// schema (migration 3) so that the planners use them.
constexpr const char* kOpenSql = "status_category IN ('new', 'open', 'waiting')";

bool is_open_set(const std::vector<StatusCategory>& c) {
  if (c.size() != open_categories().size()) return false;
  for (auto v : open_categories())
    if (std::find(c.begin(), c.end(), v) == c.end()) return false;
  return true;
}

template <class E>
std::vector<std::string> names(const std::vector<E>& v) {
  std::vector<std::string> out;
  for (auto e : v) out.emplace_back(to_string(e));
  return out;
}

}  // namespace

// The tickets whose indexed text has every term, and how the list reads
// them (SQLite; measured at a million tickets): a search with few matches
// is looked up once, its tickets kept in a set the list reads (7 ms for
// 62,000); one with many, when the list is by number, is walked in the
// index newest first, reading each ticket as it goes (4 ms for a page).
// In another order with an index, the list walks that order: each ticket
// looked up in a set of the matches (0.1 us a match to make it, 0.3 us a
// look-up), or, for words in so many tickets that a page's walk is short,
// checked in the index as it comes (20 us a check, and no set to make: a
// word in every ticket, 2 ms a page against 90 for the set). In an order
// with no index every match is read and sorted: always the set (checked
// ticket by ticket, it read the whole desk). A prefix with no index of its
// own makes each check a merge: the set again.
TicketRepo::TextPlan TicketRepo::text_plan(const std::vector<SearchTerm>& terms, TicketText text,
                                           const TicketScope& scope, TicketSort sort, int limit) {
  TextPlan plan;
  if (dialect() == Dialect::postgres) {
    // PostgreSQL plans a semi-join on the index as if every word were
    // common (353 ms a page for a rare one at a million, walking the
    // tickets): a few matches are fetched first, as an array (0.1 ms).
    // Counting reads each match's row (150 ms for 20,000 of two common
    // words), so "few" is smaller here.
    plan.match = pg_tsquery(terms, TermMatch::all, text);
    std::int64_t found = 0;
    conn().query_planned(
        "SELECT COUNT(*) FROM (SELECT 1 FROM ticket_search WHERE doc @@ to_tsquery('sd_search', "
        "$1) LIMIT $2) x",
        {plan.match, kFewMatchesPostgres + 1}, [&](const Row& r) { found = r.i64(0); });
    plan.kind = found <= kFewMatchesPostgres ? TextPlan::Kind::set : TextPlan::Kind::each;
    return plan;
  }
  const std::vector<SearchTerm> resolved = m_tx.search().index_terms(terms, true);
  plan.match = fts5_match(resolved, TermMatch::all, text, true);
  const bool by_number = sort == TicketSort::id;
  const bool costly = costly_prefix(resolved);
  // A requester's few tickets (at most kRankAll): their words checked one
  // by one as the list walks those tickets, or the matches as a set of ids
  // the walk reads, whichever costs less. Listed by number, the walk stops
  // at the page; in another order it checks all of the scope's. (A
  // requester with 2,000 tickets of a million: a word in every ticket,
  // 100 ms a page as a set against 3; a prefix in 62,000, 16 ms walking
  // against 6.) The index leading would read every match for a page of
  // theirs.
  const auto few = scope.kind != TicketScope::Kind::everything ? m_tx.search().few_in_scope(scope)
                                                               : std::nullopt;
  // The walk of an order stops at the page: it checks about
  // limit * desk / matches tickets. From `dense` matches on, those checks
  // cost less than making the set (dense * dense / kCheckMatches =
  // limit * desk).
  auto dense = [&] {
    return static_cast<std::int64_t>(
        std::sqrt(static_cast<double>(kCheckMatches) * static_cast<double>(std::max(1, limit)) *
                  static_cast<double>(last_id())));
  };
  std::optional<std::int64_t> walk_from;  // matches from which the checks pay
  if (!costly) {
    if (few)
      walk_from = std::max<std::int64_t>(
          1, by_number ? std::min(*few * kCheckMatches, dense()) : *few * kCheckMatches);
    else if (!by_number && indexed_sort(sort))
      walk_from = std::max(kFewMatches + 1, dense());
  }
  plan.found =
      m_tx.search().count_matches(plan.match, std::max(kFewMatches + 1, walk_from.value_or(0)));
  plan.small_scope = few.has_value();
  if (walk_from && plan.found >= *walk_from)
    plan.kind = TextPlan::Kind::each;
  else if (!few && by_number && plan.found > kFewMatches)
    plan.kind = TextPlan::Kind::lead;
  else
    plan.kind = TextPlan::Kind::set;
  return plan;
}

std::string TicketRepo::text_ids(const TextPlan& plan, sql::Binder& b) {
  if (dialect() == Dialect::postgres)
    return "SELECT ticket_id FROM ticket_search WHERE doc @@ to_tsquery('sd_search', " +
           b.next(plan.match) + ")";
  return "SELECT rowid FROM ticket_search WHERE ticket_search MATCH " + b.next(plan.match);
}

bool TicketRepo::requester_has_few(const std::string& email_key) {
  std::int64_t n = 0;
  conn().query(
      "SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE requester_id IN (SELECT u.id FROM users "
      "u WHERE u.email_key = $1) LIMIT $2) x",
      {email_key, kFewMatches + 1}, [&](const Row& r) { n = r.i64(0); });
  return n <= kFewMatches;
}

std::string TicketRepo::text_condition(const TextPlan& plan, sql::Binder& b) {
  if (dialect() == Dialect::postgres)
    return plan.kind == TextPlan::Kind::set ? "id = ANY(ARRAY(" + text_ids(plan, b) + "))"
                                            : "id IN (SELECT ticket_id FROM ticket_search WHERE "
                                              "doc @@ to_tsquery('sd_search', " +
                                                  b.next(plan.match) + "))";
  if (plan.kind == TextPlan::Kind::each)
    return "EXISTS (SELECT 1 FROM ticket_search WHERE ticket_search MATCH " + b.next(plan.match) +
           " AND ticket_search.rowid = tickets.id)";
  return "id IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH " + b.next(plan.match) +
         ")";
}

namespace {

Params ticket_values(const Ticket& t) {
  return {name(t.type),
          name(t.channel),
          name(t.impact),
          name(t.criticality),
          static_cast<std::int64_t>(t.priority),
          std::int64_t{t.support_level},
          name(t.status),
          name(category_of(t.status)),
          t.requester_id,
          opt(t.organisation_id),
          opt(t.assignee_id),
          opt(t.group_id),
          opt(t.category_id),
          t.subject,
          t.description,
          at(t.created_at),
          at(t.updated_at),
          opt_at(t.resolved_at),
          opt_at(t.closed_at),
          opt_at(t.sla_due_at)};
}

}  // namespace

Id TicketRepo::insert(const Ticket& t) {
  Id id = 0;
  conn().query(
      "INSERT INTO tickets (type, channel, impact, criticality, priority, support_level, status, "
      "status_category, requester_id, organisation_id, assignee_id, group_id, category_id, "
      "subject, description, created_at, updated_at, resolved_at, closed_at, sla_due_at, "
      "follow_up_of) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
      "$16, $17, $18, $19, $20, $21) RETURNING id",
      [&] {
        Params p = ticket_values(t);
        p.push_back(opt(t.follow_up_of));
        return p;
      }(),
      [&](const Row& r) { id = r.i64(0); });
  note_search_ticket(id);
  return id;
}

std::optional<Ticket> TicketRepo::find(Id id, const TicketScope& scope, Lock lock) {
  Binder b(dialect());
  Where w;
  w.add("id = " + b.next(id));
  if (auto s = ticket_scope_sql(scope, b); !s.empty()) w.add(s);
  std::string sql = std::string("SELECT ") + kTicketCols + " FROM tickets" + w.text;
  if (lock == Lock::for_update && dialect() == Dialect::postgres) sql += " FOR UPDATE";
  std::optional<Ticket> out;
  conn().query(sql, b.params, [&](const Row& r) { out = ticket_from(r); });
  return out;
}

std::vector<Ticket> TicketRepo::find_many(const std::vector<Id>& ids, const TicketScope& scope) {
  std::vector<Ticket> out;
  if (ids.empty()) return out;
  Binder b(dialect());
  Where w;
  w.add(b.any_of("id", ids));
  if (auto s = ticket_scope_sql(scope, b); !s.empty()) w.add(s);
  conn().query(std::string("SELECT ") + kTicketCols + " FROM tickets" + w.text, b.params,
               [&](const Row& r) { out.push_back(ticket_from(r)); });
  return out;
}

void TicketRepo::update(Ticket& t) {
  // Indexed again only when its text changes (most updates are of status).
  bool text_changed = false;
  conn().query("SELECT subject, description FROM tickets WHERE id = $1", {t.id}, [&](const Row& r) {
    text_changed = r.text(0) != t.subject || r.text(1) != t.description;
  });
  if (text_changed) note_search_ticket(t.id);
  ++t.version;
  Params p = ticket_values(t);
  p.push_back(t.id);
  p.push_back(t.version);
  conn().exec(
      "UPDATE tickets SET type = $1, channel = $2, impact = $3, criticality = $4, priority = $5, "
      "support_level = $6, status = $7, status_category = $8, requester_id = $9, "
      "organisation_id = $10, assignee_id = $11, group_id = $12, category_id = $13, "
      "subject = $14, description = $15, created_at = $16, updated_at = $17, resolved_at = $18, "
      "closed_at = $19, sla_due_at = $20, version = $22 WHERE id = $21",
      p);
}

void TicketRepo::set_sla_due(Id id, std::optional<Instant> due) {
  conn().exec("UPDATE tickets SET sla_due_at = $1 WHERE id = $2", {opt_at(due), id});
}

std::vector<Id> TicketRepo::open_ids_after(Id after_id, int limit) {
  std::vector<Id> out;
  conn().query(
      std::string("SELECT id FROM tickets WHERE ") + kOpenSql + " AND id > $1 ORDER BY id LIMIT $2",
      {after_id, std::int64_t{limit}}, [&](const Row& r) { out.push_back(r.i64(0)); });
  return out;
}

TicketRepo::ListStatement TicketRepo::list_statement(const TicketQuery& q,
                                                     const std::vector<std::int64_t>* among) {
  Binder b(dialect());
  Where w;
  if (auto s = ticket_scope_sql(q.scope, b); !s.empty()) w.add(s);
  if (is_open_set(q.categories))
    w.add(kOpenSql);
  else if (!q.categories.empty())
    w.add(b.any_of("status_category", names(q.categories)));
  if (!q.statuses.empty()) w.add(b.any_of("status", names(q.statuses)));
  if (!q.types.empty()) w.add(b.any_of("type", names(q.types)));
  if (!q.priorities.empty()) {
    std::vector<std::int64_t> v;
    for (auto p : q.priorities) v.push_back(static_cast<std::int64_t>(p));
    w.add(b.any_of("priority", v));
  }
  if (!q.support_levels.empty()) {
    std::vector<std::int64_t> v(q.support_levels.begin(), q.support_levels.end());
    w.add(b.any_of("support_level", v));
  }
  auto ref = [&](const char* col, const RefFilter& f) {
    if (f.mode == RefFilter::Mode::none) w.add(std::string(col) + " IS NULL");
    if (f.mode == RefFilter::Mode::equals) w.add(b.any_of(col, f.ids));
  };
  ref("assignee_id", q.assignee);
  ref("group_id", q.group);
  if (q.requester_id) w.add("requester_id = " + b.next(*q.requester_id));
  if (q.category_id) w.add("category_id = " + b.next(*q.category_id));
  if (q.sla_due_after) w.add(std::string(kSlaDueSql) + " > " + b.next(at(*q.sla_due_after)));
  if (q.sla_due_until) w.add(std::string(kSlaDueSql) + " <= " + b.next(at(*q.sla_due_until)));
  if (q.nothing) w.add("1 = 0");
  if (among) w.add(b.any_of("id", *among));
  const bool by_id = q.sort == TicketSort::id;
  // SQLite, a search with many matches listed by number: the index leads
  // (`from` walks it), the ticket read by its id as it goes.
  std::string from = " FROM tickets";
  std::string id_col = "id";
  // PostgreSQL, a requester's search with many matches, listed by number:
  // the page walks the requester's tickets (with the filters), newest first,
  // and looks each up in the index (`walk_text`), at most
  // kWalkTicketsPostgres of them. The planner joins the index instead, and
  // checks every indexed ticket in the range, the requester's or not: a
  // prefix took 40 ms a page where the walk takes 14 (163,500 tickets of
  // one requester, at a million).
  std::string walk_text, walk_match;
  if (!q.terms.empty() || q.number || q.requester_email_key) {
    std::optional<TextPlan> plan;
    if (!q.terms.empty()) plan = text_plan(q.terms, q.text, q.scope, q.sort, q.limit);
    const bool lead =
        plan && plan->kind == TextPlan::Kind::lead && !q.number && !q.requester_email_key;
    if (lead) {
      const char* order = q.descending ? " DESC" : " ASC";
      from = " FROM (SELECT rowid AS sid FROM ticket_search WHERE ticket_search MATCH " +
             b.next(plan->match) + " ORDER BY rowid" + order +
             ") s CROSS JOIN tickets ON tickets.id = s.sid";
      id_col = "s.sid";
    } else {
      // What the search names directly (a ticket's number, a requester's
      // email), or its words: one set of ids when each part is a few (an
      // OR of them would walk the whole table for a page), else any of
      // them as the list walks its order (when one part is most tickets,
      // a page fills at once).
      if (plan && plan->kind == TextPlan::Kind::lead) plan->kind = TextPlan::Kind::set;
      const bool few_of_requester =
          !q.requester_email_key || requester_has_few(*q.requester_email_key);
      const bool one_set = few_of_requester && (!plan || plan->kind == TextPlan::Kind::set);
      std::string cond;
      const char* sep = one_set ? " UNION ALL " : " OR ";
      auto either = [&](const std::string& c) { cond += (cond.empty() ? "" : sep) + c; };
      const std::string of_requester =
          "(SELECT u.id FROM users u WHERE u.email_key = " +
          (q.requester_email_key ? b.next(*q.requester_email_key) : std::string()) + ")";
      if (one_set) {
        if (q.number) either("SELECT CAST(" + b.next(*q.number) + " AS BIGINT)");
        if (q.requester_email_key)
          either("SELECT t2.id FROM tickets t2 WHERE t2.requester_id IN " + of_requester);
        if (plan) either(text_ids(*plan, b));
        // PostgreSQL: as an array, or it walks the tickets (see text_plan).
        // SQLite, a set of many, or a small scope's: the list walks its
        // order's index (or the scope's), each ticket looked up in the set
        // (`+`), until the page is full. Read from the set instead, every
        // match's ticket is read and sorted: 120 ms for a prefix in 62,000
        // tickets by priority at a million, against 5.
        const bool walk_order =
            plan && (plan->small_scope || (plan->found > kFewMatches && indexed_sort(q.sort)));
        w.add(dialect() == Dialect::postgres
                  ? "id = ANY(ARRAY(" + cond + "))"
                  : std::string(walk_order ? "+" : "") + "id IN (" + cond + ")");
      } else if (dialect() == Dialect::postgres && by_id && !q.number && !q.requester_email_key &&
                 plan->kind == TextPlan::Kind::each &&
                 q.scope.kind != TicketScope::Kind::everything) {
        // OFFSET 0: checked ticket by ticket, not turned into a join.
        walk_match = b.next(plan->match);
        walk_text =
            "EXISTS (SELECT 1 FROM ticket_search s WHERE s.ticket_id = w.id AND s.doc @@ "
            "to_tsquery('sd_search', " +
            walk_match + ") OFFSET 0)";
      } else {
        if (q.number) either("id = " + b.next(*q.number));
        if (q.requester_email_key) either("requester_id IN " + of_requester);
        if (plan) either(text_condition(*plan, b));
        w.add("(" + cond + ")");
      }
    }
  }
  const SortExpr sort = sort_expr(q.sort);
  const std::string col = by_id ? id_col : std::string(sort.sql);
  // Priority is stored 1 (critical) .. 4 (low): "descending priority" means
  // the most urgent first, which is ascending numbers (and, on a tie, the
  // oldest first: who has waited longest).
  const bool descending = q.sort == TicketSort::priority ? !q.descending : q.descending;
  const char* cmp = descending ? " < " : " > ";
  if (q.after) {
    if (by_id)
      w.add(id_col + std::string(cmp) + b.next(q.after->id));
    else
      w.add("(" + col + ", id)" + cmp + "(" +
            b.next(sort.text ? Value{q.after->text} : Value{q.after->key}) + ", " +
            b.next(q.after->id) + ")");
  }
  const char* dir = descending ? " DESC" : " ASC";
  const std::string limit = b.next(std::int64_t{q.limit} + 1);
  // The sort value comes back after the ticket, for the next cursor, then
  // the ticket's latest event and its author (for the unread marks).
  auto page_sql = [&](const std::string& source, const std::string& where) {
    std::string sql = std::string("SELECT ") + kTicketCols + ", " + col +
                      ", last_event_id, last_event_by" + source + where + " ORDER BY ";
    if (!by_id) sql += col + dir + ", ";
    return sql + id_col + dir + " LIMIT " + limit;
  };
  // The walk's ids (the scope, the filters and the cursor: from an index
  // alone, when theirs has the columns), then the words, then the page's
  // tickets; a walk that does not fill the page leaves it to the index.
  const std::string walk_sql =
      walk_text.empty()
          ? std::string()
          : page_sql(" FROM tickets",
                     " WHERE id = ANY(ARRAY(SELECT w.id FROM (SELECT id FROM tickets" + w.text +
                         " ORDER BY id" + dir + " LIMIT " + std::to_string(kWalkTicketsPostgres) +
                         ") w WHERE " + walk_text + " ORDER BY w.id" + dir + " LIMIT " + limit +
                         "))");
  if (!walk_text.empty())
    w.add("id IN (SELECT ticket_id FROM ticket_search WHERE doc @@ to_tsquery('sd_search', " +
          walk_match + "))");
  return {page_sql(from, w.text), walk_sql, b.params, sort.text, w.text, limit};
}

std::string TicketRepo::list_plan(const TicketQuery& q) {
  const ListStatement st = list_statement(q);
  return m_tx.query_plan(st.sql, st.params);
}

struct TicketRepo::ListRows {
  struct Latest {
    std::int64_t event_id = 0;
    std::optional<Id> by;
  };
  std::vector<Ticket> items;
  std::vector<Cursor> keys;
  std::vector<Latest> latest;
};

// Appends the statement's rows (its walk's, when that fills the page).
void TicketRepo::read_rows(const TicketQuery& q, const ListStatement& st, ListRows& rows) {
  const std::size_t before = rows.items.size();
  auto on_row = [&](const Row& r) {
    rows.items.push_back(ticket_from(r));
    Cursor c;
    c.id = rows.items.back().id;
    if (st.text_key)
      c.text = r.text(kTicketColCount);
    else
      c.key = r.i64(kTicketColCount);
    rows.keys.push_back(std::move(c));
    ListRows::Latest l;
    if (!r.is_null(kTicketColCount + 1)) l.event_id = r.i64(kTicketColCount + 1);
    if (!r.is_null(kTicketColCount + 2)) l.by = r.i64(kTicketColCount + 2);
    rows.latest.push_back(l);
  };
  // A search's plan hangs on its words (Conn::query_planned).
  auto run = [&](const std::string& statement) {
    if (q.terms.empty())
      conn().query(statement, st.params, on_row);
    else
      conn().query_planned(statement, st.params, on_row);
  };
  if (!st.walk_sql.empty()) {
    run(st.walk_sql);
    if (rows.items.size() - before > static_cast<std::size_t>(q.limit)) return;
    rows.items.resize(before);
    rows.keys.resize(before);
    rows.latest.resize(before);
  }
  run(st.sql);
}

// PostgreSQL, a search listed most urgent first (what the queue's priority
// column shows first) with nothing but its words to name the tickets.
bool TicketRepo::priority_steps(const TicketQuery& q) {
  return dialect() == Dialect::postgres && !q.terms.empty() && q.sort == TicketSort::priority &&
         q.descending && !q.number && !q.requester_email_key && !q.nothing;
}

// Unless a short walk of the list fills the page, the matches of one
// priority at a time, from the index, which holds each
// ticket's priority (migration 15): a priority with few of the words'
// matches gives them at once (1,000 critical matches of a prefix at a
// million in 5-8 ms, where walking the tickets by priority, each looked up
// in the index, took 28-41 ms: the critical tickets are one in eighty, and
// the demo's words come in runs, so 13,000 were walked for 50 matches).
// From a priority with more than kPriorityStepMatches on, the rest of the
// page is the list's statement for that priority and the next ones (a walk
// that fills at once, since they are most of the desk).
void TicketRepo::list_priority_steps(const TicketQuery& q, ListRows& rows) {
  const std::string match = pg_tsquery(q.terms, TermMatch::all, q.text);
  const auto needed = static_cast<std::size_t>(q.limit) + 1;
  // First the next kPriorityWalkTickets tickets of the list, in its order,
  // each looked up in the index: a word in most tickets fills the page
  // there (a common word's critical step gathers its 12,500 critical
  // matches: 30 ms, against 2 for the walk). At most 2.5 ms are lost when
  // it does not fill.
  {
    TicketQuery walk = q;
    walk.terms.clear();
    const ListStatement st = list_statement(walk);
    // The statement's filters and limit, with their parameters.
    Binder b(dialect());
    b.params = st.params;
    std::vector<std::int64_t> ids;
    conn().query_planned(
        "SELECT w.id FROM (SELECT id, priority FROM tickets" + st.where +
            " ORDER BY priority ASC, id ASC LIMIT " + std::to_string(kPriorityWalkTickets) +
            ") w WHERE EXISTS (SELECT 1 FROM ticket_search s WHERE s.ticket_id = w.id AND "
            "s.doc @@ to_tsquery('sd_search', " +
            b.next(match) + ") OFFSET 0) ORDER BY w.priority, w.id LIMIT " + st.limit,
        b.params, [&](const Row& r) { ids.push_back(r.i64(0)); });
    if (ids.size() == needed) {
      read_rows(walk, list_statement(walk, &ids), rows);
      return;
    }
  }
  std::vector<Priority> order = {Priority::critical, Priority::high, Priority::medium,
                                 Priority::low};
  // The cursor's priority and those after it, that the filter keeps.
  std::erase_if(order, [&](Priority p) {
    return (q.after && static_cast<std::int64_t>(p) < q.after->key) ||
           (!q.priorities.empty() && std::ranges::find(q.priorities, p) == q.priorities.end());
  });
  for (std::size_t i = 0; i < order.size() && rows.items.size() < needed; ++i) {
    const auto p = static_cast<std::int64_t>(order[i]);
    Binder b(dialect());
    Where w;
    w.add("s.doc @@ to_tsquery('sd_search', " + b.next(match) + ")");
    w.add("s.priority = " + b.next(p));
    if (auto k = ticket_scope_sql(q.scope, b, "s."); !k.empty()) w.add(k);
    std::vector<std::int64_t> ids;
    // OFFSET 0: the index's matches, not the table scanned in the hope of
    // the first few.
    conn().query_planned("SELECT x.ticket_id FROM (SELECT s.ticket_id FROM ticket_search s" +
                             w.text + " OFFSET 0) x LIMIT " +
                             std::to_string(kPriorityStepMatches + 1),
                         b.params, [&](const Row& r) { ids.push_back(r.i64(0)); });
    TicketQuery step = q;
    step.limit = static_cast<int>(needed - rows.items.size()) - 1;
    if (static_cast<std::int64_t>(ids.size()) > kPriorityStepMatches) {
      step.priorities.assign(order.begin() + static_cast<std::ptrdiff_t>(i), order.end());
      read_rows(step, list_statement(step), rows);
      return;
    }
    if (ids.empty()) continue;
    // The step's tickets by number, oldest first, as the priority order
    // has them; each row's sort value is the step's priority.
    step.priorities = {order[i]};
    step.terms.clear();
    step.sort = TicketSort::id;
    step.descending = false;
    if (q.after && q.after->key != p) step.after.reset();
    const std::size_t before = rows.items.size();
    read_rows(step, list_statement(step, &ids), rows);
    for (std::size_t k = before; k < rows.keys.size(); ++k) rows.keys[k].key = p;
  }
}

Page<Ticket> TicketRepo::list(const TicketQuery& q) {
  ListRows rows;
  if (priority_steps(q))
    list_priority_steps(q, rows);
  else
    read_rows(q, list_statement(q), rows);
  Page<Ticket> page;
  page.items = std::move(rows.items);
  const std::vector<Cursor>& keys = rows.keys;
  const auto& latest = rows.latest;
  if (page.items.size() > static_cast<std::size_t>(q.limit)) {
    page.items.resize(static_cast<std::size_t>(q.limit));
    page.next = keys[page.items.size() - 1];
  }
  // The viewer's read marks of the page's tickets alone, in one query after
  // the page (in the page's query they would be looked up for every row the
  // sort considers, not only the rows it keeps).
  if (q.viewer && !page.items.empty()) {
    std::vector<std::int64_t> ids;
    for (const auto& t : page.items) ids.push_back(t.id);
    Binder rb(dialect());
    const std::string who = rb.next(*q.viewer);
    std::unordered_map<Id, std::int64_t> read;
    conn().query("SELECT ticket_id, event_id FROM ticket_reads WHERE user_id = " + who + " AND " +
                     rb.any_of("ticket_id", ids),
                 rb.params, [&](const Row& r) { read[r.i64(0)] = r.i64(1); });
    for (std::size_t i = 0; i < page.items.size(); ++i) {
      auto& t = page.items[i];
      const auto it = read.find(t.id);
      const std::int64_t seen = it == read.end() ? 0 : it->second;
      t.unread_by_viewer = latest[i].event_id > seen && latest[i].by != *q.viewer;
    }
  }
  return page;
}

std::int64_t TicketRepo::count() {
  std::int64_t n = 0;
  conn().query("SELECT COUNT(*) FROM tickets", {}, [&](const Row& r) { n = r.i64(0); });
  return n;
}

Id TicketRepo::last_id() {
  Id id = 0;
  conn().query("SELECT COALESCE(MAX(id), 0) FROM tickets", {},
               [&](const Row& r) { id = r.i64(0); });
  return id;
}

QueueCounts TicketRepo::queue_counts(Id agent_id, const TicketScope& scope, Instant now,
                                     Duration window) {
  QueueCounts c;
  Binder b(dialect());
  Where w;
  w.add(kOpenSql);
  const std::string me = b.next(agent_id);
  if (auto s = ticket_scope_sql(scope, b); !s.empty()) w.add(s);
  conn().query(
      "SELECT support_level, COUNT(*), SUM(CASE WHEN assignee_id IS NULL THEN 1 ELSE 0 "
      "END), SUM(CASE WHEN assignee_id = " +
          me + " THEN 1 ELSE 0 END) FROM tickets" + w.text + " GROUP BY support_level",
      b.params, [&](const Row& r) {
        const auto level = r.i64(0);
        if (level >= 1 && level <= 3) c.level[level - 1] = r.i64(1);
        c.open += r.i64(1);
        c.unassigned += r.i64(2);
        c.mine += r.i64(3);
      });
  conn().query("SELECT COUNT(*) FROM tickets" + w.text +
                   " AND group_id IN (SELECT group_id FROM group_members WHERE user_id = " + me +
                   ")",
               b.params, [&](const Row& r) { c.my_groups = r.i64(0); });
  {
    Binder sb(dialect());
    Where sw;
    sw.add(kOpenSql);
    if (auto s = ticket_scope_sql(scope, sb); !s.empty()) sw.add(s);
    const std::string n = sb.next(at(now)), until = sb.next(at(now + window));
    sw.add(std::string(kSlaDueSql) + " <= " + until);
    conn().query(std::string("SELECT SUM(CASE WHEN ") + kSlaDueSql + " <= " + n +
                     " THEN 1 ELSE 0 END), COUNT(*) FROM tickets" + sw.text,
                 sb.params, [&](const Row& r) {
                   c.sla_breached = r.is_null(0) ? 0 : r.i64(0);
                   c.sla_soon = r.i64(1) - c.sla_breached;
                 });
  }
  return c;
}

}  // namespace sd::store
