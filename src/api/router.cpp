#include "api/router.hpp"

#include <boost/url/parse.hpp>
#include <charconv>
#include <exception>

#include "api/problem.hpp"
#include "domain/permissions.hpp"
#include "domain/text.hpp"

namespace sd::api {

std::optional<std::string> Ctx::param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return std::nullopt;
}

const std::vector<Route>& routes() {
  static const std::vector<Route> table = [] {
    std::vector<Route> r;
    add_auth_routes(r);
    add_ticket_routes(r);
    add_directory_routes(r);
    add_calendar_routes(r);
    add_sla_policy_routes(r);
    add_escalation_routes(r);
    add_contract_routes(r);
    add_mail_routes(r);
    add_upload_routes(r);
    add_report_routes(r);
    add_article_routes(r);
    add_search_routes(r);
    add_settings_routes(r);
    add_admin_routes(r);
    add_ops_routes(r);
    return r;
  }();
  return table;
}

std::string_view policy_name(Policy p) {
  switch (p) {
    case Policy::public_:
      return "public";
    case Policy::signed_in:
      return "signed_in";
    case Policy::staff:
      return "staff";
    case Policy::supervisor:
      return "supervisor";
    case Policy::admin:
      return "admin";
  }
  return "admin";
}

std::string_view method_name(Method m) {
  switch (m) {
    case Method::get:
      return "GET";
    case Method::head:
      return "HEAD";
    case Method::post:
      return "POST";
    case Method::put:
      return "PUT";
    case Method::patch:
      return "PATCH";
    case Method::del:
      return "DELETE";
    case Method::options:
      return "OPTIONS";
    case Method::other:
      break;
  }
  return "OTHER";
}

namespace {

// Matches a path against a pattern; {id} takes one positive integer segment.
bool match(std::string_view pattern, std::string_view path, Id& id) {
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty()) return false;
    if (pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    auto pe = pattern.find('/');
    auto se = path.find('/');
    std::string_view pseg = pattern.substr(0, pe), seg = path.substr(0, se);
    if (pseg == "{id}") {
      Id v = 0;
      auto [p, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), v);
      if (ec != std::errc{} || p != seg.data() + seg.size() || v <= 0) return false;
      id = v;
    } else if (pseg != seg) {
      return false;
    }
    pattern.remove_prefix(pseg.size());
    path.remove_prefix(seg.size());
  }
  return true;
}

// Same shape of path, whatever the id: for telling 405 from 404.
bool same_shape(std::string_view pattern, std::string_view path) {
  Id ignored;
  return match(pattern, path, ignored);
}

Status allowed(Policy p, const Actor& a) {
  switch (p) {
    case Policy::public_:
    case Policy::signed_in:
      return {};
    case Policy::staff:
      if (is_staff(a)) return {};
      return make_error(ErrorCode::forbidden, "this is for staff");
    case Policy::supervisor:
      if (at_least(a.role, Role::supervisor)) return {};
      return make_error(ErrorCode::forbidden, "this is for supervisors and admins");
    case Policy::admin:
      if (a.role == Role::admin) return {};
      return make_error(ErrorCode::forbidden, "this is for admins");
  }
  return make_error(ErrorCode::forbidden, "not allowed");
}

Result<Response> dispatch(Services& s, const Request& req) {
  auto url = boost::urls::parse_origin_form(req.target);
  if (!url) return make_error(ErrorCode::invalid_input, "the request target is not a valid URL");
  std::string path = url->path();  // percent-decoded
  if (!is_valid_utf8(path)) return make_error(ErrorCode::not_found, "no such resource");
  if (path.size() > 1 && path.back() == '/') path.pop_back();

  const Route* found = nullptr;
  bool path_known = false;
  Id id = 0;
  const Method m = req.method == Method::head ? Method::get : req.method;
  for (const auto& r : routes()) {
    if (!same_shape(r.pattern, path)) continue;
    path_known = true;
    if (r.method == m && match(r.pattern, path, id)) {
      found = &r;
      break;
    }
  }
  if (!found) {
    if (path_known) return make_error(ErrorCode::method_not_allowed, "method not allowed here");
    return make_error(ErrorCode::not_found, "no such resource");
  }

  Ctx ctx{s, req, nullptr, id, {}};
  for (auto p : url->params()) {
    if (!is_valid_utf8(p.key) || !is_valid_utf8(p.value))
      return make_error(ErrorCode::invalid_input, "the query string is not valid UTF-8");
    ctx.query.emplace_back(p.key, p.value);
  }
  std::optional<Caller> caller;
  if (found->policy != Policy::public_) {
    auto c = authenticate(s, req);
    if (!c) return c.error();
    caller = std::move(*c);
    ctx.caller = &*caller;
    if (auto st = allowed(found->policy, caller->actor); !st) return st.error();
  }
  return found->handler(ctx);
}

}  // namespace

Response handle(Services& s, const Request& req) {
  try {
    auto r = dispatch(s, req);
    Response out = r ? std::move(*r) : problem(r.error());
    // What the API says is about one moment and often one user: no cache
    // keeps it. (A HEAD gets the GET's headers; http/ leaves out the body.)
    bool cache_set = false;
    for (const auto& [k, v] : out.headers)
      cache_set = cache_set || to_lower_ascii(k) == "cache-control";
    if (!cache_set) out.headers.emplace_back("Cache-Control", "no-store");
    return out;
  } catch (const std::exception& e) {
    Response out = problem(internal_error(std::string("exception in a handler: ") + e.what()));
    out.headers.emplace_back("Cache-Control", "no-store");
    return out;
  }
}

}  // namespace sd::api
