// /api/v1/settings: the priority matrix (impact x criticality -> priority).
#include "api/settings.hpp"

#include "api/json_io.hpp"
#include "api/router.hpp"
#include "domain/permissions.hpp"

#include <boost/json.hpp>

namespace sd::api {

namespace json = boost::json;

namespace {
constexpr const char* kMatrixKey = "priority_matrix";

// Reads a matrix from JSON; every one of the nine cells must be present.
Result<PriorityMatrix> matrix_from_json(const json::object& root) {
  Error err = make_error(ErrorCode::invalid_input, "the matrix is not valid");
  auto it = root.find("matrix");
  if (it == root.end() || !it->value().is_object()) {
    err.fields.push_back({"matrix", "is required and must be an object"});
    return err;
  }
  const auto& m = it->value().get_object();
  PriorityMatrix out;
  for (std::size_t i = 0; i < enum_count<Impact>(); ++i) {
    const auto impact = static_cast<Impact>(i);
    const std::string row_name(to_string(impact));
    auto row = m.find(row_name);
    if (row == m.end() || !row->value().is_object()) {
      err.fields.push_back({"matrix." + row_name, "is required and must be an object"});
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
        err.fields.push_back({"matrix." + cell_name, "must be one of critical, high, medium, low"});
        continue;
      }
      out.set(impact, crit, *p);
    }
    if (row->value().get_object().size() != enum_count<Criticality>())
      err.fields.push_back({"matrix." + row_name, "has unknown criticality names"});
  }
  if (m.size() != enum_count<Impact>()) err.fields.push_back({"matrix", "has unknown impact names"});
  if (!err.fields.empty()) return err;
  return out;
}

Result<Response> get_matrix(Ctx& ctx) {
  auto m = ctx.s.store.read([](store::Tx& tx) -> Result<PriorityMatrix> {
    return load_priority_matrix(tx);
  });
  if (!m) return m.error();
  return json_response(200, json::object{{"matrix", matrix_to_json(*m)}});
}

Result<Response> put_matrix(Ctx& ctx) {
  if (!can_manage_settings(ctx.actor()))
    return make_error(ErrorCode::forbidden, "only admins change the priority matrix");
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  auto m = matrix_from_json(*body);
  if (!m) return m.error();
  const std::string text = json::serialize(json::object{{"matrix", matrix_to_json(*m)}});
  auto saved = ctx.s.store.write([&](store::Tx& tx) -> Result<bool> {
    tx.put_setting(kMatrixKey, text);
    return true;
  });
  if (!saved) return saved.error();
  return json_response(200, json::object{{"matrix", matrix_to_json(*m)}});
}

}  // namespace

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

PriorityMatrix load_priority_matrix(store::Tx& tx) {
  auto text = tx.get_setting(kMatrixKey);
  if (!text) return PriorityMatrix{};
  boost::system::error_code ec;
  auto v = json::parse(*text, ec);
  if (ec || !v.is_object()) return PriorityMatrix{};
  auto m = matrix_from_json(v.as_object());
  return m ? *m : PriorityMatrix{};
}

void add_settings_routes(std::vector<Route>& out) {
  out.push_back({Method::get, "/api/v1/settings/priority-matrix", get_matrix, Access::authenticated});
  out.push_back({Method::put, "/api/v1/settings/priority-matrix", put_matrix, Access::authenticated});
}

}  // namespace sd::api
