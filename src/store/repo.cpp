#include "store/repo.hpp"

#include <algorithm>

namespace sd::store {
namespace {

constexpr const char* kTicketCols =
    "id, type, channel, impact, criticality, priority, support_level, status, requester_id, "
    "organisation_id, assignee_id, group_id, category_id, subject, description, created_at, "
    "updated_at, resolved_at, closed_at";

Value opt(const std::optional<Id>& v) { return v ? Value{*v} : Value{nullptr}; }
std::optional<std::int64_t> opt_i64(const Row& r, int c) {
  return r.is_null(c) ? std::nullopt : std::optional<std::int64_t>(r.i64(c));
}
template <class E>
E enum_col(const Row& r, int c) {
  return parse_enum<E>(r.text(c)).value_or(E{});
}
Value name(auto e) { return std::string(to_string(e)); }

Ticket ticket_from(const Row& r) {
  Ticket t;
  t.id = r.i64(0);
  t.type = enum_col<TicketType>(r, 1);
  t.channel = enum_col<Channel>(r, 2);
  t.impact = enum_col<Impact>(r, 3);
  t.criticality = enum_col<Criticality>(r, 4);
  t.priority = static_cast<Priority>(std::clamp<std::int64_t>(r.i64(5), 1, 4));
  t.support_level = static_cast<int>(r.i64(6));
  t.status = enum_col<TicketStatus>(r, 7);
  t.requester_id = r.i64(8);
  t.organisation_id = opt_i64(r, 9);
  t.assignee_id = opt_i64(r, 10);
  t.group_id = opt_i64(r, 11);
  t.category_id = opt_i64(r, 12);
  t.subject = r.text(13);
  t.description = r.text(14);
  t.created_at = r.i64(15);
  t.updated_at = r.i64(16);
  t.resolved_at = opt_i64(r, 17);
  t.closed_at = opt_i64(r, 18);
  return t;
}

constexpr const char* kUserCols =
    "id, email, name, phone, role, organisation_id, language, timezone, active, created_at";

// No email is stored as NULL, so that any number of users may lack one.
Value email_value(const std::string& email) {
  return email.empty() ? Value{nullptr} : Value{email};
}

User user_from(const Row& r) {
  User u;
  u.id = r.i64(0);
  u.email = r.text(1);
  u.name = r.text(2);
  u.phone = r.text(3);
  u.role = enum_col<Role>(r, 4);
  u.organisation_id = opt_i64(r, 5);
  u.language = r.text(6);
  u.timezone = r.text(7);
  u.active = r.i64(8) != 0;
  u.created_at = r.i64(9);
  return u;
}

// Escapes LIKE wildcards so user text matches literally.
std::string like_pattern(const std::string& text) {
  std::string p = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') p += '\\';
    p += c;
  }
  return p + "%";
}

// The SQL the list is ordered by, and whether its values are text.
struct SortExpr {
  const char* sql;
  bool text;
};

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
      return {"(CASE status WHEN 'new' THEN 0 WHEN 'assigned' THEN 1 WHEN 'in_progress' THEN 2 "
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
  }
  return {"id", false};
}

// The open statuses, written exactly as in the partial indexes of the schema.
constexpr const char* kOpenStatusSql = "status IN ('new', 'assigned', 'in_progress', 'pending')";

bool is_open_set(const std::vector<TicketStatus>& s) {
  using S = TicketStatus;
  if (s.size() != 4) return false;
  for (auto v : {S::new_, S::assigned, S::in_progress, S::pending})
    if (std::find(s.begin(), s.end(), v) == s.end()) return false;
  return true;
}

// Builds "$n" for the next parameter and binds `v` to it.
struct Binder {
  Params params;
  std::string next(Value v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  }
  template <class T, class F>
  std::string in_list(const std::vector<T>& vals, F to_value) {
    std::string s = "(";
    for (std::size_t i = 0; i < vals.size(); ++i) s += (i ? ", " : "") + next(to_value(vals[i]));
    return s + ")";
  }
};

}  // namespace

Id Tx::insert_ticket(const Ticket& t) {
  Id id = 0;
  m_c.query(
      "INSERT INTO tickets (type, channel, impact, criticality, priority, support_level, status, "
      "requester_id, organisation_id, assignee_id, group_id, category_id, subject, description, "
      "created_at, updated_at, resolved_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
      "$9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
      {name(t.type), name(t.channel), name(t.impact), name(t.criticality),
       static_cast<std::int64_t>(t.priority), std::int64_t{t.support_level}, name(t.status),
       t.requester_id, opt(t.organisation_id), opt(t.assignee_id), opt(t.group_id),
       opt(t.category_id), t.subject, t.description, t.created_at, t.updated_at,
       opt(t.resolved_at), opt(t.closed_at)},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<Ticket> Tx::find_ticket(Id id, Lock lock) {
  std::optional<Ticket> out;
  std::string sql = std::string("SELECT ") + kTicketCols + " FROM tickets WHERE id = $1";
  if (lock == Lock::for_update && m_c.dialect() == Dialect::postgres) sql += " FOR UPDATE";
  m_c.query(sql, {id}, [&](const Row& r) { out = ticket_from(r); });
  return out;
}

void Tx::update_ticket(const Ticket& t) {
  m_c.exec(
      "UPDATE tickets SET type = $2, channel = $3, impact = $4, criticality = $5, priority = $6, "
      "support_level = $7, status = $8, requester_id = $9, organisation_id = $10, "
      "assignee_id = $11, group_id = $12, category_id = $13, subject = $14, description = $15, "
      "updated_at = $16, resolved_at = $17, closed_at = $18 WHERE id = $1",
      {t.id, name(t.type), name(t.channel), name(t.impact), name(t.criticality),
       static_cast<std::int64_t>(t.priority), std::int64_t{t.support_level}, name(t.status),
       t.requester_id, opt(t.organisation_id), opt(t.assignee_id), opt(t.group_id),
       opt(t.category_id), t.subject, t.description, t.updated_at, opt(t.resolved_at),
       opt(t.closed_at)});
}

Page<Ticket> Tx::list_tickets(const TicketQuery& q) {
  Binder b;
  std::string where;
  auto add = [&](const std::string& cond) { where += (where.empty() ? " WHERE " : " AND ") + cond; };
  if (is_open_set(q.statuses))
    add(kOpenStatusSql);
  else if (!q.statuses.empty())
    add("status IN " + b.in_list(q.statuses, [](auto v) { return name(v); }));
  if (!q.types.empty()) add("type IN " + b.in_list(q.types, [](auto v) { return name(v); }));
  if (!q.priorities.empty())
    add("priority IN " + b.in_list(q.priorities, [](auto v) {
          return Value{static_cast<std::int64_t>(v)};
        }));
  if (!q.support_levels.empty())
    add("support_level IN " +
        b.in_list(q.support_levels, [](int v) { return Value{std::int64_t{v}}; }));
  auto ref = [&](const char* col, const RefFilter& f) {
    if (f.mode == RefFilter::Mode::none) add(std::string(col) + " IS NULL");
    if (f.mode == RefFilter::Mode::equals && f.ids.size() == 1)
      add(std::string(col) + " = " + b.next(f.ids[0]));
    else if (f.mode == RefFilter::Mode::equals)
      add(std::string(col) + " IN " + b.in_list(f.ids, [](Id v) { return Value{v}; }));
  };
  ref("assignee_id", q.assignee);
  ref("group_id", q.group);
  if (q.requester_id) add("requester_id = " + b.next(*q.requester_id));
  if (q.category_id) add("category_id = " + b.next(*q.category_id));
  if (q.only_requester) {
    if (q.or_organisation)
      add("(requester_id = " + b.next(*q.only_requester) +
          " OR organisation_id = " + b.next(*q.or_organisation) + ")");
    else
      add("requester_id = " + b.next(*q.only_requester));
  }
  if (!q.text.empty()) {
    const char* like = m_c.dialect() == Dialect::postgres ? " ILIKE " : " LIKE ";
    std::string p = b.next(like_pattern(q.text));
    add("(subject" + std::string(like) + p + " ESCAPE '\\' OR description" + like + p +
        " ESCAPE '\\')");
  }
  const SortExpr sort = sort_expr(q.sort);
  const std::string col = sort.sql;
  const bool by_id = q.sort == TicketSort::id;
  // Priority is stored 1 (critical) .. 4 (low): "descending priority" means
  // the most urgent first, which is ascending numbers (and, on a tie, the
  // oldest first: who has waited longest).
  const bool descending = q.sort == TicketSort::priority ? !q.descending : q.descending;
  const char* cmp = descending ? " < " : " > ";
  if (q.after) {
    if (by_id)
      add("id" + std::string(cmp) + b.next(q.after->id));
    else
      add("(" + col + ", id)" + cmp + "(" +
          b.next(sort.text ? Value{q.after->text} : Value{q.after->key}) + ", " +
          b.next(q.after->id) + ")");
  }
  const char* dir = descending ? " DESC" : " ASC";
  // The sort value comes back as the last column, for the next cursor.
  std::string sql = std::string("SELECT ") + kTicketCols + ", " + col + " FROM tickets" + where +
                    " ORDER BY ";
  if (!by_id) sql += col + dir + ", ";
  sql += std::string("id") + dir + " LIMIT " + b.next(std::int64_t{q.limit} + 1);

  Page<Ticket> page;
  std::vector<Cursor> keys;
  m_c.query(sql, b.params, [&](const Row& r) {
    page.items.push_back(ticket_from(r));
    Cursor c;
    c.id = page.items.back().id;
    if (sort.text)
      c.text = r.text(19);
    else
      c.key = r.i64(19);
    keys.push_back(std::move(c));
  });
  if (page.items.size() > static_cast<std::size_t>(q.limit)) {
    page.items.pop_back();
    page.next = keys[page.items.size() - 1];
  }
  return page;
}

std::int64_t Tx::count_tickets() {
  std::int64_t n = 0;
  m_c.query("SELECT COUNT(*) FROM tickets", {}, [&](const Row& r) { n = r.i64(0); });
  return n;
}

Id Tx::insert_event(const Event& e) {
  Id id = 0;
  m_c.query(
      "INSERT INTO events (ticket_id, kind, actor_id, internal, body, field, old_value, "
      "new_value, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
      {e.ticket_id, name(e.kind), opt(e.actor_id), std::int64_t{e.internal ? 1 : 0}, e.body,
       e.field, e.old_value, e.new_value, e.created_at},
      [&](const Row& r) { id = r.i64(0); });
  m_new_events.push_back({e.ticket_id, id});
  return id;
}

namespace {
// Events with the display name of their actor.
constexpr const char* kEventSelect =
    "SELECT e.id, e.ticket_id, e.kind, e.actor_id, e.internal, e.body, e.field, e.old_value, "
    "e.new_value, e.created_at, COALESCE(u.name, '') FROM events e "
    "LEFT JOIN users u ON u.id = e.actor_id";

Event event_from(const Row& r) {
  Event e;
  e.id = r.i64(0);
  e.ticket_id = r.i64(1);
  e.kind = enum_col<EventKind>(r, 2);
  e.actor_id = opt_i64(r, 3);
  e.internal = r.i64(4) != 0;
  e.body = r.text(5);
  e.field = r.text(6);
  e.old_value = r.text(7);
  e.new_value = r.text(8);
  e.created_at = r.i64(9);
  e.actor_name = r.text(10);
  return e;
}
}  // namespace

std::vector<Event> Tx::list_events(Id ticket_id, bool include_internal) {
  std::vector<Event> out;
  std::string sql = std::string(kEventSelect) + " WHERE e.ticket_id = $1";
  if (!include_internal) sql += " AND e.internal = 0";
  sql += " ORDER BY e.id";
  m_c.query(sql, {ticket_id}, [&](const Row& r) { out.push_back(event_from(r)); });
  return out;
}

std::optional<Event> Tx::find_event(Id event_id) {
  std::optional<Event> out;
  m_c.query(std::string(kEventSelect) + " WHERE e.id = $1", {event_id},
            [&](const Row& r) { out = event_from(r); });
  return out;
}

QueueCounts Tx::queue_counts(Id agent_id) {
  QueueCounts c;
  const std::string open = std::string(" WHERE ") + kOpenStatusSql;
  m_c.query("SELECT support_level, COUNT(*), SUM(CASE WHEN assignee_id IS NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN assignee_id = $1 THEN 1 ELSE 0 END) FROM tickets" + open +
                " GROUP BY support_level",
            {agent_id}, [&](const Row& r) {
              const auto level = r.i64(0);
              if (level >= 1 && level <= 3) c.level[level - 1] = r.i64(1);
              c.open += r.i64(1);
              c.unassigned += r.i64(2);
              c.mine += r.i64(3);
            });
  m_c.query("SELECT COUNT(*) FROM tickets" + open +
                " AND group_id IN (SELECT group_id FROM group_members WHERE user_id = $1)",
            {agent_id}, [&](const Row& r) { c.my_groups = r.i64(0); });
  return c;
}

Id Tx::insert_user(const User& u, const std::optional<std::string>& password_hash) {
  Id id = 0;
  m_c.query(
      "INSERT INTO users (email, name, phone, role, organisation_id, language, timezone, active, "
      "password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
      {email_value(u.email), u.name, u.phone, name(u.role), opt(u.organisation_id), u.language,
       u.timezone, std::int64_t{u.active ? 1 : 0},
       password_hash ? Value{*password_hash} : Value{nullptr}, u.created_at},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<User> Tx::find_user(Id id) {
  std::optional<User> out;
  m_c.query(std::string("SELECT ") + kUserCols + " FROM users WHERE id = $1", {id},
            [&](const Row& r) { out = user_from(r); });
  return out;
}

std::optional<User> Tx::find_user_by_email(const std::string& email) {
  std::optional<User> out;
  m_c.query(std::string("SELECT ") + kUserCols + " FROM users WHERE email = $1", {email},
            [&](const Row& r) { out = user_from(r); });
  return out;
}

std::optional<std::string> Tx::password_hash(Id user_id) {
  std::optional<std::string> out;
  m_c.query("SELECT password_hash FROM users WHERE id = $1", {user_id}, [&](const Row& r) {
    if (!r.is_null(0)) out = r.text(0);
  });
  return out;
}

void Tx::update_user(const User& u) {
  m_c.exec(
      "UPDATE users SET email = $2, name = $3, phone = $4, role = $5, organisation_id = $6, "
      "language = $7, timezone = $8, active = $9 WHERE id = $1",
      {u.id, email_value(u.email), u.name, u.phone, name(u.role), opt(u.organisation_id),
       u.language, u.timezone, std::int64_t{u.active ? 1 : 0}});
}

void Tx::set_password_hash(Id user_id, const std::string& hash) {
  m_c.exec("UPDATE users SET password_hash = $2 WHERE id = $1", {user_id, hash});
}

Page<User> Tx::list_users(const UserQuery& q) {
  Binder b;
  std::string where;
  auto add = [&](const std::string& cond) { where += (where.empty() ? " WHERE " : " AND ") + cond; };
  if (q.role) add("role = " + b.next(name(*q.role)));
  if (q.organisation_id) add("organisation_id = " + b.next(*q.organisation_id));
  if (!q.text.empty()) {
    const std::string like = m_c.dialect() == Dialect::postgres ? " ILIKE " : " LIKE ";
    std::string p = b.next(like_pattern(q.text));
    add("(name" + like + p + " ESCAPE '\\' OR email" + like + p + " ESCAPE '\\' OR phone" + like +
        p + " ESCAPE '\\')");
  }
  if (q.after_id) add("id > " + b.next(*q.after_id));
  std::string sql = std::string("SELECT ") + kUserCols + " FROM users" + where +
                    " ORDER BY id LIMIT " + b.next(std::int64_t{q.limit} + 1);
  Page<User> page;
  m_c.query(sql, b.params, [&](const Row& r) { page.items.push_back(user_from(r)); });
  if (page.items.size() > static_cast<std::size_t>(q.limit)) {
    page.items.pop_back();
    page.next = Cursor{page.items.back().id, {}, page.items.back().id};
  }
  return page;
}

Id Tx::insert_organisation(const Organisation& o) {
  Id id = 0;
  m_c.query(
      "INSERT INTO organisations (name, shared_tickets, created_at) VALUES ($1, $2, $3) "
      "RETURNING id",
      {o.name, std::int64_t{o.shared_tickets ? 1 : 0}, o.created_at},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

namespace {
Organisation org_from(const Row& r) {
  return Organisation{r.i64(0), r.text(1), r.i64(2) != 0, r.i64(3)};
}
Group group_from(const Row& r) {
  return Group{r.i64(0), r.text(1), static_cast<int>(r.i64(2)), r.i64(3)};
}
Category category_from(const Row& r) {
  return Category{r.i64(0), r.text(1), opt_i64(r, 2), r.i64(3)};
}
}  // namespace

std::optional<Organisation> Tx::find_organisation(Id id) {
  std::optional<Organisation> out;
  m_c.query("SELECT id, name, shared_tickets, created_at FROM organisations WHERE id = $1", {id},
            [&](const Row& r) { out = org_from(r); });
  return out;
}

void Tx::update_organisation(const Organisation& o) {
  m_c.exec("UPDATE organisations SET name = $2, shared_tickets = $3 WHERE id = $1",
           {o.id, o.name, std::int64_t{o.shared_tickets ? 1 : 0}});
}

std::vector<Organisation> Tx::list_organisations() {
  std::vector<Organisation> out;
  m_c.query("SELECT id, name, shared_tickets, created_at FROM organisations ORDER BY name, id", {},
            [&](const Row& r) { out.push_back(org_from(r)); });
  return out;
}

Id Tx::insert_group(const Group& g) {
  Id id = 0;
  m_c.query(
      "INSERT INTO agent_groups (name, support_level, created_at) VALUES ($1, $2, $3) "
      "RETURNING id",
      {g.name, std::int64_t{g.support_level}, g.created_at}, [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<Group> Tx::find_group(Id id) {
  std::optional<Group> out;
  m_c.query("SELECT id, name, support_level, created_at FROM agent_groups WHERE id = $1", {id},
            [&](const Row& r) { out = group_from(r); });
  return out;
}

void Tx::update_group(const Group& g) {
  m_c.exec("UPDATE agent_groups SET name = $2, support_level = $3 WHERE id = $1",
           {g.id, g.name, std::int64_t{g.support_level}});
}

std::vector<Group> Tx::list_groups() {
  std::vector<Group> out;
  m_c.query("SELECT id, name, support_level, created_at FROM agent_groups ORDER BY support_level, "
            "name, id",
            {}, [&](const Row& r) { out.push_back(group_from(r)); });
  return out;
}

std::vector<Id> Tx::group_members(Id group_id) {
  std::vector<Id> out;
  m_c.query("SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id", {group_id},
            [&](const Row& r) { out.push_back(r.i64(0)); });
  return out;
}

void Tx::set_group_members(Id group_id, const std::vector<Id>& user_ids) {
  m_c.exec("DELETE FROM group_members WHERE group_id = $1", {group_id});
  for (Id u : user_ids)
    m_c.exec("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)", {group_id, u});
}

std::vector<Id> Tx::groups_of(Id user_id) {
  std::vector<Id> out;
  m_c.query("SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id", {user_id},
            [&](const Row& r) { out.push_back(r.i64(0)); });
  return out;
}

namespace {
constexpr const char* kContactCols =
    "id, level, role, name, office_phone, email, mobile, created_at";
EscalationContact contact_from(const Row& r) {
  return EscalationContact{r.i64(0), static_cast<int>(r.i64(1)), r.text(2), r.text(3),
                           r.text(4),  r.text(5),                  r.text(6), r.i64(7)};
}
}  // namespace

Id Tx::insert_escalation_contact(const EscalationContact& c) {
  Id id = 0;
  m_c.query(
      "INSERT INTO escalation_contacts (level, role, name, office_phone, email, mobile, "
      "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
      {std::int64_t{c.level}, c.role, c.name, c.office_phone, c.email, c.mobile, c.created_at},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<EscalationContact> Tx::find_escalation_contact(Id id) {
  std::optional<EscalationContact> out;
  m_c.query(std::string("SELECT ") + kContactCols + " FROM escalation_contacts WHERE id = $1",
            {id}, [&](const Row& r) { out = contact_from(r); });
  return out;
}

void Tx::update_escalation_contact(const EscalationContact& c) {
  m_c.exec(
      "UPDATE escalation_contacts SET level = $2, role = $3, name = $4, office_phone = $5, "
      "email = $6, mobile = $7 WHERE id = $1",
      {c.id, std::int64_t{c.level}, c.role, c.name, c.office_phone, c.email, c.mobile});
}

void Tx::delete_escalation_contact(Id id) {
  m_c.exec("DELETE FROM escalation_contacts WHERE id = $1", {id});
}

std::vector<EscalationContact> Tx::list_escalation_contacts() {
  std::vector<EscalationContact> out;
  m_c.query(std::string("SELECT ") + kContactCols +
                " FROM escalation_contacts ORDER BY level, name, id",
            {}, [&](const Row& r) { out.push_back(contact_from(r)); });
  return out;
}

Id Tx::insert_category(const Category& c) {
  Id id = 0;
  m_c.query(
      "INSERT INTO categories (name, parent_id, created_at) VALUES ($1, $2, $3) RETURNING id",
      {c.name, opt(c.parent_id), c.created_at}, [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<Category> Tx::find_category(Id id) {
  std::optional<Category> out;
  m_c.query("SELECT id, name, parent_id, created_at FROM categories WHERE id = $1", {id},
            [&](const Row& r) { out = category_from(r); });
  return out;
}

void Tx::update_category(const Category& c) {
  m_c.exec("UPDATE categories SET name = $2, parent_id = $3 WHERE id = $1",
           {c.id, c.name, opt(c.parent_id)});
}

std::vector<Category> Tx::list_categories() {
  std::vector<Category> out;
  m_c.query("SELECT id, name, parent_id, created_at FROM categories ORDER BY id", {},
            [&](const Row& r) { out.push_back(category_from(r)); });
  return out;
}

void Tx::insert_session(const std::string& token_hash, const SessionRecord& s, Millis now) {
  m_c.exec(
      "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES "
      "($1, $2, $3, $4, $5)",
      {token_hash, s.user_id, s.csrf_token, now, s.expires_at});
}

std::optional<SessionRecord> Tx::find_session(const std::string& token_hash) {
  std::optional<SessionRecord> out;
  m_c.query("SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1",
            {token_hash},
            [&](const Row& r) { out = SessionRecord{r.i64(0), r.text(1), r.i64(2)}; });
  return out;
}

void Tx::delete_session(const std::string& token_hash) {
  m_c.exec("DELETE FROM sessions WHERE token_hash = $1", {token_hash});
}

void Tx::delete_expired_sessions(Millis now) {
  m_c.exec("DELETE FROM sessions WHERE expires_at < $1", {now});
}

Id Tx::insert_api_token(Id user_id, const std::string& token_name, const std::string& token_hash,
                        Millis now) {
  Id id = 0;
  m_c.query(
      "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) "
      "RETURNING id",
      {user_id, token_name, token_hash, now}, [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<Id> Tx::find_api_token_user(const std::string& token_hash) {
  std::optional<Id> out;
  m_c.query("SELECT user_id FROM api_tokens WHERE token_hash = $1", {token_hash},
            [&](const Row& r) { out = r.i64(0); });
  return out;
}

std::optional<std::string> Tx::get_setting(const std::string& key) {
  std::optional<std::string> out;
  m_c.query("SELECT value FROM settings WHERE key = $1", {key},
            [&](const Row& r) { out = r.text(0); });
  return out;
}

void Tx::put_setting(const std::string& key, const std::string& value) {
  m_c.exec(
      "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = "
      "excluded.value",
      {key, value});
}

}  // namespace sd::store
