// Small helpers the repositories share: binding optional values, instants
// and lists, reading enum columns strictly, and building WHERE clauses whose
// text does not depend on the input's size.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/enums.hpp"
#include "domain/scope.hpp"
#include "domain/time.hpp"
#include "store/db.hpp"

namespace sd::store::sql {

inline Value opt(const std::optional<std::int64_t>& v) { return v ? Value{*v} : Value{nullptr}; }
inline Value at(Instant t) { return Value{to_unix_ms(t)}; }
inline Value opt_at(const std::optional<Instant>& t) {
  return t ? Value{to_unix_ms(*t)} : Value{nullptr};
}
inline Value flag(bool b) { return Value{std::int64_t{b ? 1 : 0}}; }
template <class E>
Value name(E e) {
  return std::string(to_string(e));
}

inline std::optional<std::int64_t> opt_i64(const Row& r, int c) {
  return r.is_null(c) ? std::nullopt : std::optional<std::int64_t>(r.i64(c));
}
inline Instant instant(const Row& r, int c) { return from_unix_ms(r.i64(c)); }
inline std::optional<Instant> opt_instant(const Row& r, int c) {
  return r.is_null(c) ? std::nullopt : std::optional<Instant>(from_unix_ms(r.i64(c)));
}

// An enum column; a text this build does not know is an error, never the
// first value of the enum.
template <class E>
E enum_col(const Row& r, int c, const char* column) {
  const std::string text = r.text(c);
  auto e = parse_enum<E>(text);
  if (!e)
    throw DbError(DbError::Kind::other,
                  std::string("unknown value '") + text.substr(0, 40) + "' in column " + column);
  return *e;
}

// Escapes LIKE wildcards so user text matches literally.
std::string like_pattern(const std::string& text);
// A PostgreSQL text[] literal of the values ('{"a","b"}'), to bind as one
// parameter.
std::string text_array_literal(const std::vector<std::string>& values);

// Builds "$n" for the next parameter and binds `v` to it.
struct Binder {
  explicit Binder(Dialect d) : dialect(d) {}
  Dialect dialect;
  Params params;
  std::string next(Value v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  }
  // "col IN <the list>", the whole list bound as one parameter:
  // col = ANY($n::bigint[]) on PostgreSQL, col IN (SELECT value FROM
  // json_each($n)) on SQLite; a list of one is col = $n.
  std::string any_of(const std::string& col, const std::vector<std::int64_t>& values);
  std::string any_of(const std::string& col, const std::vector<std::string>& values);
};

// The ticket scope as a condition on the columns requester_id and
// organisation_id (of tickets, or of PostgreSQL's ticket_search), each
// name after `qualifier` ("t." for an alias); empty when it contains
// everything.
std::string ticket_scope_sql(const TicketScope& s, Binder& b, const std::string& qualifier = "");

// A WHERE clause built condition by condition.
struct Where {
  std::string text;
  void add(const std::string& cond) { text += (text.empty() ? " WHERE " : " AND ") + cond; }
};

}  // namespace sd::store::sql
