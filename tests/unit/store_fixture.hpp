// The store conformance fixture: every test runs against SQLite (always) and
// PostgreSQL (when a throwaway cluster is given by SD_TEST_PG_DIR), each on a
// fresh database.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "store/migrations.hpp"
#include "store/pg_conn.hpp"
#include "store/repo/tickets.hpp"
#include "store/repo/users.hpp"
#include "store/sqlite_conn.hpp"
#include "store/store.hpp"

namespace sd::store::testing {

inline std::string pg_admin_url() {
  const char* dir = std::getenv("SD_TEST_PG_DIR");
  if (!dir) return {};
  std::ifstream f(std::string(dir) + "/url");
  std::string url;
  std::getline(f, url);
  return url;
}

inline Instant at(std::int64_t ms) { return from_unix_ms(ms); }

class StoreTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(std::random_device{}());
    m_name = "sd_store_" + std::to_string(rng() % 1000000000);
    if (GetParam() == Dialect::postgres) {
      if (!std::getenv("SD_TEST_PG_DIR")) GTEST_SKIP() << "no PostgreSQL cluster (SD_TEST_PG_DIR)";
      m_admin = pg_admin_url();
      ASSERT_FALSE(m_admin.empty()) << "SD_TEST_PG_DIR names no running cluster";
      open_postgres(m_admin)->exec_script("CREATE DATABASE " + m_name);
      m_db = m_name;
      m_url = m_admin.substr(0, m_admin.rfind('/') + 1) + m_name;
    } else {
      m_dir = std::filesystem::temp_directory_path() / m_name;
      std::filesystem::create_directories(m_dir);
      m_url = (m_dir / "test.db").string();
    }
    if (!migrate_on_setup()) return;
    m_store = open(options());
    auto m = m_store->migrate(at(1));
    ASSERT_TRUE(m) << m.error().detail << " " << m.error().cause;
    auto u = m_store->write([](Tx& tx) -> Result<Id> {
      User u;
      u.email = "req@example.com";
      u.name = "Requester";
      u.created_at = at(1);
      return tx.users().insert(u, std::nullopt);
    });
    ASSERT_TRUE(u);
    m_user = *u;
  }
  void TearDown() override {
    m_store.reset();
    if (!m_db.empty())
      open_postgres(m_admin)->exec_script("DROP DATABASE " + m_db + " WITH (FORCE)");
    if (!m_dir.empty()) std::filesystem::remove_all(m_dir);
  }

  // Tests of migrations themselves start from an empty database.
  virtual bool migrate_on_setup() const { return true; }

  StoreOptions options() const {
    StoreOptions o;
    o.url = m_url;
    return o;
  }
  std::unique_ptr<Store> open(const StoreOptions& o) const { return open_store(o); }

  // A connection of its own on the test's database, for what the store's
  // interface does not offer (corrupting a row, migrating step by step).
  std::unique_ptr<Conn> raw() const {
    return GetParam() == Dialect::postgres ? open_postgres(m_url)
                                           : open_sqlite(m_url, SqliteMode::read_write);
  }

  Ticket make_ticket(int n) const {
    Ticket t;
    t.type = static_cast<TicketType>(n % 5);
    t.impact = static_cast<Impact>(n % 3);
    t.criticality = static_cast<Criticality>((n / 3) % 3);
    t.priority = static_cast<Priority>(1 + n % 4);
    t.support_level = 1 + n % 3;
    t.requester_id = m_user;
    t.subject = "Subject " + std::to_string(n);
    t.description = "Descripción número " + std::to_string(n);
    t.created_at = at(1000 + (n % 7) * 10);  // duplicates on purpose
    t.updated_at = t.created_at;
    return t;
  }

  Id add_ticket(const Ticket& t) {
    auto id = m_store->write([&](Tx& tx) -> Result<Id> { return tx.tickets().insert(t); });
    EXPECT_TRUE(id);
    return id ? *id : 0;
  }

  Id add_user(const std::string& email, Role role, std::optional<Id> org = std::nullopt) {
    auto id = m_store->write([&](Tx& tx) -> Result<Id> {
      User u;
      u.email = email;
      u.name = email;
      u.role = role;
      u.organisation_id = org;
      u.created_at = at(1);
      return tx.users().insert(u, std::nullopt);
    });
    EXPECT_TRUE(id);
    return id ? *id : 0;
  }

  std::unique_ptr<Store> m_store;
  std::string m_admin, m_db, m_name, m_url;
  std::filesystem::path m_dir;
  Id m_user = 0;
};

inline std::string backend_name(const ::testing::TestParamInfo<Dialect>& info) {
  return info.param == Dialect::sqlite ? "sqlite" : "postgres";
}

#define SD_STORE_SUITE(Suite)                                                          \
  INSTANTIATE_TEST_SUITE_P(                                                            \
      Backends, Suite,                                                                 \
      ::testing::Values(::sd::store::Dialect::sqlite, ::sd::store::Dialect::postgres), \
      ::sd::store::testing::backend_name)

}  // namespace sd::store::testing
