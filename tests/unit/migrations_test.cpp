// Migrations: a landed migration is never edited (its hash is kept here),
// a database made by the first landed schema migrates to the current one
// with its data, and nodes starting at once migrate one after the other.
#include <cstdio>
#include <future>

#include "store/repo/events.hpp"
#include "store/repo/jobs.hpp"
#include "store_fixture.hpp"

namespace sd::store {
namespace {

using testing::at;

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// The hash of every landed migration as it runs on each dialect. A change
// here means a landed migration was edited: add a new migration instead.
// Append the hash of a new migration when it lands.
struct Landed {
  int version;
  std::uint64_t sqlite, postgres;
};
constexpr Landed kLanded[] = {
    {1, 0x9bc1ed1bbcb8ed0dULL, 0x8a62083a1c755feeULL},
    {2, 0x4310d44206d521e6ULL, 0x4f316c91e23bbf17ULL},
    {3, 0x3b697b6fead394dULL, 0xa7dd29b265e23279ULL},
    {4, 0xc7aed52a568ebe3aULL, 0xef7a86b090443002ULL},
    {5, 0x1a87793ea86a91faULL, 0x3721d5c764280e3bULL},
    {6, 0xe09cb691294ef1dULL, 0xda458c1eb4cc9a72ULL},
    {7, 0xad28902560bcc0f1ULL, 0xc33b9046a7277735ULL},
    {8, 0xb0c55a27c0fd5107ULL, 0xf5fce2fa8e8f4a35ULL},
    {9, 0x15a1434649127ba4ULL, 0x53b8cb80a6f6f1afULL},
    {10, 0x72871222bab86979ULL, 0xc2b1ea0f40153d52ULL},
    {11, 0x3de1eac08f7a089ULL, 0xe658b2e84228d696ULL},
    {12, 0x23775d39cfb097ffULL, 0x14650fb0739d0383ULL},
    {13, 0x14650fb0739d0383ULL, 0x3a653b4e7d84d39aULL},
    {14, 0x14650fb0739d0383ULL, 0x926fd983aab48963ULL},
    {15, 0x14650fb0739d0383ULL, 0x120b2aba9f948a96ULL},
};

TEST(Migrations, LandedMigrationsAreNeverEdited) {
  ASSERT_EQ(static_cast<int>(std::size(kLanded)), latest_schema_version())
      << "a new migration needs its hash in kLanded";
  for (const auto& m : kLanded) {
    const auto s = fnv1a(migration_sql(m.version, Dialect::sqlite));
    const auto p = fnv1a(migration_sql(m.version, Dialect::postgres));
    char got[80];
    std::snprintf(got, sizeof got, "{%d, 0x%llxULL, 0x%llxULL}", m.version,
                  static_cast<unsigned long long>(s), static_cast<unsigned long long>(p));
    EXPECT_EQ(s, m.sqlite) << "migration " << m.version << " changed on SQLite: " << got;
    EXPECT_EQ(p, m.postgres) << "migration " << m.version << " changed on PostgreSQL: " << got;
  }
  EXPECT_TRUE(migration_sql(0, Dialect::sqlite).empty());
  EXPECT_TRUE(migration_sql(latest_schema_version() + 1, Dialect::sqlite).empty());
}

class Upgrade : public testing::StoreTest {
 protected:
  bool migrate_on_setup() const override { return false; }
};

TEST_P(Upgrade, ADatabaseOfTheFirstSchemaMigratesWithItsData) {
  {
    auto c = raw();
    ASSERT_EQ(migrate(*c, at(1), 1), 1);
    EXPECT_EQ(schema_version(*c), 1);
    // Rows as the first landed version wrote them.
    c->exec(
        "INSERT INTO users (email, name, phone, role, language, timezone, active, created_at) "
        "VALUES ('old@example.com', 'Old User', '', 'requester', 'es-MX', 'America/Mexico_City', "
        "1, 10)");
    const char* statuses[] = {"new",      "assigned", "in_progress", "pending",
                              "resolved", "closed",   "cancelled"};
    for (const char* st : statuses)
      c->exec(
          "INSERT INTO tickets (type, channel, impact, criticality, priority, support_level, "
          "status, requester_id, subject, description, created_at, updated_at) VALUES "
          "('incident', 'web', 'critical', 'low', 3, 2, $1, 1, 'Old ticket', 'From v1', 20, 20)",
          {std::string(st)});
    c->exec(
        "INSERT INTO events (ticket_id, kind, actor_id, internal, body, created_at) VALUES (1, "
        "'reply', 1, 0, 'old reply', 30)");
  }
  m_store = open(options());
  auto m = m_store->migrate(at(2));
  ASSERT_TRUE(m) << m.error().cause;
  EXPECT_EQ(*m, latest_schema_version() - 1);
  EXPECT_EQ(schema_version(*raw()), latest_schema_version());
  auto open_tickets = m_store->read([](Tx& tx) -> Result<std::size_t> {
    TicketQuery q(TicketScope::everything());
    q.categories = {StatusCategory::new_, StatusCategory::open, StatusCategory::waiting};
    return tx.tickets().list(q).items.size();
  });
  ASSERT_TRUE(open_tickets);
  EXPECT_EQ(*open_tickets, 4u) << "categories were filled from the old statuses";
  auto closed = m_store->read([](Tx& tx) -> Result<std::size_t> {
    TicketQuery q(TicketScope::everything());
    q.categories = {StatusCategory::closed};
    return tx.tickets().list(q).items.size();
  });
  ASSERT_TRUE(closed);
  EXPECT_EQ(*closed, 2u);
  auto events = m_store->read(
      [](Tx& tx) -> Result<std::vector<Event>> { return tx.events().list(1, Internal::include); });
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].actor_kind, ActorKind::user);
  EXPECT_EQ((*events)[0].actor_name, "Old User");
  EXPECT_EQ((*events)[0].created_at, at(30));
  // PostgreSQL's search index holds the old tickets' requester (migration
  // 14), which a requester's search reads, and their priority (15), which
  // a search listed most urgent first reads.
  if (GetParam() == Dialect::postgres) {
    std::int64_t keyed = -1;
    raw()->query("SELECT COUNT(*) FROM ticket_search WHERE requester_id = 1", {},
                 [&](const Row& r) { keyed = r.i64(0); });
    EXPECT_EQ(keyed, 7);
    std::int64_t by_priority = -1;
    raw()->query("SELECT COUNT(*) FROM ticket_search WHERE priority = 3", {},
                 [&](const Row& r) { by_priority = r.i64(0); });
    EXPECT_EQ(by_priority, 7);
  }
  // The new tables work on the upgraded database.
  auto job = m_store->write([](Tx& tx) -> Result<std::optional<Id>> {
    JobSpec s;
    s.kind = "test";
    s.due_at = at(1);
    return tx.jobs().enqueue(s, at(1));
  });
  ASSERT_TRUE(job && *job);
}

TEST_P(Upgrade, NodesStartingTogetherMigrateOneAfterTheOther) {
  constexpr int kNodes = 4;
  std::vector<std::future<Result<int>>> nodes;
  for (int i = 0; i < kNodes; ++i)
    nodes.push_back(std::async(std::launch::async, [&] {
      auto s = open(options());
      return s->migrate(at(1));
    }));
  int applied = 0;
  for (auto& n : nodes) {
    auto r = n.get();
    ASSERT_TRUE(r) << r.error().detail << " " << r.error().cause;
    applied += *r;
  }
  EXPECT_EQ(applied, latest_schema_version()) << "each migration ran exactly once";
  EXPECT_EQ(schema_version(*raw()), latest_schema_version());
}

// SQLite's planner statistics. FTS5 reaches the tables behind its index by
// key, and a count taken while one was nearly empty (every new database has
// one) made each merge of the index delete pages by scanning all of it. No
// statistics are kept for those tables, and connections opened before a
// migration plan with what the migration gathered.
TEST_P(Upgrade, TheSearchIndexIsReachedByKeyWhateverItsSizeWasWhenCounted) {
  if (GetParam() != Dialect::sqlite) GTEST_SKIP() << "SQLite's planner statistics";
  const std::string merge = "DELETE FROM ticket_search_data WHERE id >= 10 AND id <= 20";
  {
    auto c = raw();
    migrate(*c, at(1));
    // What an earlier start left: the index counted while it held 2 rows.
    c->exec("DELETE FROM sqlite_stat1 WHERE tbl = 'ticket_search_data'");
    c->exec("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('ticket_search_data', NULL, '2')");
  }
  m_store = open(options());
  auto plan = [&](bool writer) {
    auto body = [&](Tx& tx) -> Result<std::string> { return tx.query_plan(merge); };
    auto p = writer ? m_store->write(body) : m_store->read(body);
    EXPECT_TRUE(p);
    return p ? *p : std::string();
  };
  // Opened before the migration, both kinds of connection hold the old count.
  ASSERT_NE(plan(true).find("SCAN"), std::string::npos) << plan(true);
  ASSERT_NE(plan(false).find("SCAN"), std::string::npos) << plan(false);
  ASSERT_TRUE(m_store->migrate(at(2)));
  EXPECT_NE(plan(true).find("INTEGER PRIMARY KEY"), std::string::npos) << plan(true);
  EXPECT_NE(plan(false).find("INTEGER PRIMARY KEY"), std::string::npos) << plan(false);
  int counted = 0;
  raw()->query("SELECT count(*) FROM sqlite_stat1 WHERE tbl LIKE '%\\_search\\_%' ESCAPE '\\'", {},
               [&](const Row& r) { counted = static_cast<int>(r.i64(0)); });
  EXPECT_EQ(counted, 0) << "no statistics for FTS5's own tables";
  // The other tables still have theirs.
  int others = 0;
  raw()->query("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'schema_migrations'", {},
               [&](const Row& r) { others = static_cast<int>(r.i64(0)); });
  EXPECT_EQ(others, 1);
}

SD_STORE_SUITE(Upgrade);

}  // namespace
}  // namespace sd::store
