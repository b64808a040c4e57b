#include "store/repo/sql.hpp"

namespace sd::store::sql {

std::string like_pattern(const std::string& text) {
  std::string p = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') p += '\\';
    p += c;
  }
  return p + "%";
}

namespace {
// Quoted for a JSON array and a PostgreSQL array literal alike: both escape
// '"' and '\' with a backslash. Control characters never reach here (text
// checks refuse them) and are dropped.
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}
}  // namespace

std::string text_array_literal(const std::vector<std::string>& values) {
  std::string list;
  for (const auto& v : values) list += (list.empty() ? "" : ",") + json_string(v);
  return "{" + list + "}";
}

// One value is bound as an equality, many as one list: two statement texts
// per column whatever the number of values. The equality matters: with it
// the planners walk an index in the order of the sort (SQLite sorts the
// rows of "col IN (SELECT value FROM json_each(...))" in a temporary
// b-tree even when the list holds one value).
std::string Binder::any_of(const std::string& col, const std::vector<std::int64_t>& values) {
  if (values.size() == 1) return col + " = " + next(values[0]);
  std::string list;
  for (auto v : values) list += (list.empty() ? "" : ",") + std::to_string(v);
  if (dialect == Dialect::postgres) return col + " = ANY(" + next("{" + list + "}") + "::bigint[])";
  return col + " IN (SELECT value FROM json_each(" + next("[" + list + "]") + "))";
}

std::string Binder::any_of(const std::string& col, const std::vector<std::string>& values) {
  if (values.size() == 1) return col + " = " + next(values[0]);
  // A PostgreSQL array literal quotes its items as JSON does: '{"a","b"}'
  // is '["a","b"]' with other brackets.
  std::string list = text_array_literal(values);
  if (dialect == Dialect::postgres) return col + " = ANY(" + next(list) + "::text[])";
  list.front() = '[';
  list.back() = ']';
  return col + " IN (SELECT value FROM json_each(" + next(list) + "))";
}

// The scope as a condition; empty when it contains everything.
std::string ticket_scope_sql(const TicketScope& s, Binder& b, const std::string& qualifier) {
  switch (s.kind) {
    case TicketScope::Kind::everything:
      return {};
    case TicketScope::Kind::own:
      return qualifier + "requester_id = " + b.next(s.requester_id);
    case TicketScope::Kind::own_and_organisation:
      return "(" + qualifier + "requester_id = " + b.next(s.requester_id) + " OR " + qualifier +
             "organisation_id = " + b.next(s.organisation_id.value_or(0)) + ")";
  }
  return "1 = 0";
}

}  // namespace sd::store::sql
