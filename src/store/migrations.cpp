#include "store/migrations.hpp"

#include <string>
#include <vector>

namespace sd::store {
namespace {

// Types that differ between the dialects are spelled with tokens that are
// replaced before running: {ID} an auto-assigned 64-bit primary key, {I64}
// a 64-bit integer. Everything else is portable SQL.
const std::vector<const char*> kMigrations = {
    // 1: the ticket engine.
    R"SQL(
CREATE TABLE organisations (
  id {ID},
  name TEXT NOT NULL UNIQUE,
  shared_tickets INTEGER NOT NULL DEFAULT 0,
  created_at {I64} NOT NULL
);
CREATE TABLE users (
  id {ID},
  email TEXT UNIQUE,  -- NULL for callers known only by name and phone
  name TEXT NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL,
  organisation_id {I64} REFERENCES organisations(id),
  language TEXT NOT NULL,
  timezone TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  password_hash TEXT,
  created_at {I64} NOT NULL
);
CREATE INDEX users_org ON users(organisation_id);
CREATE INDEX users_role ON users(role, id);
CREATE TABLE agent_groups (
  id {ID},
  name TEXT NOT NULL UNIQUE,
  support_level INTEGER NOT NULL,
  created_at {I64} NOT NULL
);
CREATE TABLE group_members (
  group_id {I64} NOT NULL REFERENCES agent_groups(id),
  user_id {I64} NOT NULL REFERENCES users(id),
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members(user_id);
CREATE TABLE categories (
  id {ID},
  name TEXT NOT NULL,
  parent_id {I64} REFERENCES categories(id),
  created_at {I64} NOT NULL
);
CREATE TABLE tickets (
  id {ID},
  type TEXT NOT NULL,
  channel TEXT NOT NULL,
  impact TEXT NOT NULL,
  criticality TEXT NOT NULL,
  priority INTEGER NOT NULL,
  support_level INTEGER NOT NULL,
  status TEXT NOT NULL,
  requester_id {I64} NOT NULL REFERENCES users(id),
  organisation_id {I64} REFERENCES organisations(id),
  assignee_id {I64} REFERENCES users(id),
  group_id {I64} REFERENCES agent_groups(id),
  category_id {I64} REFERENCES categories(id),
  subject TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at {I64} NOT NULL,
  updated_at {I64} NOT NULL,
  resolved_at {I64},
  closed_at {I64}
);
CREATE INDEX tickets_status_priority ON tickets(status, priority, id);
CREATE INDEX tickets_priority ON tickets(priority, id);
CREATE INDEX tickets_level ON tickets(support_level, id);
CREATE INDEX tickets_created ON tickets(created_at, id);
CREATE INDEX tickets_updated ON tickets(updated_at, id);
CREATE INDEX tickets_requester ON tickets(requester_id, id);
CREATE INDEX tickets_org ON tickets(organisation_id, id);
CREATE INDEX tickets_assignee ON tickets(assignee_id, status, id);
CREATE INDEX tickets_group ON tickets(group_id, status, id);
CREATE INDEX tickets_type ON tickets(type, id);
CREATE INDEX tickets_category ON tickets(category_id, id);
-- The open queue is the desk's hot path and a small part of a large table:
-- partial indexes keep it fast whatever the sort. The WHERE text must match
-- kOpenStatusSql in repo.cpp for the planners to use them.
CREATE INDEX tickets_open_priority ON tickets(priority, id) WHERE status IN ('new', 'assigned', 'in_progress', 'pending');
CREATE INDEX tickets_open_updated ON tickets(updated_at, id) WHERE status IN ('new', 'assigned', 'in_progress', 'pending');
CREATE INDEX tickets_open_created ON tickets(created_at, id) WHERE status IN ('new', 'assigned', 'in_progress', 'pending');
CREATE INDEX tickets_open_level ON tickets(support_level, priority, id) WHERE status IN ('new', 'assigned', 'in_progress', 'pending');
CREATE TABLE events (
  id {ID},
  ticket_id {I64} NOT NULL REFERENCES tickets(id),
  kind TEXT NOT NULL,
  actor_id {I64} REFERENCES users(id),
  internal INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL DEFAULT '',
  field TEXT NOT NULL DEFAULT '',
  old_value TEXT NOT NULL DEFAULT '',
  new_value TEXT NOT NULL DEFAULT '',
  created_at {I64} NOT NULL
);
CREATE INDEX events_ticket ON events(ticket_id, id);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id {I64} NOT NULL REFERENCES users(id),
  csrf_token TEXT NOT NULL,
  created_at {I64} NOT NULL,
  expires_at {I64} NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
  id {ID},
  user_id {I64} NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at {I64} NOT NULL
);
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)SQL",
    // 2: the escalation directory (levels 1-4 of the source document).
    R"SQL(
CREATE TABLE escalation_contacts (
  id {ID},
  level INTEGER NOT NULL,
  role TEXT NOT NULL,
  name TEXT NOT NULL,
  office_phone TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  mobile TEXT NOT NULL DEFAULT '',
  created_at {I64} NOT NULL
);
)SQL",
};

std::string render(const char* sql, Dialect d) {
  std::string out(sql);
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (auto pos = out.find(from); pos != std::string::npos; pos = out.find(from, pos + to.size()))
      out.replace(pos, from.size(), to);
  };
  if (d == Dialect::sqlite) {
    replace_all("{ID}", "INTEGER PRIMARY KEY");
    replace_all("{I64}", "INTEGER");
  } else {
    replace_all("{ID}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
    replace_all("{I64}", "BIGINT");
  }
  return out;
}

}  // namespace

int latest_schema_version() { return static_cast<int>(kMigrations.size()); }

int migrate(Conn& conn, std::int64_t now_ms) {
  const bool pg = conn.dialect() == Dialect::postgres;
  conn.exec_script(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "applied_at BIGINT NOT NULL)");
  int applied = 0;
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    const std::int64_t version = static_cast<std::int64_t>(i) + 1;
    conn.exec_script(pg ? "BEGIN" : "BEGIN IMMEDIATE");
    try {
      // Nodes starting together on one PostgreSQL wait for each other here.
      if (pg) conn.exec_script("SELECT pg_advisory_xact_lock(727274)");
      bool done = false;
      conn.query("SELECT 1 FROM schema_migrations WHERE version = $1", {version},
                 [&](const Row&) { done = true; });
      if (!done) {
        conn.exec_script(render(kMigrations[i], conn.dialect()));
        conn.exec("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                  {version, now_ms});
        ++applied;
      }
      conn.exec_script("COMMIT");
    } catch (...) {
      conn.exec_script("ROLLBACK");
      throw;
    }
  }
  // Fresh planner statistics (bounded work on large tables): without them
  // SQLite cannot tell a selective index from a useless one.
  if (!pg) conn.exec_script("PRAGMA analysis_limit=2000; ANALYZE;");
  return applied;
}

}  // namespace sd::store
