// Timelines and the event feed on both back ends. The feed is the live
// channel's source: it must return every committed event once, in commit
// order, even when transactions commit in another order than their ids.
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "store/repo/events.hpp"
#include "store_fixture.hpp"

namespace sd::store {
namespace {

using testing::at;

class Events : public testing::StoreTest {
 protected:
  Event event_on(Id ticket, int n) {
    Event e;
    e.ticket_id = ticket;
    e.kind = n % 2 ? EventKind::note : EventKind::reply;
    e.internal = n % 2;
    e.body = "e" + std::to_string(n);
    e.created_at = at(10 + n);
    return e;
  }
  Id append(Id ticket, int n) {
    auto id = m_store->write(
        [&](Tx& tx) -> Result<Id> { return tx.events().append(event_on(ticket, n)); });
    EXPECT_TRUE(id);
    return id ? *id : 0;
  }
  static std::vector<Id> ids(const std::vector<EventRef>& refs) {
    std::vector<Id> out;
    for (const auto& r : refs) out.push_back(r.event_id);
    return out;
  }
  std::vector<Id> drain(EventFeed& f, int limit = 100) {
    std::vector<Id> out;
    for (int i = 0; i < 100; ++i) {
      auto next = f.next(limit);
      EXPECT_TRUE(next);
      if (!next) break;
      auto got = ids(*next);
      out.insert(out.end(), got.begin(), got.end());
      if (static_cast<int>(next->size()) < limit) break;
    }
    return out;
  }
};

TEST_P(Events, InOrderAndInternalHidden) {
  const Id t = add_ticket(make_ticket(1));
  for (int i = 0; i < 4; ++i) append(t, i);
  auto all = m_store->read(
      [&](Tx& tx) -> Result<std::vector<Event>> { return tx.events().list(t, Internal::include); });
  auto pub = m_store->read(
      [&](Tx& tx) -> Result<std::vector<Event>> { return tx.events().list(t, Internal::exclude); });
  ASSERT_TRUE(all && pub);
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].body, "e0");
  EXPECT_EQ((*all)[3].body, "e3");
  EXPECT_EQ((*all)[0].created_at, at(10));
  ASSERT_EQ(pub->size(), 2u);
  for (const auto& e : *pub) EXPECT_FALSE(e.internal);
}

TEST_P(Events, TheSystemIsNamedByItsAutomation) {
  const Id t = add_ticket(make_ticket(1));
  Event e = event_on(t, 0);
  e.actor_kind = ActorKind::system;
  e.actor_name = "auto_close";
  Event u = event_on(t, 2);
  u.actor_id = m_user;
  auto w = m_store->write([&](Tx& tx) -> Result<bool> {
    tx.events().append(e);
    tx.events().append(u);
    return true;
  });
  ASSERT_TRUE(w);
  auto all = m_store->read(
      [&](Tx& tx) -> Result<std::vector<Event>> { return tx.events().list(t, Internal::include); });
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].actor_kind, ActorKind::system);
  EXPECT_FALSE((*all)[0].actor_id);
  EXPECT_EQ((*all)[0].actor_name, "auto_close");
  EXPECT_EQ((*all)[1].actor_kind, ActorKind::user);
  EXPECT_EQ((*all)[1].actor_name, "Requester");
}

TEST_P(Events, FeedStartsNowAndTellsEachEventOnce) {
  const Id t = add_ticket(make_ticket(1));
  append(t, 0);  // before the feed: not told
  auto feed = m_store->open_feed();
  EXPECT_TRUE(drain(*feed).empty());
  std::vector<Id> written;
  for (int i = 1; i <= 7; ++i) written.push_back(append(t, i));
  // In small batches, so that a read stops inside a window.
  EXPECT_EQ(drain(*feed, 3), written);
  EXPECT_TRUE(drain(*feed).empty()) << "nothing is told twice";
  const Id later = append(t, 8);
  EXPECT_EQ(drain(*feed), std::vector<Id>{later});
}

TEST_P(Events, FeedHearsOtherProcessesCommits) {
  const Id t = add_ticket(make_ticket(1));
  auto feed = m_store->open_feed();
  // Another store on the same database: another node, or the command line.
  auto other = open(options());
  auto id = other->write([&](Tx& tx) -> Result<Id> { return tx.events().append(event_on(t, 1)); });
  ASSERT_TRUE(id);
  EXPECT_EQ(drain(*feed), std::vector<Id>{*id});
}

// Two transactions: the first takes the lower id and commits last. A feed
// read between the commits must not make it skip the first one later.
TEST_P(Events, FeedNeverSkipsATransactionThatCommitsOutOfIdOrder) {
  if (GetParam() == Dialect::sqlite)
    GTEST_SKIP() << "SQLite's one writer lock makes id order commit order";
  // Two tickets: events on one ticket take turns (each marks the ticket's
  // latest event), events on two tickets do not.
  const Id t = add_ticket(make_ticket(1));
  const Id u = add_ticket(make_ticket(2));
  auto feed = m_store->open_feed();
  std::mutex mu;
  std::condition_variable cv;
  bool low_inserted = false, high_committed = false;
  Id low = 0;
  auto slow = std::async(std::launch::async, [&] {
    return m_store->write([&](Tx& tx) -> Result<Id> {
      low = tx.events().append(event_on(t, 1));
      std::unique_lock lock(mu);
      low_inserted = true;
      cv.notify_all();
      cv.wait(lock, [&] { return high_committed; });
      return low;
    });
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return low_inserted; });
  }
  const Id high = append(u, 2);
  ASSERT_GT(high, low);
  EXPECT_EQ(drain(*feed), std::vector<Id>{high});
  {
    std::lock_guard lock(mu);
    high_committed = true;
  }
  cv.notify_all();
  ASSERT_TRUE(slow.get());
  EXPECT_EQ(drain(*feed), std::vector<Id>{low}) << "the late commit is told, not skipped";
  EXPECT_TRUE(drain(*feed).empty());
}

TEST_P(Events, FeedUnderConcurrentWritersTellsEveryEventOnce) {
  const Id t = add_ticket(make_ticket(1));
  auto feed = m_store->open_feed();
  constexpr int kThreads = 8, kEach = 25;
  std::atomic<bool> done{false};
  std::vector<Id> told;
  std::thread reader([&] {
    while (!done) {
      auto got = drain(*feed, 7);
      told.insert(told.end(), got.begin(), got.end());
    }
  });
  std::vector<std::thread> writers;
  std::mutex mu;
  std::set<Id> written;
  for (int w = 0; w < kThreads; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        auto id = m_store->write(
            [&](Tx& tx) -> Result<Id> { return tx.events().append(event_on(t, w * 100 + i)); });
        if (id) {
          std::lock_guard lock(mu);
          written.insert(*id);
        }
      }
    });
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  auto rest = drain(*feed);
  told.insert(told.end(), rest.begin(), rest.end());
  EXPECT_EQ(written.size(), static_cast<std::size_t>(kThreads * kEach));
  std::set<Id> unique(told.begin(), told.end());
  EXPECT_EQ(unique.size(), told.size()) << "an event was told twice";
  EXPECT_EQ(unique, written) << "an event was skipped";
}

SD_STORE_SUITE(Events);

}  // namespace
}  // namespace sd::store
