#include "store/repo/jobs.hpp"

#include <algorithm>

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {

using namespace sql;

constexpr const char* kJobCols =
    "id, kind, payload, status, due_at, dedupe_key, attempts, max_attempts, last_error, "
    "lease_owner, lease_expires_at, created_at, updated_at, done_at";

Job job_from(const Row& r) {
  Job j;
  j.id = r.i64(0);
  j.kind = r.text(1);
  j.payload = r.text(2);
  j.status = enum_col<JobStatus>(r, 3, "jobs.status");
  j.due_at = instant(r, 4);
  j.dedupe_key = r.is_null(5) ? std::string() : r.text(5);
  j.attempts = static_cast<int>(r.i64(6));
  j.max_attempts = static_cast<int>(r.i64(7));
  j.last_error = r.text(8);
  j.lease_owner = r.text(9);
  j.lease_expires_at = opt_instant(r, 10);
  j.created_at = instant(r, 11);
  j.updated_at = instant(r, 12);
  j.done_at = opt_instant(r, 13);
  return j;
}

// Messages are for people reading the admin page; keep them short.
std::string clip(const std::string& s) { return s.size() <= 2000 ? s : s.substr(0, 2000); }

}  // namespace

std::optional<Id> JobRepo::enqueue(const JobSpec& spec, Instant now) {
  std::optional<Id> id;
  conn().query(
      "INSERT INTO jobs (kind, payload, status, due_at, dedupe_key, max_attempts, created_at, "
      "updated_at) VALUES ($1, $2, 'queued', $3, $4, $5, $6, $6) ON CONFLICT (dedupe_key) DO "
      "NOTHING RETURNING id",
      {spec.kind, spec.payload.empty() ? std::string("{}") : spec.payload, at(spec.due_at),
       spec.dedupe_key.empty() ? Value{nullptr} : Value{spec.dedupe_key},
       std::int64_t{std::max(1, spec.max_attempts)}, at(now)},
      [&](const Row& r) { id = r.i64(0); });
  if (id) note_job();
  return id;
}

std::vector<Job> JobRepo::claim(const std::string& owner, Instant now, Duration lease, int limit) {
  const bool pg = dialect() == Dialect::postgres;
  const std::string skip = pg ? " FOR UPDATE SKIP LOCKED" : "";
  const Params p{owner, at(now + lease), at(now), std::int64_t{limit}};
  // A node that stopped on a job's last attempt does not get it back.
  conn().exec(
      "UPDATE jobs SET status = 'failed', lease_expires_at = NULL, updated_at = $1, last_error = "
      "'the node running it stopped (last attempt)' WHERE id IN (SELECT id FROM jobs WHERE "
      "status = 'running' AND lease_expires_at <= $1 AND attempts >= max_attempts LIMIT $2" +
          skip + ")",
      {at(now), std::int64_t{limit}});
  std::vector<Job> out;
  const std::string set =
      "UPDATE jobs SET status = 'running', lease_owner = $1, lease_expires_at = $2, attempts = "
      "attempts + 1, updated_at = $3 WHERE id IN ";
  conn().query(set +
                   "(SELECT id FROM jobs WHERE status = 'queued' AND due_at <= $3 ORDER BY due_at, "
                   "id LIMIT $4" +
                   skip + ") RETURNING " + kJobCols,
               p, [&](const Row& r) { out.push_back(job_from(r)); });
  if (static_cast<int>(out.size()) < limit) {
    Params p2 = p;
    p2[3] = std::int64_t{limit - static_cast<int>(out.size())};
    conn().query(set +
                     "(SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at <= $3 "
                     "ORDER BY lease_expires_at, id LIMIT $4" +
                     skip + ") RETURNING " + kJobCols,
                 p2, [&](const Row& r) { out.push_back(job_from(r)); });
  }
  std::sort(out.begin(), out.end(), [](const Job& a, const Job& b) {
    return a.due_at != b.due_at ? a.due_at < b.due_at : a.id < b.id;
  });
  return out;
}

bool JobRepo::complete(Id id, const std::string& owner, Instant now) {
  return conn().exec(
             "UPDATE jobs SET status = 'done', done_at = $3, updated_at = $3, lease_expires_at = "
             "NULL, last_error = '' WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
             {id, owner, at(now)}) == 1;
}

bool JobRepo::fail(Id id, const std::string& owner, const std::string& error,
                   std::optional<Instant> next, Instant now) {
  return conn().exec(
             "UPDATE jobs SET status = $4, due_at = COALESCE($5, due_at), last_error = $3, "
             "lease_expires_at = NULL, updated_at = $6 WHERE id = $1 AND lease_owner = $2 AND "
             "status = 'running'",
             {id, owner, clip(error), std::string(next ? "queued" : "failed"), opt_at(next),
              at(now)}) == 1;
}

std::optional<Job> JobRepo::find(Id id) {
  std::optional<Job> out;
  conn().query(std::string("SELECT ") + kJobCols + " FROM jobs WHERE id = $1", {id},
               [&](const Row& r) { out = job_from(r); });
  return out;
}

Page<Job> JobRepo::list(const JobQuery& q) {
  Binder b(dialect());
  Where w;
  if (!q.statuses.empty()) {
    std::vector<std::string> v;
    for (auto s : q.statuses) v.emplace_back(to_string(s));
    w.add(b.any_of("status", v));
  }
  if (!q.kind.empty()) w.add("kind = " + b.next(q.kind));
  if (q.before_id) w.add("id < " + b.next(*q.before_id));
  Page<Job> page;
  conn().query(std::string("SELECT ") + kJobCols + " FROM jobs" + w.text +
                   " ORDER BY id DESC LIMIT " + b.next(std::int64_t{q.limit} + 1),
               b.params, [&](const Row& r) { page.items.push_back(job_from(r)); });
  if (page.items.size() > static_cast<std::size_t>(q.limit)) {
    page.items.pop_back();
    page.next = Cursor{0, {}, page.items.back().id};
  }
  return page;
}

JobCounts JobRepo::counts() {
  JobCounts c;
  // Done jobs are many and uninteresting to count; the others are few.
  conn().query(
      "SELECT status, COUNT(*) FROM jobs WHERE status IN ('queued', 'running', 'failed') GROUP BY "
      "status",
      {}, [&](const Row& r) {
        const std::string s = r.text(0);
        if (s == "queued") c.queued = r.i64(1);
        if (s == "running") c.running = r.i64(1);
        if (s == "failed") c.failed = r.i64(1);
      });
  return c;
}

bool JobRepo::retry(Id id, Instant now) {
  const bool changed =
      conn().exec(
          "UPDATE jobs SET status = 'queued', attempts = 0, due_at = $2, updated_at = $2, "
          "lease_expires_at = NULL WHERE id = $1 AND status = 'failed'",
          {id, at(now)}) == 1;
  if (changed) note_job();
  return changed;
}

std::int64_t JobRepo::purge_done(Instant before) {
  return conn().exec("DELETE FROM jobs WHERE status = 'done' AND done_at < $1", {at(before)});
}

std::optional<Instant> JobRepo::next_due() {
  std::optional<Instant> out;
  conn().query("SELECT MIN(due_at) FROM jobs WHERE status = 'queued'", {},
               [&](const Row& r) { out = opt_instant(r, 0); });
  return out;
}

}  // namespace sd::store
