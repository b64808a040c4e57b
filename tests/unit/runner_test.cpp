// The jobs runner on a real store, with a clock that moves only when told:
// it runs due jobs once, backs off failures as the clock moves, keeps a job
// failed after its last attempt, and stops promptly.
#include "jobs/runner.hpp"

#include <atomic>
#include <thread>

#include "store/repo/jobs.hpp"
#include "store_fixture.hpp"

namespace sd::jobs {
namespace {

using namespace std::chrono_literals;
using store::Tx;
using store::testing::at;

// Polls until `pred` holds or the deadline passes (no sleeping for work).
template <class F>
bool eventually(F pred, Duration deadline = 10s) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

class Runner : public store::testing::StoreTest {
 protected:
  Id enqueue(const std::string& kind, Instant due, int max_attempts = 3) {
    auto id = m_store->write([&](Tx& tx) -> Result<std::optional<Id>> {
      JobSpec s;
      s.kind = kind;
      s.due_at = due;
      s.max_attempts = max_attempts;
      return tx.jobs().enqueue(s, due);
    });
    EXPECT_TRUE(id && *id);
    return id && *id ? **id : 0;
  }
  std::optional<Job> job(Id id) {
    auto j =
        m_store->read([&](Tx& tx) -> Result<std::optional<Job>> { return tx.jobs().find(id); });
    return j ? *j : std::nullopt;
  }
  RunnerOptions options_for(const std::string& node) {
    RunnerOptions o;
    o.node = node;
    o.poll = 20ms;
    o.lease = 30s;
    return o;
  }
};

TEST_P(Runner, RunsEachDueJobOnce) {
  ManualClock clock(at(1'000'000));
  std::atomic<int> runs{0};
  desk::JobHandlers handlers{
      {"test.count",
       [&](Tx&, const Job&, Instant) -> Status {
         ++runs;
         return {};
       }},
      {desk::kDailyMaintenanceJob, desk::job_handlers().at(desk::kDailyMaintenanceJob)}};
  std::vector<Id> ids;
  for (int i = 0; i < 70; ++i) ids.push_back(enqueue("test.count", at(1'000'000)));
  const Id later = enqueue("test.count", at(1'000'000) + 1h);
  jobs::Runner runner(*m_store, clock, handlers, options_for("node-a"));
  runner.start();
  // The handler runs inside the transaction that marks its job done: wait
  // for the commits, not for the calls.
  EXPECT_TRUE(eventually([&] {
    for (Id id : ids)
      if (job(id)->status != JobStatus::done) return false;
    return true;
  }));
  EXPECT_EQ(runs.load(), 70);
  EXPECT_EQ(job(later)->status, JobStatus::queued) << "not due yet";
  clock.advance(1h);
  runner.wake();
  EXPECT_TRUE(eventually([&] { return job(later)->status == JobStatus::done; }));
  runner.stop();
  EXPECT_EQ(runs.load(), 71);
}

TEST_P(Runner, BacksOffThenKeepsTheJobFailed) {
  ManualClock clock(at(1'000'000));
  std::atomic<int> runs{0};
  desk::JobHandlers handlers{{"test.fail", [&](Tx&, const Job&, Instant) -> Status {
                                ++runs;
                                return make_error(ErrorCode::unavailable, "the peer is down");
                              }}};
  const Id id = enqueue("test.fail", at(1'000'000), 3);
  jobs::Runner runner(*m_store, clock, handlers, options_for("node-a"));
  runner.start();
  EXPECT_TRUE(
      eventually([&] { return job(id)->attempts == 1 && job(id)->status == JobStatus::queued; }));
  EXPECT_EQ(job(id)->last_error, "the peer is down");
  EXPECT_EQ(job(id)->due_at, at(1'000'000) + retry_delay(1));
  clock.advance(retry_delay(1));
  EXPECT_TRUE(
      eventually([&] { return job(id)->attempts == 2 && job(id)->status == JobStatus::queued; }));
  clock.advance(retry_delay(2));
  EXPECT_TRUE(eventually([&] { return job(id)->status == JobStatus::failed; }));
  clock.advance(24h);
  std::this_thread::sleep_for(100ms);  // several polls: a failed job is not run again
  runner.stop();
  EXPECT_EQ(runs.load(), 3);
  EXPECT_EQ(job(id)->attempts, 3);
}

TEST_P(Runner, TwoNodesShareTheWorkAndRunEachJobOnce) {
  ManualClock clock(at(1'000'000));
  std::mutex mu;
  std::multiset<Id> ran;
  desk::JobHandlers handlers{{"test.once", [&](Tx&, const Job& j, Instant) -> Status {
                                std::lock_guard lock(mu);
                                ran.insert(j.id);
                                return {};
                              }}};
  std::vector<Id> ids;
  for (int i = 0; i < 200; ++i) ids.push_back(enqueue("test.once", at(1'000'000)));
  auto other = open(options());
  jobs::Runner a(*m_store, clock, handlers, options_for("node-a"));
  jobs::Runner b(*other, clock, handlers, options_for("node-b"));
  a.start();
  b.start();
  EXPECT_TRUE(eventually([&] {
    for (Id id : ids)
      if (job(id)->status != JobStatus::done) return false;
    return true;
  }));
  a.stop();
  b.stop();
  std::lock_guard lock(mu);
  EXPECT_EQ(ran.size(), ids.size());
  for (Id id : ids) EXPECT_EQ(ran.count(id), 1u) << "job " << id;
}

TEST_P(Runner, StopsPromptly) {
  ManualClock clock(at(1));
  desk::JobHandlers handlers;
  RunnerOptions o = options_for("node-a");
  o.poll = 5s;
  jobs::Runner runner(*m_store, clock, handlers, o);
  runner.start();
  const auto started = std::chrono::steady_clock::now();
  runner.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s) << "stop waited for a poll";
}

SD_STORE_SUITE(Runner);

}  // namespace
}  // namespace sd::jobs
