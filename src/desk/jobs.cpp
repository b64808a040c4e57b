#include "desk/jobs.hpp"

#include <boost/json.hpp>

#include "desk/attachments.hpp"
#include "desk/clocks.hpp"
#include "desk/tickets.hpp"
#include "domain/permissions.hpp"
#include "store/repo/attachments.hpp"
#include "store/repo/sessions.hpp"
#include "store/repo/users.hpp"

namespace sd::desk {
namespace {

namespace json = boost::json;

Result<json::object> payload_of(const Job& j) {
  boost::system::error_code ec;
  auto v = json::parse(j.payload, ec);
  if (ec || !v.is_object())
    return internal_error("the payload of job " + std::to_string(j.id) + " is not a JSON object");
  return v.as_object();
}

Result<std::int64_t> int_field(const json::object& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end() || !it->value().is_int64())
    return internal_error(std::string("the job's payload has no integer ") + name);
  return it->value().as_int64();
}

Status auto_close(store::Tx& tx, const Job& job, Instant now) {
  auto p = payload_of(job);
  if (!p) return p.error();
  auto ticket = int_field(*p, "ticket_id");
  auto resolved = int_field(*p, "resolved_at");
  if (!ticket) return ticket.error();
  if (!resolved) return resolved.error();
  auto r = auto_close_ticket(tx, Actor::system("auto_close"),
                             AutoCloseTicket{*ticket, from_unix_ms(*resolved)}, now);
  if (!r) return r.error();
  return {};
}

Status sla_check(store::Tx& tx, const Job& job, Instant now) {
  auto p = payload_of(job);
  if (!p) return p.error();
  auto ticket = int_field(*p, "ticket_id");
  if (!ticket) return ticket.error();
  return check_clocks(tx, *ticket, now);
}

Status sla_sweep(store::Tx& tx, const Job& job, Instant now) {
  auto p = payload_of(job);
  if (!p) return p.error();
  auto after = int_field(*p, "after_id");
  if (!after) return after.error();
  return sweep_clocks(tx, *after, now);
}

JobSpec maintenance_for(Instant day) {
  JobSpec s;
  s.kind = kDailyMaintenanceJob;
  s.due_at = day;
  s.dedupe_key = std::string(kDailyMaintenanceJob) + ":" + utc_date(day);
  s.payload = "{}";
  return s;
}

// Removes expired sessions, old done jobs and uploads nobody sent, then
// schedules tomorrow's. (Their files stay in the store: other records may
// share them, and a file costs nothing to keep until a sweep of the store.)
Status maintenance(store::Tx& tx, const Job&, Instant now) {
  tx.sessions().remove_expired(now);
  tx.jobs().purge_done(now - kKeepDoneJobs);
  tx.attachments().purge_unused(now - kKeepUnusedUploads);
  const Instant tomorrow =
      std::chrono::floor<std::chrono::days>(now) + std::chrono::days(1) + std::chrono::hours(3);
  tx.jobs().enqueue(maintenance_for(tomorrow), now);
  return {};
}

// Fills the search keys of users stored before keys existed, a batch at a
// time, enqueueing the next batch while some are left.
Status search_keys(store::Tx& tx, const Job&, Instant now) {
  constexpr int kBatch = 500;
  if (tx.users().fill_search_keys(kBatch) == kBatch) {
    JobSpec next;
    next.kind = kSearchKeysJob;
    next.due_at = now;
    next.payload = "{}";
    tx.jobs().enqueue(next, now);
  }
  return {};
}

}  // namespace

const JobHandlers& job_handlers() {
  static const JobHandlers handlers = {
      {kAutoCloseJob, auto_close},   {kDailyMaintenanceJob, maintenance},
      {kSearchKeysJob, search_keys}, {kSlaCheckJob, sla_check},
      {kSlaSweepJob, sla_sweep},
  };
  return handlers;
}

std::vector<Job> claim_jobs(store::Tx& tx, const std::string& owner, Instant now, Duration lease,
                            int limit) {
  return tx.jobs().claim(owner, now, lease, limit);
}

Status run_job(store::Tx& tx, const JobHandlers& handlers, const std::string& owner, const Job& job,
               Instant now) {
  auto h = handlers.find(job.kind);
  if (h == handlers.end()) return internal_error("no handler for jobs of kind " + job.kind);
  if (auto s = h->second(tx, job, now); !s) return s;
  if (!tx.jobs().complete(job.id, owner, now)) return make_error(ErrorCode::conflict, kLeaseLost);
  return {};
}

Status record_job_failure(store::Tx& tx, const std::string& owner, const Job& job,
                          const std::string& error, Instant now) {
  tx.jobs().fail(job.id, owner, error, next_attempt_at(job, now), now);
  return {};
}

Status schedule_maintenance(store::Tx& tx, Instant now) {
  tx.jobs().enqueue(maintenance_for(now), now);
  // Once per database: the search keys of users from before migration 4.
  JobSpec keys;
  keys.kind = kSearchKeysJob;
  keys.due_at = now;
  keys.payload = "{}";
  keys.dedupe_key = std::string(kSearchKeysJob) + ":migration-4";
  tx.jobs().enqueue(keys, now);
  return {};
}

Result<store::Page<Job>> list_jobs(store::Tx& tx, const Actor& a, const store::JobQuery& q) {
  if (!can_manage_jobs(a)) return make_error(ErrorCode::forbidden, "only admins see jobs");
  return tx.jobs().list(q);
}

Result<store::JobCounts> job_counts(store::Tx& tx, const Actor& a) {
  if (!can_manage_jobs(a)) return make_error(ErrorCode::forbidden, "only admins see jobs");
  return tx.jobs().counts();
}

Result<Outcome<Job>> retry_job(store::Tx& tx, const Actor& a, Id id, Instant now) {
  if (!can_manage_jobs(a)) return make_error(ErrorCode::forbidden, "only admins retry jobs");
  auto j = tx.jobs().find(id);
  if (!j) return make_error(ErrorCode::not_found, "no such job");
  if (j->status != JobStatus::failed)
    return make_error(ErrorCode::conflict, "only a failed job is retried");
  tx.jobs().retry(id, now);
  auto after = tx.jobs().find(id);
  if (!after) return internal_error("the retried job is missing");
  Effects fx(tx);
  return fx.done(*after);
}

}  // namespace sd::desk
