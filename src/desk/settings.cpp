#include "desk/settings.hpp"

#include <boost/json.hpp>

#include "auth/crypto.hpp"
#include "domain/permissions.hpp"
#include "store/repo/settings.hpp"

namespace sd::desk {

namespace json = boost::json;

namespace {
constexpr const char* kMatrixKey = "priority_matrix";
constexpr const char* kAutoCloseKey = "auto_close";

std::optional<json::object> stored_object(store::Tx& tx, const char* key) {
  auto text = tx.settings().get(key);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.as_object();
}

Error refused(const char* what) { return make_error(ErrorCode::forbidden, what); }
}  // namespace

std::string server_secret(store::Tx& tx, const std::string& name) {
  // Read first: once made, a secret is only read (no write on every use).
  const std::string key = "secret." + name;
  if (auto stored = tx.settings().get(key)) return *stored;
  return tx.settings().put_if_absent(key, auth::random_key_hex());
}

json::object matrix_to_json(const PriorityMatrix& m) {
  json::object out;
  for (std::size_t i = 0; i < enum_count<Impact>(); ++i) {
    json::object row;
    for (std::size_t j = 0; j < enum_count<Criticality>(); ++j)
      row[to_string(static_cast<Criticality>(j))] =
          to_string(m.at(static_cast<Impact>(i), static_cast<Criticality>(j)));
    out[to_string(static_cast<Impact>(i))] = std::move(row);
  }
  return out;
}

Result<PriorityMatrix> matrix_from_json(const json::object& m) {
  Error err = make_error(ErrorCode::invalid_input, "the matrix is not valid");
  PriorityMatrix out;
  for (std::size_t i = 0; i < enum_count<Impact>(); ++i) {
    const auto impact = static_cast<Impact>(i);
    const std::string row_name(to_string(impact));
    auto row = m.find(row_name);
    if (row == m.end() || !row->value().is_object()) {
      err.fields.push_back({"matrix." + row_name, "is required and must be an object", "required"});
      continue;
    }
    for (std::size_t j = 0; j < enum_count<Criticality>(); ++j) {
      const auto crit = static_cast<Criticality>(j);
      const std::string cell_name = row_name + "." + std::string(to_string(crit));
      auto cell = row->value().get_object().find(to_string(crit));
      std::optional<Priority> p;
      if (cell != row->value().get_object().end() && cell->value().is_string())
        p = parse_enum<Priority>(cell->value().get_string());
      if (!p) {
        err.fields.push_back(
            {"matrix." + cell_name, "must be one of critical, high, medium, low", "unknown_value"});
        continue;
      }
      out.set(impact, crit, *p);
    }
    if (row->value().get_object().size() != enum_count<Criticality>())
      err.fields.push_back(
          {"matrix." + row_name, "has unknown criticality names", "unknown_field"});
  }
  if (m.size() != enum_count<Impact>())
    err.fields.push_back({"matrix", "has unknown impact names", "unknown_field"});
  if (!err.fields.empty()) return err;
  return out;
}

PriorityMatrix priority_matrix(store::Tx& tx) {
  auto o = stored_object(tx, kMatrixKey);
  if (!o) return PriorityMatrix{};
  auto it = o->find("matrix");
  if (it == o->end() || !it->value().is_object()) return PriorityMatrix{};
  auto m = matrix_from_json(it->value().as_object());
  return m ? *m : PriorityMatrix{};
}

Result<Outcome<PriorityMatrix>> set_priority_matrix(store::Tx& tx, const Actor& a,
                                                    const PriorityMatrix& m, Instant) {
  if (!can_manage_settings(a)) return refused("only admins change the priority matrix");
  tx.settings().put(kMatrixKey, json::serialize(json::object{{"matrix", matrix_to_json(m)}}));
  Effects fx(tx);
  return fx.done(m);
}

json::object auto_close_to_json(const AutoClosePolicy& p) {
  return {{"enabled", p.enabled},
          {"after_hours", std::chrono::duration_cast<std::chrono::hours>(p.after).count()}};
}

Result<AutoClosePolicy> auto_close_from_json(const json::object& o) {
  Error err = make_error(ErrorCode::invalid_input, "the auto-close policy is not valid");
  AutoClosePolicy p;
  for (const auto& [k, v] : o)
    if (k != "enabled" && k != "after_hours")
      err.fields.push_back({std::string(k), "is not a field of this resource", "unknown_field"});
  auto enabled = o.find("enabled");
  if (enabled == o.end() || enabled->value().is_null())
    err.fields.push_back({"enabled", "is required", "required"});
  else if (!enabled->value().is_bool())
    err.fields.push_back({"enabled", "must be true or false", "invalid_type"});
  else
    p.enabled = enabled->value().as_bool();
  auto hours = o.find("after_hours");
  if (hours == o.end() || hours->value().is_null())
    err.fields.push_back({"after_hours", "is required", "required"});
  else if (!hours->value().is_int64())
    err.fields.push_back({"after_hours", "must be a whole number", "invalid_type"});
  else if (hours->value().as_int64() < 1 || hours->value().as_int64() > kMaxAutoCloseHours)
    err.fields.push_back({"after_hours",
                          "must be between 1 and " + std::to_string(kMaxAutoCloseHours),
                          "out_of_range"});
  else
    p.after = std::chrono::hours(hours->value().as_int64());
  if (!err.fields.empty()) return err;
  return p;
}

RoutingPolicy routing_policy(store::Tx& tx) {
  auto o = stored_object(tx, "routing");
  RoutingPolicy p;
  if (o)
    if (auto v = o->if_contains("group_by_level"); v && v->is_bool())
      p.group_by_level = v->as_bool();
  return p;
}

Result<Outcome<RoutingPolicy>> set_routing_policy(store::Tx& tx, const Actor& a,
                                                  const RoutingPolicy& p, Instant) {
  if (!can_manage_settings(a)) return refused("only admins change routing");
  tx.settings().put("routing", json::serialize(json::object{{"group_by_level", p.group_by_level}}));
  Effects fx(tx);
  return fx.done(p);
}

AutoClosePolicy auto_close_policy(store::Tx& tx) {
  auto o = stored_object(tx, kAutoCloseKey);
  if (!o) return AutoClosePolicy{};
  auto p = auto_close_from_json(*o);
  return p ? *p : AutoClosePolicy{};
}

Result<Outcome<AutoClosePolicy>> set_auto_close_policy(store::Tx& tx, const Actor& a,
                                                       const AutoClosePolicy& p, Instant) {
  if (!can_manage_settings(a)) return refused("only admins change the auto-close policy");
  tx.settings().put(kAutoCloseKey, json::serialize(auto_close_to_json(p)));
  Effects fx(tx);
  return fx.done(p);
}

}  // namespace sd::desk
