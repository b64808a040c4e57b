#include "store/sqlite_conn.hpp"

#include <sqlite3.h>

#include <charconv>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "store/statement_cache.hpp"

namespace sd::store {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  DbError::Kind kind = DbError::Kind::other;
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
    kind = DbError::Kind::unique_violation;
  else if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
    kind = DbError::Kind::foreign_key_violation;
  else if ((rc & 0xFF) == SQLITE_BUSY || (rc & 0xFF) == SQLITE_LOCKED)
    kind = DbError::Kind::busy;
  throw DbError(kind, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

class SqliteRow final : public Row {
 public:
  explicit SqliteRow(sqlite3_stmt* s) : m_stmt(s) {}
  bool is_null(int col) const override { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
  std::int64_t i64(int col) const override { return sqlite3_column_int64(m_stmt, col); }
  std::string text(int col) const override {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col)))
             : std::string();
  }

 private:
  sqlite3_stmt* m_stmt;
};

struct Prepared {
  sqlite3_stmt* stmt = nullptr;
  // slot[k] is the SQLite bind index of placeholder $(k+1), 0 if unused.
  std::vector<int> slot;
};

class SqliteConn final : public Conn {
 public:
  explicit SqliteConn(sqlite3* db)
      : m_db(db), m_cache(kStatementCacheSize, [](Prepared& p) { sqlite3_finalize(p.stmt); }) {}
  ~SqliteConn() override {
    m_cache.clear();
    sqlite3_close_v2(m_db);
  }
  Dialect dialect() const override { return Dialect::sqlite; }
  std::size_t cached_statements() const override { return m_cache.size(); }

  void query(std::string_view sql, const Params& params,
             const std::function<void(const Row&)>& on_row) override {
    sqlite3_stmt* s = bind(sql, params);
    // Reset however the loop ends (a callback may throw), so the cached
    // statement is ready for its next use.
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() { sqlite3_reset(s); }
    } reset{s};
    SqliteRow row(s);
    for (;;) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        if (on_row) on_row(row);
        continue;
      }
      if (rc != SQLITE_DONE) fail(m_db, rc, "step");
      break;
    }
  }

  std::int64_t exec(std::string_view sql, const Params& params) override {
    query(sql, params, nullptr);
    return sqlite3_changes64(m_db);
  }

  void exec_script(std::string_view sql) override {
    std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : "error";
      sqlite3_free(err);
      fail(m_db, rc, msg);
    }
  }

 private:
  sqlite3_stmt* bind(std::string_view sql, const Params& params) {
    Prepared* found = m_cache.find(sql);
    if (!found) {
      Prepared p;
      int rc = sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &p.stmt, nullptr);
      if (rc != SQLITE_OK) fail(m_db, rc, "prepare");
      int n = sqlite3_bind_parameter_count(p.stmt);
      for (int i = 1; i <= n; ++i) {
        const char* name = sqlite3_bind_parameter_name(p.stmt, i);
        int k = 0;
        if (!name || name[0] != '$' ||
            std::from_chars(name + 1, name + std::char_traits<char>::length(name), k).ec !=
                std::errc{} ||
            k < 1) {
          sqlite3_finalize(p.stmt);
          throw DbError(DbError::Kind::other, "placeholders must be $1..$n");
        }
        if (p.slot.size() < static_cast<std::size_t>(k)) p.slot.resize(k, 0);
        p.slot[k - 1] = i;
      }
      found = &m_cache.insert(std::string(sql), std::move(p));
    }
    Prepared& p = *found;
    if (params.size() != p.slot.size())
      throw DbError(DbError::Kind::other, "wrong number of parameters for: " + std::string(sql));
    sqlite3_clear_bindings(p.stmt);
    for (std::size_t k = 0; k < params.size(); ++k) {
      int idx = p.slot[k];
      if (idx == 0) continue;
      int rc = SQLITE_OK;
      if (auto* v = std::get_if<std::int64_t>(&params[k]))
        rc = sqlite3_bind_int64(p.stmt, idx, *v);
      else if (auto* s = std::get_if<std::string>(&params[k]))
        rc = sqlite3_bind_text(p.stmt, idx, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
      else
        rc = sqlite3_bind_null(p.stmt, idx);
      if (rc != SQLITE_OK) fail(m_db, rc, "bind");
    }
    return p.stmt;
  }

  sqlite3* m_db;
  StatementCache<Prepared> m_cache;
};

}  // namespace

std::unique_ptr<Conn> open_sqlite(const std::string& path, SqliteMode mode,
                                  const SqliteTuning& tuning) {
  // No memory statistics: they take a process-wide mutex at every
  // allocation, and nothing reads them. Must come before SQLite starts.
  static const int configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return sqlite3_initialize();
  }();
  if (configured != SQLITE_OK) throw DbError(DbError::Kind::other, "SQLite failed to initialise");
  sqlite3* db = nullptr;
  // Readers open read-write too (WAL needs to map the -shm file) and are
  // then fenced with query_only.
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    throw DbError(DbError::Kind::other, "cannot open " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 10000);
  auto conn = std::make_unique<SqliteConn>(db);
  // WAL lets readers run beside the one writer; synchronous=FULL makes every
  // commit durable across a power cut, which a 201 promises.
  if (mode == SqliteMode::read_write) {
    // Turning a new file to WAL needs it to itself for a moment: when other
    // processes or nodes open it at the same time, SQLite answers busy
    // without waiting, so wait here (as long as the busy timeout).
    for (int attempt = 0;; ++attempt) {
      try {
        conn->exec_script("PRAGMA journal_mode=WAL;");
        break;
      } catch (const DbError& e) {
        if (e.kind() != DbError::Kind::busy || attempt >= 400) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
      }
    }
  } else
    conn->exec_script("PRAGMA query_only=1;");
  conn->exec_script(
      "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
      "PRAGMA mmap_size=" +
      std::to_string(tuning.mmap_bytes) + "; PRAGMA cache_size=-" +
      std::to_string(tuning.cache_kib) + ";");
  return conn;
}

}  // namespace sd::store
