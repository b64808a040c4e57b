// Durable jobs, from the desk's side: the handler of each job kind, running
// one job in the transaction that also marks it done, recording a failure
// with its backoff, the daily maintenance, and what admins see and retry.
// jobs/runner.hpp drives these on every node.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "desk/outcome.hpp"
#include "domain/actor.hpp"
#include "domain/error.hpp"
#include "domain/job.hpp"
#include "store/repo/jobs.hpp"

namespace sd::desk {

// Runs one job inside a write transaction; its effects commit with the job's
// "done". Must be idempotent: a job may run again after a crash before commit.
using JobHandler = std::function<Status(store::Tx& tx, const Job& job, Instant now)>;
using JobHandlers = std::map<std::string, JobHandler, std::less<>>;

// The handlers of every kind of job the desk enqueues.
const JobHandlers& job_handlers();

// A job whose work is outside the database (sending mail, polling a
// mailbox): it runs with no transaction open and opens the ones it needs;
// the runner marks it done afterwards. It may run again after a crash
// before that mark, so its effects must be idempotent (a mail sent twice
// carries the same Message-ID; a message taken in twice is one).
using OutsideJobHandler = std::function<Status(const Job& job, Instant now)>;
using OutsideJobHandlers = std::map<std::string, OutsideJobHandler, std::less<>>;

inline constexpr const char* kDailyMaintenanceJob = "maintenance.daily";
inline constexpr const char* kSearchKeysJob = "users.search_keys";
// The detail of run_job's error when the lease passed to another node.
inline constexpr const char* kLeaseLost = "the job's lease passed to another node";
// Done jobs are kept this long for the admin page, then purged.
inline constexpr Duration kKeepDoneJobs = std::chrono::hours(24 * 7);

// Leases due jobs to `owner` (a node's runner).
std::vector<Job> claim_jobs(store::Tx& tx, const std::string& owner, Instant now, Duration lease,
                            int limit);
// Runs the job's handler and marks it done. Fails, and so rolls back, when
// the handler fails, the kind is unknown, or `owner` lost the lease (then
// another node runs it: the effects happen once).
Status run_job(store::Tx& tx, const JobHandlers& handlers, const std::string& owner, const Job& job,
               Instant now);
// After a failed run: queued again after its backoff, or failed for good.
Status record_job_failure(store::Tx& tx, const std::string& owner, const Job& job,
                          const std::string& error, Instant now);

// Enqueues the daily maintenance for today, once whatever the number of
// nodes starting (its dedupe key is the date).
Status schedule_maintenance(store::Tx& tx, Instant now);

// Administration.
Result<store::Page<Job>> list_jobs(store::Tx& tx, const Actor& a, const store::JobQuery& q);
Result<store::JobCounts> job_counts(store::Tx& tx, const Actor& a);
Result<Outcome<Job>> retry_job(store::Tx& tx, const Actor& a, Id id, Instant now);

}  // namespace sd::desk
