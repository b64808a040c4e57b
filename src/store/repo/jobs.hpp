// Durable jobs: enqueued in the transaction of the change that causes them,
// leased by one node's runner at a time, retried with backoff, kept as
// failed after their last attempt. A job that completes commits its effects
// and its "done" together, and only while its runner still holds the lease,
// so an effect that lives in the database happens exactly once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/job.hpp"
#include "store/repo/page.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

struct JobQuery {
  std::vector<JobStatus> statuses;  // empty: any
  std::string kind;                 // empty: any
  std::optional<Id> before_id;      // newest first
  int limit = 50;
};

struct JobCounts {
  std::int64_t queued = 0, running = 0, failed = 0;
};

class JobRepo : Repo {
 public:
  explicit JobRepo(Tx& tx) : Repo(tx) {}
  // The new job's id; nullopt when a job with the same dedupe key exists.
  std::optional<Id> enqueue(const JobSpec& spec, Instant now);
  // Leases up to `limit` jobs to `owner` until now + lease: queued ones that
  // are due, and running ones whose lease ran out (their node stopped). A
  // job whose node stopped on its last attempt is kept as failed instead.
  std::vector<Job> claim(const std::string& owner, Instant now, Duration lease, int limit);
  // Marks the job done; false (and nothing changed) unless `owner` still
  // holds its lease.
  bool complete(Id id, const std::string& owner, Instant now);
  // After a failed run: queued again at `next`, or failed for good when
  // `next` is nullopt. False unless `owner` still holds the lease.
  bool fail(Id id, const std::string& owner, const std::string& error, std::optional<Instant> next,
            Instant now);
  std::optional<Job> find(Id id);
  Page<Job> list(const JobQuery& q);
  JobCounts counts();
  // A failed job, queued again now with its attempts reset; false when the
  // job is not failed.
  bool retry(Id id, Instant now);
  // Removes done jobs finished before `before`; returns how many.
  std::int64_t purge_done(Instant before);
  // The due time of the soonest queued job.
  std::optional<Instant> next_due();
};

inline JobRepo Tx::jobs() { return JobRepo(*this); }

}  // namespace sd::store
