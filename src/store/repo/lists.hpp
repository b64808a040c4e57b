// Lists kept in one text column as comma-separated names (or ids): the
// match lists of policies and rules.
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "domain/enums.hpp"
#include "domain/error.hpp"
#include "store/db.hpp"

namespace sd::store::sql {

// Lists are kept as comma-separated names (or ids).
template <class T, class F>
std::string joined(const std::vector<T>& v, F f) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ",") + f(x);
  return out;
}
template <class F>
void split(const std::string& s, F f) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto end = s.find(',', i);
    if (end == std::string::npos) end = s.size();
    if (end > i) f(std::string_view(s).substr(i, end - i));
    i = end + 1;
  }
}
template <class E>
std::vector<E> enums(const std::string& s) {
  std::vector<E> out;
  split(s, [&](std::string_view n) {
    auto e = parse_enum<E>(n);
    if (!e)
      throw DbError(DbError::Kind::other, "unknown value in a list column: " + std::string(n));
    out.push_back(*e);
  });
  return out;
}
inline std::vector<Id> ids(const std::string& s) {
  std::vector<Id> out;
  split(s, [&](std::string_view n) {
    Id v = 0;
    std::from_chars(n.data(), n.data() + n.size(), v);
    out.push_back(v);
  });
  return out;
}
inline constexpr auto name_of = [](auto e) { return std::string(to_string(e)); };

}  // namespace sd::store::sql
