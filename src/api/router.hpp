// The route table and the one entry point of the api layer: handle() takes
// a Request and returns a Response, whatever the input. Handlers are plain
// functions, one file per resource.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/context.hpp"
#include "api/message.hpp"

namespace sd::api {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// What a handler gets: the services, the request, the caller (null on
// public routes), the {id} of the path and the decoded query.
struct Ctx {
  Services& s;
  const Request& req;
  const Caller* caller;
  Id id = 0;
  QueryParams query;

  const Actor& actor() const { return caller->actor; }
  // The value of a query parameter, if given.
  std::optional<std::string> param(std::string_view name) const;
};

using Handler = Result<Response> (*)(Ctx&);

// Who may call a route, checked by the router before the handler runs
// (anonymous callers get 401, signed-in ones below the role 403). What a
// signed-in caller may do with one record (their own ticket, their own
// user) is for desk/ to say.
enum class Policy {
  public_,     // anyone, signed in or not
  signed_in,   // any active user
  staff,       // agents, supervisors and admins
  supervisor,  // supervisors and admins
  admin,
};

// A route names its policy: there is no default, so a route without one
// does not compile.
struct Route {
  Route(Method m, std::string_view p, Handler h, Policy pol)
      : method(m), pattern(p), handler(h), policy(pol) {}
  Method method;
  std::string_view pattern;  // e.g. /api/v1/tickets/{id}/events
  Handler handler;
  Policy policy;
};

std::string_view policy_name(Policy p);

// Every route the server answers; the OpenAPI test compares it with the
// published document.
const std::vector<Route>& routes();

std::string_view method_name(Method m);

// Handles one request; never throws.
Response handle(Services& s, const Request& req);

// Whether a POST to `target` (path and query) carries an upload, whose body
// http/ spools to a file (Request::body_file) instead of memory.
bool spools_body(std::string_view target);

// Route tables of each resource file, gathered by routes().
void add_ticket_routes(std::vector<Route>& out);
void add_directory_routes(std::vector<Route>& out);
void add_calendar_routes(std::vector<Route>& out);
void add_sla_policy_routes(std::vector<Route>& out);
void add_escalation_routes(std::vector<Route>& out);
void add_contract_routes(std::vector<Route>& out);
void add_mail_routes(std::vector<Route>& out);
void add_upload_routes(std::vector<Route>& out);
void add_report_routes(std::vector<Route>& out);
void add_article_routes(std::vector<Route>& out);
void add_search_routes(std::vector<Route>& out);
void add_auth_routes(std::vector<Route>& out);
void add_ops_routes(std::vector<Route>& out);
void add_settings_routes(std::vector<Route>& out);
void add_admin_routes(std::vector<Route>& out);

}  // namespace sd::api
