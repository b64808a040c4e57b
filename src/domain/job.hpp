// Durable jobs as values: work that must happen later or elsewhere (an
// auto-close, a clean-up, later a mail or a service-level check), written in
// the same transaction as the change that causes it and run by any node's
// runner with a lease. The retry rule is pure and lives here.
#pragma once

#include <optional>
#include <string>

#include "domain/enums.hpp"
#include "domain/model.hpp"
#include "domain/time.hpp"

namespace sd {

// What a use case asks for.
struct JobSpec {
  std::string kind;     // e.g. "ticket.auto_close"
  std::string payload;  // a small JSON document the handler reads
  Instant due_at{};
  // Jobs with the same key are one job: enqueueing it again does nothing.
  std::string dedupe_key;  // empty: no deduplication
  int max_attempts = 8;
};

// A job as stored.
struct Job {
  Id id = 0;
  std::string kind;
  std::string payload;
  JobStatus status = JobStatus::queued;
  Instant due_at{};
  std::string dedupe_key;
  int attempts = 0;  // runs started so far
  int max_attempts = 8;
  std::string last_error;
  std::string lease_owner;  // the node running it
  std::optional<Instant> lease_expires_at;
  Instant created_at{};
  Instant updated_at{};
  std::optional<Instant> done_at;
};

// How long to wait before the next attempt after `attempts` failed ones:
// 5 s, 10 s, 20 s ... doubling, at most one hour.
Duration retry_delay(int attempts);

// After a failed run: the next due time, or nullopt when the job has used
// its attempts and is kept as failed.
std::optional<Instant> next_attempt_at(const Job& j, Instant now);

}  // namespace sd
