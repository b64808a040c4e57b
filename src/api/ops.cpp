// /healthz, /readyz and the OpenAPI document.
#include <boost/json.hpp>

#include "api/json_io.hpp"
#include "api/router.hpp"

namespace sd::api {

// The OpenAPI document, compiled in from src/api/openapi.json.
extern const char* const kOpenApiJson;

namespace {

Result<Response> healthz(Ctx&) { return json_response(200, boost::json::object{{"status", "ok"}}); }

Result<Response> readyz(Ctx& ctx) {
  if (auto s = ctx.s.store.ping(); !s)
    return make_error(ErrorCode::unavailable, "the store does not answer");
  return json_response(200, boost::json::object{{"status", "ready"}});
}

Result<Response> openapi(Ctx&) {
  Response r;
  r.body = kOpenApiJson;
  return r;
}

// A plain GET of the live channel: it only speaks WebSocket (http/ upgrades
// it before the router sees it).
Result<Response> live_without_upgrade(Ctx&) {
  return make_error(ErrorCode::upgrade_required, "connect with a WebSocket upgrade");
}

}  // namespace

void add_ops_routes(std::vector<Route>& out) {
  out.push_back({Method::get, "/api/v1/live", live_without_upgrade, Policy::signed_in});
  out.push_back({Method::get, "/healthz", healthz, Policy::public_});
  out.push_back({Method::get, "/readyz", readyz, Policy::public_});
  out.push_back({Method::get, "/api/v1/openapi.json", openapi, Policy::public_});
}

}  // namespace sd::api
