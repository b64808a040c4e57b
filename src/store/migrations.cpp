#include "store/migrations.hpp"

#include <string>
#include <vector>

namespace sd::store {
namespace {

// One schema change: SQL for both dialects, then what only one of them
// runs. Types that differ between the dialects are spelled with tokens that
// are replaced before running: {ID} an auto-assigned 64-bit primary key,
// {SERIAL} one whose values are never reused, {I64} a 64-bit integer.
// Everything else is portable SQL.
//
// A landed migration is never edited (tests/unit/migrations_test.cpp keeps
// the hash of each): a change to the schema is a new entry at the end.
struct Migration {
  const char* common;
  const char* sqlite_only = "";
  const char* postgres_only = "";
  // SQLite rebuilds a table (to change its keys) only with foreign keys off,
  // outside the transaction; they are checked before it commits.
  bool sqlite_rebuilds_tables = false;
};

const std::vector<Migration> kMigrations = {
    // 1: the ticket engine.
    {R"SQL(
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
)SQL"},
    // 2: the escalation directory (levels 1-4 of the source document).
    {R"SQL(
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
)SQL"},
    // 3: the desk engine. Status categories stored with each ticket (the open
    // queue's partial indexes now follow the category, not a list of
    // statuses); events whose actor may be the desk itself; durable jobs; an
    // index for the daily clean-up of expired sessions. On PostgreSQL each
    // event keeps the transaction that wrote it, so that the live channel
    // reads events in commit order (store.cpp, PgFeed).
    {R"SQL(
ALTER TABLE tickets ADD COLUMN status_category TEXT NOT NULL DEFAULT 'new';
UPDATE tickets SET status_category = CASE status WHEN 'assigned' THEN 'open'
  WHEN 'in_progress' THEN 'open' WHEN 'pending' THEN 'waiting' WHEN 'resolved' THEN 'resolved'
  ELSE 'closed' END WHERE status <> 'new';
DROP INDEX tickets_open_priority;
DROP INDEX tickets_open_updated;
DROP INDEX tickets_open_created;
DROP INDEX tickets_open_level;
-- The WHERE text must match kOpenSql in store/repo/tickets.cpp.
CREATE INDEX tickets_open_priority ON tickets(priority, id) WHERE status_category IN ('new', 'open', 'waiting');
CREATE INDEX tickets_open_updated ON tickets(updated_at, id) WHERE status_category IN ('new', 'open', 'waiting');
CREATE INDEX tickets_open_created ON tickets(created_at, id) WHERE status_category IN ('new', 'open', 'waiting');
CREATE INDEX tickets_open_level ON tickets(support_level, priority, id) WHERE status_category IN ('new', 'open', 'waiting');
ALTER TABLE events ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'user';
ALTER TABLE events ADD COLUMN actor_label TEXT NOT NULL DEFAULT '';
CREATE TABLE jobs (
  id {ID},
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  due_at {I64} NOT NULL,
  dedupe_key TEXT UNIQUE,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_expires_at {I64},
  created_at {I64} NOT NULL,
  updated_at {I64} NOT NULL,
  done_at {I64}
);
CREATE INDEX jobs_due ON jobs(due_at, id) WHERE status = 'queued';
CREATE INDEX jobs_lease ON jobs(lease_expires_at, id) WHERE status = 'running';
CREATE INDEX jobs_status ON jobs(status, id);
CREATE INDEX sessions_expires ON sessions(expires_at);
)SQL",
     "",
     R"SQL(
ALTER TABLE events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_xid ON events(xid);
)SQL"},
    // 4: hardening. Ids of users and API tokens are never reused (SQLite:
    // AUTOINCREMENT; PostgreSQL's identities never reuse), and a user's
    // sessions and tokens go with the user. Users get the key their email is
    // unique by (case folded, NFC) and a flag to change a password someone
    // else set, and a search key (accents and case folded, phone digits)
    // that a job fills for existing users; tokens an expiry and their last
    // use; tickets a version for If-Match, the ticket they follow up and
    // their latest event, with what each agent has read of them (unread
    // marks); an audit trail of changes to other people's credentials.
    // PostgreSQL gets sd_fold, text with its Latin accents and case folded,
    // for the substring filter of the time (the search index replaced it).
    {R"SQL(
ALTER TABLE tickets ADD COLUMN version {I64} NOT NULL DEFAULT 1;
ALTER TABLE tickets ADD COLUMN follow_up_of {I64} REFERENCES tickets(id);
ALTER TABLE tickets ADD COLUMN last_event_id {I64};
ALTER TABLE tickets ADD COLUMN last_event_by {I64};
CREATE TABLE ticket_reads (
  user_id {I64} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  ticket_id {I64} NOT NULL REFERENCES tickets(id),
  event_id {I64} NOT NULL,
  PRIMARY KEY (user_id, ticket_id)
);
CREATE TABLE audit_events (
  id {SERIAL},
  actor_kind TEXT NOT NULL,
  actor_id {I64},
  action TEXT NOT NULL,
  target_user_id {I64},
  detail TEXT NOT NULL DEFAULT '',
  created_at {I64} NOT NULL
);
CREATE INDEX audit_events_target ON audit_events(target_user_id, id);
)SQL",
     R"SQL(
CREATE TABLE users_v4 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT UNIQUE,
  email_key TEXT UNIQUE,
  name TEXT NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL,
  organisation_id INTEGER REFERENCES organisations(id),
  language TEXT NOT NULL,
  timezone TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  password_hash TEXT,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  search_key TEXT,
  created_at INTEGER NOT NULL
);
INSERT INTO users_v4 (id, email, email_key, name, phone, role, organisation_id, language,
  timezone, active, password_hash, created_at)
  SELECT id, email, lower(email), name, phone, role, organisation_id, language, timezone, active,
  password_hash, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_v4 RENAME TO users;
CREATE INDEX users_org ON users(organisation_id);
CREATE INDEX users_role ON users(role, id);
CREATE TABLE sessions_v4 (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
INSERT INTO sessions_v4 SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_v4 RENAME TO sessions;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE TABLE api_tokens_v4 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  last_used_at INTEGER
);
INSERT INTO api_tokens_v4 (id, user_id, name, token_hash, created_at)
  SELECT id, user_id, name, token_hash, created_at FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_v4 RENAME TO api_tokens;
CREATE INDEX api_tokens_user ON api_tokens(user_id, id);
)SQL",
     R"SQL(
ALTER TABLE users ADD COLUMN email_key TEXT UNIQUE;
UPDATE users SET email_key = lower(email);
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN search_key TEXT;
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT, ADD COLUMN last_used_at BIGINT;
ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey,
  ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_user_id_fkey,
  ADD CONSTRAINT api_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id)
  ON DELETE CASCADE;
CREATE INDEX api_tokens_user ON api_tokens(user_id, id);
CREATE FUNCTION sd_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fold$
  SELECT translate(lower(t),
    'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ',
    'aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzoouuaaiioouuuuuuuuuuaaaaggkkoooojggnnaaaaaaeeeeiiiioooorrrruuuusstthhaaeeooooooooyy')
$fold$;
)SQL",
     true},
    // 5: business calendars (issue 8): opening ranges by weekday (0 =
    // Monday; minutes after local midnight) and holidays, with the built-in
    // 24x7 calendar every desk has.
    {R"SQL(
CREATE TABLE calendars (
  id {SERIAL},
  name TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  builtin INTEGER NOT NULL DEFAULT 0,
  created_at {I64} NOT NULL,
  updated_at {I64} NOT NULL
);
CREATE TABLE calendar_hours (
  calendar_id {I64} NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
  weekday INTEGER NOT NULL,
  start_minute INTEGER NOT NULL,
  end_minute INTEGER NOT NULL,
  PRIMARY KEY (calendar_id, weekday, start_minute)
);
CREATE TABLE calendar_holidays (
  calendar_id {I64} NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (calendar_id, day)
);
INSERT INTO calendars (name, time_zone, builtin, created_at, updated_at)
  VALUES ('24x7', 'UTC', 1, 0, 0);
INSERT INTO calendar_hours (calendar_id, weekday, start_minute, end_minute)
  SELECT c.id, w.d, 0, 1440 FROM calendars c,
  (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
   UNION ALL SELECT 5 UNION ALL SELECT 6) w
  WHERE c.builtin = 1;
)SQL"},
    // 6: service-level policies (issue 8). The match lists and the pause
    // statuses are comma-separated names or ids (empty = any / none).
    {R"SQL(
CREATE TABLE sla_policies (
  id {SERIAL},
  name TEXT NOT NULL,
  calendar_id {I64} NOT NULL REFERENCES calendars(id),
  rank {I64} NOT NULL DEFAULT 0,
  match_types TEXT NOT NULL DEFAULT '',
  match_priorities TEXT NOT NULL DEFAULT '',
  match_organisation_ids TEXT NOT NULL DEFAULT '',
  first_response_minutes {I64} NOT NULL,
  resolution_minutes {I64} NOT NULL,
  pause_statuses TEXT NOT NULL DEFAULT 'pending',
  first_response_warning_percent INTEGER NOT NULL DEFAULT 75,
  resolution_warning_percent INTEGER NOT NULL DEFAULT 75,
  created_at {I64} NOT NULL,
  updated_at {I64} NOT NULL
);
CREATE INDEX sla_policies_calendar ON sla_policies(calendar_id);
)SQL"},
    // 7: service-level clocks (issue 8). Per ticket: its policy, the
    // first public reply by staff, the pauses ("from:to:kind;...", to empty
    // while open, kind s = pause status, r = resolved), when the desk wrote
    // each warning and breach, and the targets as computed at the last
    // change. tickets.sla_due_at is the next due of a clock still to be
    // met, for the "due soonest" and "breaching soon" queues.
    {R"SQL(
ALTER TABLE tickets ADD COLUMN sla_due_at {I64};
CREATE INDEX tickets_open_sla_due ON tickets((COALESCE(sla_due_at, 9223372036854775807)), id)
  WHERE status_category IN ('new', 'open', 'waiting');
CREATE TABLE ticket_slas (
  ticket_id {I64} PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
  policy_id {I64} REFERENCES sla_policies(id) ON DELETE SET NULL,
  first_response_at {I64},
  pauses TEXT NOT NULL DEFAULT '',
  first_response_warned_at {I64},
  first_response_breached_at {I64},
  resolution_warned_at {I64},
  resolution_breached_at {I64},
  first_response_due_at {I64},
  first_response_warning_at {I64},
  resolution_due_at {I64},
  resolution_warning_at {I64},
  paused INTEGER NOT NULL DEFAULT 0,
  resolution_left_ms {I64},
  updated_at {I64} NOT NULL
);
CREATE INDEX ticket_slas_policy ON ticket_slas(policy_id);
)SQL"},
    // 8: escalation rules with the source document's defaults, staff
    // notifications (the bell), and the outbox of mail the email channel
    // will send. Rule lists are comma-separated names; trigger_kind is
    // created, sla_warning or sla_breach.
    {R"SQL(
CREATE TABLE escalation_rules (
  id {SERIAL},
  name TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  trigger_kind TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  policy_id {I64} REFERENCES sla_policies(id) ON DELETE CASCADE,
  impacts TEXT NOT NULL DEFAULT '',
  types TEXT NOT NULL DEFAULT '',
  support_level INTEGER,
  directory_level INTEGER,
  group_id {I64} REFERENCES agent_groups(id) ON DELETE SET NULL,
  priority INTEGER,
  created_at {I64} NOT NULL,
  updated_at {I64} NOT NULL
);
INSERT INTO escalation_rules (name, trigger_kind, target, directory_level, created_at, updated_at)
  VALUES ('First response missed: directory level 2', 'sla_breach', 'first_response', 2, 0, 0);
INSERT INTO escalation_rules (name, trigger_kind, target, support_level, directory_level,
  created_at, updated_at)
  VALUES ('Resolution missed: support level 3, directory level 3', 'sla_breach', 'resolution', 3,
  3, 0, 0);
INSERT INTO escalation_rules (name, trigger_kind, impacts, directory_level, created_at,
  updated_at)
  VALUES ('Loss of functionality: directory level 4', 'created', 'loss_of_functionality', 4, 0, 0);
CREATE TABLE notifications (
  id {SERIAL},
  user_id {I64} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  ticket_id {I64} REFERENCES tickets(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  created_at {I64} NOT NULL,
  read_at {I64}
);
CREATE INDEX notifications_user ON notifications(user_id, id);
CREATE INDEX notifications_unread ON notifications(user_id) WHERE read_at IS NULL;
CREATE TABLE outbox (
  id {SERIAL},
  kind TEXT NOT NULL,
  ticket_id {I64} REFERENCES tickets(id) ON DELETE CASCADE,
  to_address TEXT NOT NULL,
  to_name TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL DEFAULT 'es-MX',
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  created_at {I64} NOT NULL,
  sent_at {I64}
);
CREATE INDEX outbox_status ON outbox(status, id);
)SQL"},
    // 9: contracts (issue 8: coverage, the warranty period). Dates are
    // YYYY-MM-DD, both included; policy_ids is comma-separated. A ticket's
    // coverage (none, covered, outside) and its contract are decided when it
    // is opened and kept with its clocks.
    {R"SQL(
CREATE TABLE contracts (
  id {SERIAL},
  organisation_id {I64} NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  starts_on TEXT NOT NULL,
  ends_on TEXT NOT NULL,
  policy_ids TEXT NOT NULL DEFAULT '',
  outside_coverage TEXT NOT NULL DEFAULT 'warn',
  created_at {I64} NOT NULL,
  updated_at {I64} NOT NULL
);
CREATE INDEX contracts_organisation ON contracts(organisation_id);
CREATE INDEX contracts_ends ON contracts(ends_on);
ALTER TABLE ticket_slas ADD COLUMN coverage TEXT NOT NULL DEFAULT 'none';
ALTER TABLE ticket_slas ADD COLUMN contract_id {I64} REFERENCES contracts(id) ON DELETE SET NULL;
)SQL"},
    // 10: the email channel and attachments (issue 9). Mailboxes the desk
    // receives on (by the MTA pipe and by IMAP polling), every message taken
    // in with what became of it (deduplicated per mailbox on its Message-ID,
    // or its content's hash when it has none) with its headers ("Name: value"
    // lines) and full text, files stored by their SHA-256
    // (the bytes on disk beside the database, content-addressed), the
    // attachments of ticket events, and what the outbox needs to thread and
    // retry mail. mailbox_key is the mailbox's id, or 0 for mail piped in
    // without one.
    {R"SQL(
CREATE TABLE mailboxes (
  id {SERIAL},
  address TEXT NOT NULL,
  address_key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 1,
  unknown_senders TEXT NOT NULL DEFAULT 'create',
  group_id {I64} REFERENCES agent_groups(id) ON DELETE SET NULL,
  imap_url TEXT NOT NULL DEFAULT '',
  imap_username TEXT NOT NULL DEFAULT '',
  imap_password TEXT NOT NULL DEFAULT '',
  imap_folder TEXT NOT NULL DEFAULT 'INBOX',
  imap_tls TEXT NOT NULL DEFAULT 'required',
  imap_verify_peer INTEGER NOT NULL DEFAULT 1,
  imap_uidvalidity {I64} NOT NULL DEFAULT 0,
  imap_last_uid {I64} NOT NULL DEFAULT 0,
  imap_polled_at {I64},
  imap_error TEXT NOT NULL DEFAULT '',
  created_at {I64} NOT NULL,
  updated_at {I64} NOT NULL
);
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  size {I64} NOT NULL,
  created_at {I64} NOT NULL
);
CREATE TABLE inbound_mail (
  id {SERIAL},
  mailbox_key {I64} NOT NULL,
  dedupe_key TEXT NOT NULL,
  source TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  message_id TEXT NOT NULL DEFAULT '',
  from_address TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  size {I64} NOT NULL DEFAULT 0,
  raw_sha256 TEXT REFERENCES blobs(sha256),
  ticket_id {I64} REFERENCES tickets(id) ON DELETE SET NULL,
  event_id {I64},
  duplicates INTEGER NOT NULL DEFAULT 0,
  headers TEXT NOT NULL DEFAULT '',
  full_text TEXT NOT NULL DEFAULT '',
  received_at {I64} NOT NULL,
  updated_at {I64} NOT NULL,
  UNIQUE (mailbox_key, dedupe_key)
);
CREATE INDEX inbound_mail_status ON inbound_mail(status, id);
CREATE INDEX inbound_mail_ticket ON inbound_mail(ticket_id);
CREATE INDEX inbound_mail_message ON inbound_mail(message_id);
CREATE TABLE attachments (
  id {SERIAL},
  ticket_id {I64} REFERENCES tickets(id) ON DELETE CASCADE,
  event_id {I64},
  sha256 TEXT NOT NULL REFERENCES blobs(sha256),
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  declared_type TEXT NOT NULL DEFAULT '',
  size {I64} NOT NULL,
  inline_part INTEGER NOT NULL DEFAULT 0,
  content_id TEXT NOT NULL DEFAULT '',
  internal INTEGER NOT NULL DEFAULT 0,
  uploaded_by {I64} REFERENCES users(id) ON DELETE SET NULL,
  created_at {I64} NOT NULL
);
CREATE INDEX attachments_ticket ON attachments(ticket_id, id);
CREATE INDEX attachments_event ON attachments(event_id);
CREATE INDEX attachments_unused ON attachments(created_at) WHERE ticket_id IS NULL;
ALTER TABLE outbox ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN in_reply_to TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN refs TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN auto_submitted TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN user_id {I64} REFERENCES users(id) ON DELETE SET NULL;
CREATE INDEX outbox_to ON outbox(to_address, created_at);
CREATE INDEX outbox_ticket ON outbox(ticket_id, id);
)SQL"},
    // 11: the knowledge base and search (issue 10). Articles (Markdown as
    // written, its plain text for the index; tags comma-separated), every
    // saved version, one helpful vote per user, deflections (a requester
    // whom an article helped, and who opened no ticket), articles given as a
    // ticket's solution. The search index of tickets (subject, description,
    // public replies, internal notes: the last 100,000 characters of each of
    // the last two) and of articles, which the repositories keep in step in
    // the same transaction as each change (store/repo/search.cpp; not
    // triggers: an FTS5 write from a trigger cost 3.5 ms on 30,000 tickets
    // and grew with the index, against 0.02 ms from a statement of its own):
    // SQLite FTS5 (accents and case folded, prefixes of 2 to 6 letters
    // indexed), PostgreSQL tsvector with unaccent and GIN (weights A subject,
    // B description, C replies, D notes; a requester's search matches only A
    // to C). Existing tickets are indexed here.
    {R"SQL(
CREATE TABLE articles (
  id {SERIAL},
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  body_text TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL,
  visibility TEXT NOT NULL,
  status TEXT NOT NULL,
  category_id {I64} REFERENCES categories(id) ON DELETE SET NULL,
  tags TEXT NOT NULL DEFAULT '',
  translation_of {I64} REFERENCES articles(id) ON DELETE SET NULL,
  source_ticket_id {I64} REFERENCES tickets(id) ON DELETE SET NULL,
  version {I64} NOT NULL DEFAULT 1,
  author_id {I64} REFERENCES users(id) ON DELETE SET NULL,
  updated_by {I64} REFERENCES users(id) ON DELETE SET NULL,
  helpful_yes {I64} NOT NULL DEFAULT 0,
  helpful_no {I64} NOT NULL DEFAULT 0,
  created_at {I64} NOT NULL,
  updated_at {I64} NOT NULL,
  published_at {I64}
);
CREATE INDEX articles_updated ON articles(updated_at, id);
CREATE INDEX articles_translation ON articles(translation_of);
CREATE INDEX articles_category ON articles(category_id);
CREATE TABLE article_versions (
  article_id {I64} NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  version {I64} NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  language TEXT NOT NULL,
  visibility TEXT NOT NULL,
  status TEXT NOT NULL,
  category_id {I64},
  tags TEXT NOT NULL DEFAULT '',
  editor_id {I64} REFERENCES users(id) ON DELETE SET NULL,
  created_at {I64} NOT NULL,
  PRIMARY KEY (article_id, version)
);
CREATE TABLE article_votes (
  article_id {I64} NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  user_id {I64} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  helpful INTEGER NOT NULL,
  created_at {I64} NOT NULL,
  PRIMARY KEY (article_id, user_id)
);
CREATE TABLE deflections (
  id {SERIAL},
  article_id {I64} REFERENCES articles(id) ON DELETE SET NULL,
  user_id {I64} REFERENCES users(id) ON DELETE SET NULL,
  subject TEXT NOT NULL DEFAULT '',
  created_at {I64} NOT NULL
);
CREATE INDEX deflections_created ON deflections(created_at);
CREATE TABLE ticket_solutions (
  ticket_id {I64} NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  article_id {I64} NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  linked_by {I64} REFERENCES users(id) ON DELETE SET NULL,
  event_id {I64},
  created_at {I64} NOT NULL,
  PRIMARY KEY (ticket_id, article_id)
);
CREATE INDEX ticket_solutions_created ON ticket_solutions(created_at);
CREATE INDEX tickets_resolved ON tickets(resolved_at) WHERE resolved_at IS NOT NULL;
)SQL",
     R"SQL(
CREATE VIRTUAL TABLE ticket_search USING fts5(subject, body, replies, notes,
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6');
INSERT INTO ticket_search (rowid, subject, body, replies, notes)
  SELECT t.id, t.subject, t.description,
    COALESCE(substr((SELECT group_concat(x.body, char(10)) FROM (SELECT e.body FROM events e
      WHERE e.ticket_id = t.id AND e.kind IN ('reply', 'note') AND e.internal = 0
      ORDER BY e.id) x), -100000), ''),
    COALESCE(substr((SELECT group_concat(x.body, char(10)) FROM (SELECT e.body FROM events e
      WHERE e.ticket_id = t.id AND e.kind IN ('reply', 'note') AND e.internal <> 0
      ORDER BY e.id) x), -100000), '')
  FROM tickets t;
CREATE VIRTUAL TABLE article_search USING fts5(title, body, tags,
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6');
)SQL",
     R"SQL(
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION sd_search (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION sd_search
  ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
CREATE FUNCTION sd_ticket_doc(s text, d text, r text, n text) RETURNS tsvector
  LANGUAGE sql STABLE PARALLEL SAFE AS $doc$
  SELECT setweight(to_tsvector('sd_search', left(s, 100000)), 'A') ||
         setweight(to_tsvector('sd_search', left(d, 100000)), 'B') ||
         setweight(to_tsvector('sd_search', r), 'C') ||
         setweight(to_tsvector('sd_search', n), 'D')
$doc$;
CREATE TABLE ticket_search (
  ticket_id BIGINT PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
  replies TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  doc tsvector NOT NULL
);
INSERT INTO ticket_search (ticket_id, replies, notes, doc)
  SELECT x.id, x.replies, x.notes, sd_ticket_doc(x.subject, x.description, x.replies, x.notes)
  FROM (SELECT t.id, t.subject, t.description,
    right(COALESCE((SELECT string_agg(e.body, E'\n' ORDER BY e.id) FROM events e
      WHERE e.ticket_id = t.id AND e.kind IN ('reply', 'note') AND e.internal = 0), ''), 100000)
      AS replies,
    right(COALESCE((SELECT string_agg(e.body, E'\n' ORDER BY e.id) FROM events e
      WHERE e.ticket_id = t.id AND e.kind IN ('reply', 'note') AND e.internal <> 0), ''), 100000)
      AS notes
    FROM tickets t) x;
CREATE INDEX ticket_search_doc ON ticket_search USING gin (doc);
ALTER TABLE articles ADD COLUMN doc tsvector;
CREATE FUNCTION sd_article_doc(title text, tags text, body text) RETURNS tsvector
  LANGUAGE sql STABLE PARALLEL SAFE AS $doc$
  SELECT setweight(to_tsvector('sd_search', title), 'A') ||
         setweight(to_tsvector('sd_search', replace(tags, ',', ' ')), 'B') ||
         setweight(to_tsvector('sd_search', left(body, 200000)), 'C')
$doc$;
CREATE INDEX articles_doc ON articles USING gin (doc);
)SQL"},
    // 12: SQLite's search index keeps prefixes of 3 to 6 letters, no longer
    // of 2 (a word of one or two letters matches whole words only,
    // domain/search.hpp). Each prefix length indexed is a posting for every
    // word of each ticket created: the 2-letter one, for the most words of
    // all, cost the writer 10-14 us a create (bench/create_cpu.sh: 154 ->
    // 140-145 us). FTS5 cannot change a table's prefixes, so both tables are
    // made again from what they hold. Nothing changes on PostgreSQL, whose
    // prefixes need no index of their own.
    {"",
     R"SQL(
CREATE VIRTUAL TABLE ticket_search_12 USING fts5(subject, body, replies, notes,
  tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4 5 6');
INSERT INTO ticket_search_12 (rowid, subject, body, replies, notes)
  SELECT rowid, subject, body, replies, notes FROM ticket_search;
DROP TABLE ticket_search;
ALTER TABLE ticket_search_12 RENAME TO ticket_search;
CREATE VIRTUAL TABLE article_search_12 USING fts5(title, body, tags,
  tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4 5 6');
INSERT INTO article_search_12 (rowid, title, body, tags)
  SELECT rowid, title, body, tags FROM article_search;
DROP TABLE article_search;
ALTER TABLE article_search_12 RENAME TO article_search;
)SQL"},
    // 13: PostgreSQL's ticket index keeps each row's era (ticket_id / 4096,
    // store::kEraTickets) beside its words (btree_gin), so the newest
    // matches of a word are read from the newest eras alone, not from
    // every match: 1.6 ms for a word in 64,000 tickets whose newest 1,000
    // are among the newest 50,000, against 42 ms reading all 64,000 and
    // keeping the newest. A query of the words alone uses it as it used
    // the index it replaces. Nothing changes on SQLite.
    {"", "",
     R"SQL(
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX ticket_search_doc_era ON ticket_search USING gin (doc, (ticket_id / 4096));
DROP INDEX ticket_search_doc;
)SQL"},
    // 14: PostgreSQL's ticket index keeps each row's scope, the ticket's
    // requester and organisation, beside its words and era, so a
    // requester's search reads their own matches alone. Before, the
    // newest matches of a requester with a sixth of the desk came from
    // walking 20,000 of their tickets, each looked up in the index (27-44
    // ms for a prefix at a million), or from reading every match of the
    // desk's and keeping theirs. The search writes them with the rest of
    // the row (SearchRepo::reindex); a trigger keeps them in step with a
    // ticket whose requester or organisation changes by any other way,
    // since a row out of step would hide a ticket from its requester.
    // New rows wait in GIN's pending list, which every search reads whole:
    // at the default 4 MB, 2,000 waiting rows cost each search 8-10 ms at a
    // million, so the list is written into the index at 256 kB.
    // Nothing changes on SQLite, whose index checks the scope in the
    // tickets' own indexes.
    {"", "",
     R"SQL(
ALTER TABLE ticket_search ADD COLUMN requester_id BIGINT, ADD COLUMN organisation_id BIGINT;
UPDATE ticket_search s SET requester_id = t.requester_id, organisation_id = t.organisation_id
  FROM tickets t WHERE t.id = s.ticket_id;
CREATE INDEX ticket_search_doc_scope ON ticket_search
  USING gin (doc, (ticket_id / 4096), requester_id, organisation_id)
  WITH (gin_pending_list_limit = 256);
DROP INDEX ticket_search_doc_era;
CREATE FUNCTION sd_ticket_search_scope() RETURNS trigger LANGUAGE plpgsql AS $scope$
BEGIN
  UPDATE ticket_search SET requester_id = NEW.requester_id,
    organisation_id = NEW.organisation_id WHERE ticket_id = NEW.id;
  RETURN NULL;
END
$scope$;
CREATE TRIGGER tickets_search_scope AFTER UPDATE OF requester_id, organisation_id ON tickets
  FOR EACH ROW WHEN (OLD.requester_id IS DISTINCT FROM NEW.requester_id
    OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id)
  EXECUTE FUNCTION sd_ticket_search_scope();
)SQL"},
    // 15: PostgreSQL's ticket index keeps each row's priority beside its
    // words, era and scope, so a search listed most urgent first reads the
    // matches of one priority at a time (TicketRepo::list): 1,000 critical
    // matches of a prefix in 5-8 ms at a million, where walking the tickets
    // by priority and looking each up in the index took 28-41 ms (13,000
    // tickets walked for 50 matches). The trigger of migration 14 keeps it
    // in step with a ticket whose priority changes, which most changes of
    // priority are (they leave the text as it was). Nothing changes on
    // SQLite.
    {"", "",
     R"SQL(
ALTER TABLE ticket_search ADD COLUMN priority INTEGER;
UPDATE ticket_search s SET priority = t.priority FROM tickets t WHERE t.id = s.ticket_id;
CREATE INDEX ticket_search_doc_priority ON ticket_search
  USING gin (doc, (ticket_id / 4096), requester_id, organisation_id, priority)
  WITH (gin_pending_list_limit = 256);
DROP INDEX ticket_search_doc_scope;
CREATE OR REPLACE FUNCTION sd_ticket_search_scope() RETURNS trigger LANGUAGE plpgsql AS $scope$
BEGIN
  UPDATE ticket_search SET requester_id = NEW.requester_id,
    organisation_id = NEW.organisation_id, priority = NEW.priority WHERE ticket_id = NEW.id;
  RETURN NULL;
END
$scope$;
DROP TRIGGER tickets_search_scope ON tickets;
CREATE TRIGGER tickets_search_scope
  AFTER UPDATE OF requester_id, organisation_id, priority ON tickets
  FOR EACH ROW WHEN (OLD.requester_id IS DISTINCT FROM NEW.requester_id
    OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id
    OR OLD.priority IS DISTINCT FROM NEW.priority)
  EXECUTE FUNCTION sd_ticket_search_scope();
)SQL"},
};

std::string render(const char* sql, Dialect d) {
  std::string out(sql);
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (auto pos = out.find(from); pos != std::string::npos; pos = out.find(from, pos + to.size()))
      out.replace(pos, from.size(), to);
  };
  if (d == Dialect::sqlite) {
    replace_all("{ID}", "INTEGER PRIMARY KEY");
    replace_all("{SERIAL}", "INTEGER PRIMARY KEY AUTOINCREMENT");
    replace_all("{I64}", "INTEGER");
  } else {
    replace_all("{ID}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
    replace_all("{SERIAL}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY");
    replace_all("{I64}", "BIGINT");
  }
  return out;
}

// Nodes starting together on one PostgreSQL take turns: the bookkeeping
// table and every migration run under one advisory lock, held by the session
// until all are applied.
constexpr const char* kLock = "SELECT pg_advisory_lock(727274)";
constexpr const char* kUnlock = "SELECT pg_advisory_unlock(727274)";

}  // namespace

int latest_schema_version() { return static_cast<int>(kMigrations.size()); }

std::string migration_sql(int version, Dialect d) {
  if (version < 1 || version > latest_schema_version()) return {};
  const Migration& m = kMigrations[static_cast<std::size_t>(version - 1)];
  return render(m.common, d) + render(d == Dialect::sqlite ? m.sqlite_only : m.postgres_only, d);
}

int migrate(Conn& conn, Instant now, int up_to) {
  const bool pg = conn.dialect() == Dialect::postgres;
  if (up_to <= 0 || up_to > latest_schema_version()) up_to = latest_schema_version();
  if (pg) conn.exec_script(kLock);
  int applied = 0;
  try {
    conn.exec_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "applied_at BIGINT NOT NULL)");
    for (int version = 1; version <= up_to; ++version) {
      const bool fk_off =
          !pg && kMigrations[static_cast<std::size_t>(version - 1)].sqlite_rebuilds_tables;
      if (fk_off) conn.exec_script("PRAGMA foreign_keys=OFF");
      conn.exec_script(pg ? "BEGIN" : "BEGIN IMMEDIATE");
      try {
        bool done = false;
        conn.query("SELECT 1 FROM schema_migrations WHERE version = $1", {std::int64_t{version}},
                   [&](const Row&) { done = true; });
        if (!done) {
          // A migration may have nothing to do on one back end.
          if (const std::string sql = migration_sql(version, conn.dialect()); !sql.empty())
            conn.exec_script(sql);
          if (fk_off) {
            bool broken = false;
            conn.query("PRAGMA foreign_key_check", {}, [&](const Row&) { broken = true; });
            if (broken)
              throw DbError(DbError::Kind::foreign_key_violation,
                            "migration " + std::to_string(version) + " broke a foreign key");
          }
          conn.exec("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    {std::int64_t{version}, to_unix_ms(now)});
          ++applied;
        }
        conn.exec_script("COMMIT");
      } catch (...) {
        conn.exec_script("ROLLBACK");
        if (fk_off) conn.exec_script("PRAGMA foreign_keys=ON");
        throw;
      }
      if (fk_off) conn.exec_script("PRAGMA foreign_keys=ON");
    }
  } catch (...) {
    if (pg && !conn.broken()) conn.exec_script(kUnlock);
    throw;
  }
  if (pg) conn.exec_script(kUnlock);
  // Fresh planner statistics (bounded work on large tables): without them
  // SQLite cannot tell a selective index from a useless one. None for the
  // tables behind FTS5, which reaches them only by key: a count taken while
  // one was nearly empty (every new database) made its merges delete pages
  // by scanning the whole index: at 100,000 tickets a commit of 8 creates
  // took 17 ms on average instead of 0.3 ms. The statistics are then read
  // again on this connection.
  if (!pg)
    conn.exec_script(
        "PRAGMA analysis_limit=2000; ANALYZE; DELETE FROM sqlite_stat1 WHERE tbl IN (SELECT "
        "v.name || s.suffix FROM sqlite_master v, (SELECT '_data' AS suffix UNION ALL SELECT "
        "'_idx' UNION ALL SELECT '_content' UNION ALL SELECT '_docsize' UNION ALL SELECT "
        "'_config') s WHERE v.type = 'table' AND v.sql LIKE 'CREATE VIRTUAL TABLE%USING "
        "fts5%'); ANALYZE sqlite_master;");
  return applied;
}

int schema_version(Conn& conn) {
  int v = 0;
  conn.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {},
             [&](const Row& r) { v = static_cast<int>(r.i64(0)); });
  return v;
}

}  // namespace sd::store
