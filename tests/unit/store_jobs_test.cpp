// Durable jobs on both back ends: dedupe, due times, leases that keep two
// runners off one job and pass on when a node stops, failures and retries.
#include <mutex>
#include <set>
#include <thread>

#include "store/repo/jobs.hpp"
#include "store_fixture.hpp"

namespace sd::store {
namespace {

using namespace std::chrono_literals;
using testing::at;

class Jobs : public testing::StoreTest {
 protected:
  std::optional<Id> enqueue(const std::string& key, Instant due, int max_attempts = 3) {
    JobSpec s;
    s.kind = "test.kind";
    s.payload = R"({"n":1})";
    s.due_at = due;
    s.dedupe_key = key;
    s.max_attempts = max_attempts;
    auto id = m_store->write(
        [&](Tx& tx) -> Result<std::optional<Id>> { return tx.jobs().enqueue(s, at(100)); });
    EXPECT_TRUE(id);
    return id ? *id : std::nullopt;
  }
  std::vector<Job> claim(const std::string& owner, Instant now, int limit = 10,
                         Duration lease = 10s) {
    auto jobs = m_store->write([&](Tx& tx) -> Result<std::vector<Job>> {
      return tx.jobs().claim(owner, now, lease, limit);
    });
    EXPECT_TRUE(jobs);
    return jobs ? *jobs : std::vector<Job>{};
  }
  std::optional<Job> find(Id id) {
    auto j =
        m_store->read([&](Tx& tx) -> Result<std::optional<Job>> { return tx.jobs().find(id); });
    return j ? *j : std::nullopt;
  }
  template <class F>
  bool write_bool(F f) {
    auto r = m_store->write([&](Tx& tx) -> Result<bool> { return f(tx); });
    return r && *r;
  }
};

TEST_P(Jobs, TheSameDedupeKeyIsOneJob) {
  auto a = enqueue("k1", at(1000));
  auto b = enqueue("k1", at(2000));
  auto c = enqueue("", at(1000));
  auto d = enqueue("", at(1000));
  ASSERT_TRUE(a);
  EXPECT_FALSE(b) << "a job with the same key exists";
  EXPECT_TRUE(c && d && *c != *d) << "jobs without a key are never merged";
  auto j = find(*a);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->status, JobStatus::queued);
  EXPECT_EQ(j->due_at, at(1000));
  EXPECT_EQ(j->payload, R"({"n":1})");
  EXPECT_EQ(j->attempts, 0);
}

TEST_P(Jobs, OnlyDueJobsAreClaimedInDueOrder) {
  auto late = enqueue("late", at(5000));
  auto second = enqueue("second", at(2000));
  auto first = enqueue("first", at(1000));
  auto got = claim("node-a", at(3000));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, *first);
  EXPECT_EQ(got[1].id, *second);
  EXPECT_EQ(got[0].status, JobStatus::running);
  EXPECT_EQ(got[0].attempts, 1);
  EXPECT_EQ(got[0].lease_owner, "node-a");
  EXPECT_EQ(got[0].lease_expires_at, at(3000) + 10s);
  EXPECT_TRUE(claim("node-b", at(3000)).empty()) << "leased jobs are not claimed again";
  auto next =
      m_store->read([](Tx& tx) -> Result<std::optional<Instant>> { return tx.jobs().next_due(); });
  ASSERT_TRUE(next && *next);
  EXPECT_EQ(**next, at(5000));
  (void)late;
}

TEST_P(Jobs, CompletingNeedsTheLease) {
  auto id = enqueue("k", at(1000));
  ASSERT_EQ(claim("node-a", at(1000)).size(), 1u);
  EXPECT_FALSE(write_bool([&](Tx& tx) { return tx.jobs().complete(*id, "node-b", at(1100)); }));
  EXPECT_TRUE(write_bool([&](Tx& tx) { return tx.jobs().complete(*id, "node-a", at(1100)); }));
  auto j = find(*id);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->status, JobStatus::done);
  EXPECT_EQ(j->done_at, at(1100));
  EXPECT_FALSE(write_bool([&](Tx& tx) { return tx.jobs().complete(*id, "node-a", at(1200)); }))
      << "a job is done once";
  EXPECT_TRUE(claim("node-a", at(100000)).empty());
}

TEST_P(Jobs, AnExpiredLeasePassesToAnotherNode) {
  auto id = enqueue("k", at(1000), 3);
  ASSERT_EQ(claim("node-a", at(1000), 10, 5s).size(), 1u);
  EXPECT_TRUE(claim("node-b", at(1000) + 4s).empty());
  auto again = claim("node-b", at(1000) + 6s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].lease_owner, "node-b");
  EXPECT_EQ(again[0].attempts, 2);
  // The first node wakes up: its lease is gone, it cannot finish the job.
  EXPECT_FALSE(write_bool([&](Tx& tx) { return tx.jobs().complete(*id, "node-a", at(9000)); }));
  EXPECT_TRUE(write_bool([&](Tx& tx) { return tx.jobs().complete(*id, "node-b", at(9000)); }));
}

TEST_P(Jobs, ANodeThatStopsOnTheLastAttemptLeavesTheJobFailed) {
  auto id = enqueue("k", at(1000), 1);
  ASSERT_EQ(claim("node-a", at(1000), 10, 5s).size(), 1u);
  EXPECT_TRUE(claim("node-b", at(1000) + 6s).empty());
  auto j = find(*id);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->status, JobStatus::failed);
  EXPECT_NE(j->last_error.find("stopped"), std::string::npos) << j->last_error;
}

TEST_P(Jobs, FailuresRetryThenStayFailedUntilRetried) {
  auto id = enqueue("k", at(1000), 2);
  auto first = claim("n", at(1000));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(write_bool(
      [&](Tx& tx) { return tx.jobs().fail(*id, "n", "boom 1", at(1000) + 5s, at(1000)); }));
  auto j = find(*id);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->status, JobStatus::queued);
  EXPECT_EQ(j->last_error, "boom 1");
  EXPECT_EQ(j->due_at, at(1000) + 5s);
  EXPECT_TRUE(claim("n", at(1000) + 4s).empty()) << "not before its backoff";
  ASSERT_EQ(claim("n", at(1000) + 5s).size(), 1u);
  EXPECT_TRUE(write_bool(
      [&](Tx& tx) { return tx.jobs().fail(*id, "n", "boom 2", std::nullopt, at(7000)); }));
  j = find(*id);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->status, JobStatus::failed);
  EXPECT_EQ(j->attempts, 2);
  EXPECT_TRUE(claim("n", at(1'000'000)).empty()) << "failed jobs are not run";
  auto counts = m_store->read([](Tx& tx) -> Result<JobCounts> { return tx.jobs().counts(); });
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->failed, 1);
  EXPECT_TRUE(write_bool([&](Tx& tx) { return tx.jobs().retry(*id, at(8000)); }));
  EXPECT_FALSE(write_bool([&](Tx& tx) { return tx.jobs().retry(*id, at(8000)); }))
      << "only a failed job is retried";
  j = find(*id);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->status, JobStatus::queued);
  EXPECT_EQ(j->attempts, 0);
  EXPECT_EQ(j->due_at, at(8000));
}

TEST_P(Jobs, ListsNewestFirstWithFiltersAndPaging) {
  std::vector<Id> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(*enqueue("k" + std::to_string(i), at(1000 + i)));
  ASSERT_EQ(claim("n", at(1001), 2).size(), 2u);  // the first two run
  JobQuery q;
  q.limit = 3;
  std::vector<Id> seen;
  for (int page = 0; page < 10; ++page) {
    auto p = m_store->read([&](Tx& tx) -> Result<Page<Job>> { return tx.jobs().list(q); });
    ASSERT_TRUE(p);
    for (const auto& j : p->items) seen.push_back(j.id);
    if (!p->next) break;
    q.before_id = p->next->id;
  }
  EXPECT_EQ(seen, std::vector<Id>(ids.rbegin(), ids.rend()));
  JobQuery running;
  running.statuses = {JobStatus::running};
  auto p = m_store->read([&](Tx& tx) -> Result<Page<Job>> { return tx.jobs().list(running); });
  ASSERT_TRUE(p);
  ASSERT_EQ(p->items.size(), 2u);
  EXPECT_EQ(p->items[0].id, ids[1]);
}

TEST_P(Jobs, DoneJobsArePurgedAfterAWhile) {
  auto old_job = enqueue("old", at(1000));
  auto new_job = enqueue("new", at(1000));
  ASSERT_EQ(claim("n", at(1000)).size(), 2u);
  ASSERT_TRUE(write_bool([&](Tx& tx) { return tx.jobs().complete(*old_job, "n", at(2000)); }));
  ASSERT_TRUE(write_bool([&](Tx& tx) { return tx.jobs().complete(*new_job, "n", at(9000)); }));
  auto purged = m_store->write(
      [&](Tx& tx) -> Result<std::int64_t> { return tx.jobs().purge_done(at(5000)); });
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
  EXPECT_FALSE(find(*old_job));
  EXPECT_TRUE(find(*new_job));
}

// Runners on several nodes claim at once: no job is handed to two of them.
TEST_P(Jobs, ConcurrentClaimersNeverShareAJob) {
  constexpr int kJobs = 120;
  for (int i = 0; i < kJobs; ++i) enqueue("j" + std::to_string(i), at(1000));
  auto other = open(options());  // a second node
  std::mutex mu;
  std::multiset<Id> claimed;
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n)
    threads.emplace_back([&, n] {
      Store& s = n % 2 ? *other : *m_store;
      for (int round = 0; round < 40; ++round) {
        auto got = s.write([&](Tx& tx) -> Result<std::vector<Job>> {
          return tx.jobs().claim("node-" + std::to_string(n), at(2000), 30s, 7);
        });
        if (!got) continue;
        std::lock_guard lock(mu);
        for (const auto& j : *got) claimed.insert(j.id);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kJobs));
  for (Id id : claimed) EXPECT_EQ(claimed.count(id), 1u) << "job " << id << " claimed twice";
}

SD_STORE_SUITE(Jobs);

}  // namespace
}  // namespace sd::store
