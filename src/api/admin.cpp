// /api/v1/admin/jobs: what the durable jobs are doing, and retrying a failed
// one. For admins.
#include <boost/json.hpp>

#include "api/json_io.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "desk/jobs.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;

Result<Response> list_jobs(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"status", "kind", "limit", "cursor"}); !s)
    return s.error();
  store::JobQuery q;
  auto statuses = parse_enum_list<JobStatus>(ctx, "status");
  if (!statuses) return statuses.error();
  q.statuses = *statuses;
  if (auto k = ctx.param("kind")) {
    if (k->size() > 100)
      return make_error(ErrorCode::invalid_input, "query parameter kind is too long");
    q.kind = *k;
  }
  auto limit = parse_limit(ctx, 50, 200);
  if (!limit) return limit.error();
  q.limit = *limit;
  if (auto c = ctx.param("cursor")) {
    auto cur = decode_cursor(ctx.s.cursor_key, "jobs", *c);
    if (!cur) return cur.error();
    q.before_id = cur->id;
  }
  struct Listing {
    store::Page<Job> page;
    store::JobCounts counts;
  };
  auto r = ctx.s.store.read([&](store::Tx& tx) -> Result<Listing> {
    auto page = desk::list_jobs(tx, ctx.actor(), q);
    if (!page) return page.error();
    auto counts = desk::job_counts(tx, ctx.actor());
    if (!counts) return counts.error();
    return Listing{std::move(*page), *counts};
  });
  if (!r) return r.error();
  json::array items;
  for (const auto& j : r->page.items) items.push_back(to_json(j));
  return json_response(
      200, json::object{{"items", std::move(items)},
                        {"next_cursor", r->page.next ? json::value(encode_cursor(
                                                           ctx.s.cursor_key, "jobs", *r->page.next))
                                                     : json::value(nullptr)},
                        {"counts",
                         {{"queued", r->counts.queued},
                          {"running", r->counts.running},
                          {"failed", r->counts.failed}}}});
}

Result<Response> retry_job(Ctx& ctx) {
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write(
      [&](store::Tx& tx) { return desk::retry_job(tx, ctx.actor(), ctx.id, now); });
  if (!out) return out.error();
  return json_response(200, to_json(out->value));
}

}  // namespace

void add_admin_routes(std::vector<Route>& out) {
  out.push_back({Method::get, "/api/v1/admin/jobs", list_jobs, Policy::admin});
  out.push_back({Method::post, "/api/v1/admin/jobs/{id}/retry", retry_job, Policy::admin});
}

}  // namespace sd::api
