// Transactions that cannot leak, on both back ends: whatever a body throws
// rolls it back and returns its connection; a write inside a write is
// refused, not deadlocked; waiting for a connection has a deadline; a
// deadlock on PostgreSQL is run again; bad data read back is an error.
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "store/repo/events.hpp"
#include "store/repo/settings.hpp"
#include "store_fixture.hpp"

namespace sd::store {
namespace {

using namespace std::chrono_literals;
using testing::at;

class Transactions : public testing::StoreTest {
 protected:
  std::int64_t ticket_count(Store& s) {
    auto n = s.read([](Tx& tx) -> Result<std::int64_t> { return tx.tickets().count(); });
    EXPECT_TRUE(n);
    return n ? *n : -1;
  }
};

TEST_P(Transactions, ABodyThatThrowsAnythingRollsBackAndTheStoreGoesOn) {
  StoreOptions o = options();
  o.read_connections = 2;  // a leaked connection would soon exhaust the pool
  o.acquire_timeout = 2s;
  auto s = open(o);
  for (int i = 0; i < 6; ++i) {
    auto r = s->write([&](Tx& tx) -> Result<Id> {
      tx.tickets().insert(make_ticket(i));
      if (i % 2) throw std::runtime_error("a bug in a body");
      throw 42;  // not even an exception type
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::internal);
    EXPECT_NE(r.error().cause, "") << "the cause is kept for the log";
    EXPECT_EQ(r.error().detail, "internal error") << "and not told to the client";
  }
  for (int i = 0; i < 4; ++i) {
    auto r = s->read([&](Tx&) -> Result<int> { throw std::logic_error("in a read"); });
    ASSERT_FALSE(r);
  }
  EXPECT_EQ(ticket_count(*s), 0);
  auto ok = s->write([&](Tx& tx) -> Result<Id> { return tx.tickets().insert(make_ticket(9)); });
  ASSERT_TRUE(ok) << ok.error().cause;
  EXPECT_EQ(ticket_count(*s), 1);
}

TEST_P(Transactions, AWriteInsideAWriteIsRefusedNotDeadlocked) {
  auto outer = std::async(std::launch::async, [&] {
    return m_store->write([&](Tx& tx) -> Result<std::string> {
      tx.tickets().insert(make_ticket(1));
      auto inner = m_store->write(
          [&](Tx& tx2) -> Result<Id> { return tx2.tickets().insert(make_ticket(2)); });
      if (inner) return std::string("inner write ran");
      return inner.error().cause;
    });
  });
  ASSERT_EQ(outer.wait_for(20s), std::future_status::ready) << "the nested write deadlocked";
  auto r = outer.get();
  ASSERT_TRUE(r);
  EXPECT_NE(r->find("inside"), std::string::npos) << *r;
  EXPECT_EQ(ticket_count(*m_store), 1) << "the outer write still commits";
  // write_each is a write too.
  auto nested_each = m_store->write([&](Tx&) -> Result<bool> {
    auto st = m_store->write_each({[](Tx&) -> Status { return {}; }});
    return !st.at(0);
  });
  ASSERT_TRUE(nested_each);
  EXPECT_TRUE(*nested_each);
}

TEST_P(Transactions, WaitingForAConnectionHasADeadline) {
  StoreOptions o = options();
  o.read_connections = 1;
  o.acquire_timeout = 300ms;
  auto s = open(o);
  std::mutex mu;
  std::condition_variable cv;
  bool holding = false, release = false;
  // PostgreSQL writes use the same pool; SQLite reads do.
  auto hold = std::async(std::launch::async, [&] {
    return s->read([&](Tx&) -> Result<bool> {
      std::unique_lock lock(mu);
      holding = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
      return true;
    });
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return holding; });
  }
  const auto started = std::chrono::steady_clock::now();
  auto r = s->read([](Tx&) -> Result<bool> { return true; });
  const auto waited = std::chrono::steady_clock::now() - started;
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(hold.get());
  ASSERT_FALSE(r) << "no connection was free";
  EXPECT_EQ(r.error().code, ErrorCode::unavailable);
  EXPECT_LT(waited, 10s) << "gave up at the deadline, not never";
  EXPECT_TRUE(s->read([](Tx&) -> Result<bool> { return true; })) << "free again afterwards";
}

TEST_P(Transactions, WriteEachCommitsEachBodyOnItsOwn) {
  std::vector<Store::Body> bodies;
  for (int i = 0; i < 5; ++i)
    bodies.push_back([&, i](Tx& tx) -> Status {
      tx.tickets().insert(make_ticket(i));
      if (i == 2) return make_error(ErrorCode::conflict, "not this one");
      if (i == 3) throw std::runtime_error("nor this one");
      return {};
    });
  auto results = m_store->write_each(bodies);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_TRUE(results[0] && results[1] && results[4]);
  EXPECT_FALSE(results[2]);
  EXPECT_FALSE(results[3]);
  EXPECT_EQ(ticket_count(*m_store), 3);
}

TEST_P(Transactions, AnUnknownEnumTextIsAnErrorNotTheFirstValue) {
  const Id id = add_ticket(make_ticket(1));
  raw()->exec("UPDATE tickets SET status = 'bogus' WHERE id = $1", {id});
  auto t = m_store->read([&](Tx& tx) -> Result<std::optional<Ticket>> {
    return tx.tickets().find(id, TicketScope::everything());
  });
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::internal);
  EXPECT_NE(t.error().cause.find("tickets.status"), std::string::npos) << t.error().cause;
}

TEST_P(Transactions, TheStatementCacheIsBounded) {
  auto c = raw();
  for (int i = 0; i < 400; ++i)
    c->query("SELECT " + std::to_string(i) + " + $1", {std::int64_t{1}}, nullptr);
  EXPECT_LE(c->cached_statements(), kStatementCacheSize);
  EXPECT_GT(c->cached_statements(), 0u);
  // Statements evicted and prepared again still work.
  std::int64_t v = 0;
  c->query("SELECT 0 + $1", {std::int64_t{5}}, [&](const Row& r) { v = r.i64(0); });
  EXPECT_EQ(v, 5);
}

// Two writers lock two rows in opposite orders. PostgreSQL breaks the
// deadlock by failing one; the store runs that one again, so both land.
TEST_P(Transactions, ADeadlockIsRunAgain) {
  if (GetParam() == Dialect::sqlite) GTEST_SKIP() << "SQLite has one writer: no deadlocks";
  const Id a = add_ticket(make_ticket(1)), b = add_ticket(make_ticket(2));
  std::atomic<int> runs{0};
  std::mutex mu;
  std::condition_variable cv;
  int locked_first = 0;
  auto writer = [&](Id first, Id second) {
    return m_store->write([&, first, second](Tx& tx) -> Result<bool> {
      const int run = ++runs;
      auto t1 = tx.tickets().find(first, TicketScope::everything(), Lock::for_update);
      if (run <= 2) {  // only the first runs wait for each other
        std::unique_lock lock(mu);
        ++locked_first;
        cv.notify_all();
        cv.wait_for(lock, 5s, [&] { return locked_first >= 2; });
      }
      auto t2 = tx.tickets().find(second, TicketScope::everything(), Lock::for_update);
      if (!t1 || !t2) return make_error(ErrorCode::not_found, "gone");
      t2->subject = "changed";
      tx.tickets().update(*t2);
      return true;
    });
  };
  auto x = std::async(std::launch::async, writer, a, b);
  auto y = std::async(std::launch::async, writer, b, a);
  auto rx = x.get(), ry = y.get();
  EXPECT_TRUE(rx) << (rx ? "" : rx.error().cause);
  EXPECT_TRUE(ry) << (ry ? "" : ry.error().cause);
  EXPECT_GE(runs.load(), 3) << "one of them ran again";
}

SD_STORE_SUITE(Transactions);

}  // namespace
}  // namespace sd::store
