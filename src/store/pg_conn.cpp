#include "store/pg_conn.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>

#include "store/statement_cache.hpp"

namespace sd::store {
namespace {

class PgRow final : public Row {
 public:
  PgRow(PGresult* r, int row) : m_res(r), m_row(row) {}
  bool is_null(int col) const override { return PQgetisnull(m_res, m_row, col) != 0; }
  std::int64_t i64(int col) const override {
    const char* p = PQgetvalue(m_res, m_row, col);
    const char* end = p + std::strlen(p);
    std::int64_t v = 0;
    // Booleans arrive as t/f.
    if (end - p == 1 && (*p == 't' || *p == 'f')) return *p == 't';
    auto [q, ec] = std::from_chars(p, end, v);
    if (ec != std::errc{} || q != end)
      throw DbError(DbError::Kind::other, "column " + std::to_string(col) + " is not an integer");
    return v;
  }
  std::string text(int col) const override {
    return std::string(PQgetvalue(m_res, m_row, col),
                       static_cast<std::size_t>(PQgetlength(m_res, m_row, col)));
  }

 private:
  PGresult* m_res;
  int m_row;
};

struct ResultGuard {
  PGresult* r;
  ~ResultGuard() { PQclear(r); }
};

// Parameters as libpq takes them: text, NULL for a null.
struct Values {
  explicit Values(const Params& params) : owned(params.size()), values(params.size(), nullptr) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (auto* v = std::get_if<std::int64_t>(&params[i])) {
        owned[i] = std::to_string(*v);
        values[i] = owned[i].c_str();
      } else if (auto* s = std::get_if<std::string>(&params[i])) {
        values[i] = s->c_str();
      }
    }
  }
  std::vector<std::string> owned;
  std::vector<const char*> values;
};

class PgConn final : public Conn {
 public:
  explicit PgConn(PGconn* c)
      : m_conn(c), m_names(kStatementCacheSize, [this](std::string& name) {
          // A broken connection forgets its statements by itself.
          if (PQstatus(m_conn) != CONNECTION_OK) return;
          PQclear(PQexec(m_conn, ("DEALLOCATE " + name).c_str()));
        }) {}
  ~PgConn() override {
    PQfinish(m_conn);
    m_conn = nullptr;
  }
  Dialect dialect() const override { return Dialect::postgres; }
  std::size_t cached_statements() const override { return m_names.size(); }
  bool broken() const override { return PQstatus(m_conn) == CONNECTION_BAD; }

  void query(std::string_view sql, const Params& params,
             const std::function<void(const Row&)>& on_row) override {
    ResultGuard g{run(sql, params)};
    each_row(g.r, on_row);
  }

  void query_planned(std::string_view sql, const Params& params,
                     const std::function<void(const Row&)>& on_row) override {
    // The unnamed statement: parsed and planned with the values each time.
    const std::string text(sql);
    Values v(params);
    ResultGuard g{PQexecParams(m_conn, text.c_str(), static_cast<int>(params.size()), nullptr,
                               v.values.data(), nullptr, nullptr, 0)};
    check(g.r, "query");
    each_row(g.r, on_row);
  }

  std::int64_t exec(std::string_view sql, const Params& params) override {
    ResultGuard g{run(sql, params)};
    const char* n = PQcmdTuples(g.r);
    std::int64_t v = 0;
    std::from_chars(n, n + std::strlen(n), v);
    return v;
  }

  void exec_script(std::string_view sql) override {
    std::string text(sql);
    ResultGuard g{PQexec(m_conn, text.c_str())};
    check(g.r, "exec");
  }

 private:
  PGresult* run(std::string_view sql, const Params& params) {
    std::string* name = m_names.find(sql);
    if (!name) {
      std::string fresh = "s" + std::to_string(++m_next_name);
      std::string text(sql);
      ResultGuard g{PQprepare(m_conn, fresh.c_str(), text.c_str(), 0, nullptr)};
      check(g.r, "prepare");
      name = &m_names.insert(std::move(text), std::move(fresh));
    }
    Values v(params);
    PGresult* r = PQexecPrepared(m_conn, name->c_str(), static_cast<int>(params.size()),
                                 v.values.data(), nullptr, nullptr, 0);
    try {
      check(r, "query");
    } catch (...) {
      PQclear(r);
      throw;
    }
    return r;
  }

  static void each_row(PGresult* r, const std::function<void(const Row&)>& on_row) {
    if (!on_row) return;
    const int n = PQntuples(r);
    for (int i = 0; i < n; ++i) on_row(PgRow(r, i));
  }

  void check(PGresult* r, std::string_view what) {
    auto st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    DbError::Kind kind = DbError::Kind::other;
    if (state && std::strcmp(state, "23505") == 0) kind = DbError::Kind::unique_violation;
    if (state && std::strcmp(state, "23503") == 0) kind = DbError::Kind::foreign_key_violation;
    if (state && (std::strcmp(state, "40001") == 0 || std::strcmp(state, "40P01") == 0))
      kind = DbError::Kind::retryable;
    if (PQstatus(m_conn) == CONNECTION_BAD) kind = DbError::Kind::busy;
    throw DbError(kind, std::string(what) + ": " + PQerrorMessage(m_conn));
  }

  PGconn* m_conn;
  StatementCache<std::string> m_names;  // SQL -> prepared statement name
  std::uint64_t m_next_name = 0;
};

}  // namespace

std::unique_ptr<Conn> open_postgres(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    throw DbError(DbError::Kind::other, "cannot connect to PostgreSQL: " + msg);
  }
  auto conn = std::make_unique<PgConn>(c);
  conn->exec_script("SET client_min_messages=warning; SET TIME ZONE 'UTC'");
  return conn;
}

}  // namespace sd::store
