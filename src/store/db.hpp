// A database connection behind one small interface, so that the repositories
// (store/repo/) are written once for SQLite and PostgreSQL. SQL uses $1, $2
// ... placeholders on both back ends; values are always bound, never spliced.
// A list of values is bound as one parameter (see repo/sql.hpp), so the text
// of a statement does not depend on the input.
//
// A Conn is used by one thread at a time. Driver failures throw DbError;
// it never escapes store/: Store::read/write turn it into an Error.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sd::store {

enum class Dialect { sqlite, postgres };

using Value = std::variant<std::nullptr_t, std::int64_t, std::string>;
using Params = std::vector<Value>;

class DbError : public std::runtime_error {
 public:
  enum class Kind {
    unique_violation,
    foreign_key_violation,
    busy,       // the database is locked or unreachable for now
    retryable,  // a serialization failure or deadlock: run the transaction again
    other,
  };
  DbError(Kind kind, const std::string& what) : std::runtime_error(what), m_kind(kind) {}
  Kind kind() const { return m_kind; }

 private:
  Kind m_kind;
};

// One row of a result, valid only inside the callback that receives it.
class Row {
 public:
  virtual ~Row() = default;
  virtual bool is_null(int col) const = 0;
  virtual std::int64_t i64(int col) const = 0;
  virtual std::string text(int col) const = 0;
};

class Conn {
 public:
  virtual ~Conn() = default;
  virtual Dialect dialect() const = 0;
  // Runs one statement; calls on_row for each row it returns.
  virtual void query(std::string_view sql, const Params& params,
                     const std::function<void(const Row&)>& on_row) = 0;
  // As query, planned with its values at every run: for a statement whose
  // best plan hangs on them (a text search, for a word in every ticket or in
  // none). PostgreSQL would otherwise plan a prepared statement once for any
  // values after five runs, as if each word matched 0.5% of the rows (a
  // word in every ticket then took 800 ms a page at a million); SQLite plans
  // for no values, so it is query there.
  virtual void query_planned(std::string_view sql, const Params& params,
                             const std::function<void(const Row&)>& on_row) {
    query(sql, params, on_row);
  }
  // Runs one statement and returns the number of rows it changed.
  virtual std::int64_t exec(std::string_view sql, const Params& params = {}) = 0;
  // Runs several statements without parameters (migrations, BEGIN/COMMIT).
  virtual void exec_script(std::string_view sql) = 0;
  // True when the connection is lost and must be replaced.
  virtual bool broken() const { return false; }
  // How many prepared statements the connection keeps (bounded).
  virtual std::size_t cached_statements() const = 0;
};

// Prepared statements a connection keeps, least recently used dropped first.
constexpr std::size_t kStatementCacheSize = 256;

}  // namespace sd::store
