// JSON in and out: parsing request bodies into checked fields (collecting
// every field error at once) and writing the desk's records as JSON.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/message.hpp"
#include "domain/enums.hpp"
#include "domain/error.hpp"
#include "domain/job.hpp"
#include "domain/model.hpp"
#include "domain/sla_clock.hpp"
#include "domain/text.hpp"

namespace sd::api {

// Parses a JSON object body; 415 unless the content type is JSON, 400 when
// the body is not well-formed UTF-8 JSON or not an object.
Result<boost::json::object> parse_object_body(const Request& req);

// Reads typed fields out of a JSON object, recording one FieldError per
// problem; call finish() to get the combined error.
class FieldReader {
 public:
  FieldReader(const boost::json::object& o, std::initializer_list<std::string_view> allowed);

  bool has(std::string_view key) const { return m_o.contains(key); }
  std::optional<std::string> text(std::string_view key, std::size_t max, TextKind kind,
                                  bool required);
  std::optional<std::int64_t> integer(std::string_view key, bool required);
  // An integer in [min, max], checked on its full 64-bit value before it is
  // narrowed (4294967297 is out of range, not 1).
  std::optional<int> integer_in(std::string_view key, int min, int max, bool required,
                                const std::string& message);
  // Present and null -> optional holding nullopt; absent -> nullopt.
  std::optional<std::optional<Id>> nullable_id(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::vector<Id>> id_list(std::string_view key);

  template <class E>
  std::optional<E> enumeration(std::string_view key, bool required) {
    auto s = raw_string(key, required);
    if (!s) return std::nullopt;
    auto e = parse_enum<E>(*s);
    if (!e) add(key, "has an unknown value; expected one of: " + choices<E>(), "unknown_value");
    return e;
  }

  void add(std::string_view key, std::string message, std::string code = "invalid") {
    m_errors.push_back({std::string(key), std::move(message), std::move(code)});
  }
  Status finish() const;

 private:
  std::optional<std::string> raw_string(std::string_view key, bool required);
  template <class E>
  static std::string choices() {
    std::string s;
    for (auto n : EnumNames<E>::names) s += (s.empty() ? "" : ", ") + std::string(n);
    return s;
  }

  const boost::json::object& m_o;
  std::vector<FieldError> m_errors;
};

template <>
inline std::string FieldReader::choices<Priority>() {
  return "critical, high, medium, low";
}

Response json_response(int status, const boost::json::value& v);
Response no_content();
// 201 with the new record and its Location.
Response created(const boost::json::value& body, std::string location);
// A validation error about one field, found after reading the input (e.g. a
// referenced record that does not exist).
Error field_error(std::string field, std::string message, std::string code = "invalid");

inline boost::json::value opt_json(const std::optional<std::int64_t>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}
inline boost::json::value opt_time(const std::optional<Instant>& v) {
  return v ? boost::json::value(to_iso8601(*v)) : boost::json::value(nullptr);
}

enum class Audience { staff, requester };

boost::json::object to_json(const Ticket& t, Audience a);
// A ticket's "sla" (staff only) at `now`; null when no policy applies.
boost::json::value sla_json(const TicketSla* s, const Ticket& t, Instant now);
boost::json::object to_json(const Event& e);
boost::json::object to_json(const User& u);
boost::json::object to_json(const Organisation& o);
boost::json::object to_json(const Group& g, const std::vector<Id>& members);
boost::json::object to_json(const Category& c);
boost::json::object to_json(const EscalationContact& c);
boost::json::object to_json(const Job& j);

// Enum values as their names.
template <class E>
boost::json::array names(const std::vector<E>& v) {
  boost::json::array a;
  for (E e : v) a.push_back(boost::json::string(to_string(e)));
  return a;
}

// A list of enum names; null or absent = nothing given.
template <class E>
std::optional<std::vector<E>> enum_list(const boost::json::value& v, const std::string& field,
                                        FieldReader& in) {
  if (!v.is_array()) {
    in.add(field, "must be a list of names", "invalid_type");
    return std::nullopt;
  }
  std::vector<E> out;
  for (const auto& item : v.as_array()) {
    std::optional<E> e;
    if (item.is_string()) e = parse_enum<E>(std::string_view(item.as_string()));
    if (!e) {
      in.add(field, "has an unknown value", "unknown_value");
      return std::nullopt;
    }
    out.push_back(*e);
  }
  return out;
}

}  // namespace sd::api
