// Tickets on both back ends: round trips, keyset paging on every sort,
// filters, the scope in every query, and statements whose text does not
// depend on the input.
#include <atomic>
#include <set>
#include <thread>

#include "domain/lifecycle.hpp"
#include "domain/search.hpp"
#include "store/repo/organisations.hpp"
#include "store/repo/ticket_slas.hpp"
#include "store_fixture.hpp"

namespace sd::store {
namespace {

using testing::at;

class Tickets : public testing::StoreTest {};

// The value a numeric sort orders by, ascending; for priority, urgency
// (critical highest), since -priority lists the most urgent first.
std::int64_t sort_key(const Ticket& t, TicketSort s) {
  switch (s) {
    case TicketSort::created_at:
      return to_unix_ms(t.created_at);
    case TicketSort::updated_at:
      return to_unix_ms(t.updated_at);
    case TicketSort::priority:
      return 5 - static_cast<std::int64_t>(t.priority);
    case TicketSort::support_level:
      return t.support_level;
    default:
      return t.id;
  }
}

TEST_P(Tickets, MigrationsRunOnce) {
  auto again = m_store->migrate(at(2));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
}

TEST_P(Tickets, RoundTrip) {
  Ticket t = make_ticket(4);
  t.status = TicketStatus::resolved;
  t.resolved_at = at(1234);
  t.id = add_ticket(t);
  auto back = m_store->read([&](Tx& tx) -> Result<std::optional<Ticket>> {
    return tx.tickets().find(t.id, TicketScope::everything());
  });
  ASSERT_TRUE(back && *back);
  const Ticket& b = **back;
  EXPECT_EQ(b.subject, t.subject);
  EXPECT_EQ(b.description, t.description);
  EXPECT_EQ(b.type, t.type);
  EXPECT_EQ(b.priority, t.priority);
  EXPECT_EQ(b.support_level, t.support_level);
  EXPECT_EQ(b.status, TicketStatus::resolved);
  EXPECT_EQ(b.resolved_at, at(1234));
  EXPECT_EQ(b.created_at, t.created_at);
  EXPECT_FALSE(b.closed_at);
  EXPECT_FALSE(b.assignee_id);
}

TEST_P(Tickets, FailedWriteChangesNothing) {
  auto r = m_store->write([&](Tx& tx) -> Result<int> {
    tx.tickets().insert(make_ticket(1));
    return make_error(ErrorCode::conflict, "changed my mind");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::conflict);
  auto n = m_store->read([](Tx& tx) -> Result<std::int64_t> { return tx.tickets().count(); });
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0);
}

TEST_P(Tickets, UniqueViolationIsConflict) {
  auto r = m_store->write([&](Tx& tx) -> Result<Id> {
    User u;
    u.email = "req@example.com";
    u.name = "Twin";
    return tx.users().insert(u, std::nullopt);
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::conflict);
  EXPECT_FALSE(r.error().cause.empty()) << "the driver's message is kept for the log";
}

TEST_P(Tickets, ConcurrentWritersAllLandAndFailuresStayAlone) {
  constexpr int kThreads = 16, kEach = 20;
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th)
    threads.emplace_back([&, th] {
      for (int i = 0; i < kEach; ++i) {
        const bool fail = (i % 5) == 4;
        auto r = m_store->write([&](Tx& tx) -> Result<Id> {
          Id id = tx.tickets().insert(make_ticket(th * 100 + i));
          if (fail) return make_error(ErrorCode::invalid_input, "no");
          return id;
        });
        (r ? ok : refused)++;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, kThreads * kEach * 4 / 5);
  EXPECT_EQ(refused, kThreads * kEach / 5);
  auto n = m_store->read([](Tx& tx) -> Result<std::int64_t> { return tx.tickets().count(); });
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, ok.load());
}

TEST_P(Tickets, KeysetPagingVisitsEveryRowOnceInOrder) {
  constexpr int kTickets = 53;
  for (int i = 0; i < kTickets; ++i) add_ticket(make_ticket(i));
  for (auto sort :
       {TicketSort::id, TicketSort::created_at, TicketSort::priority, TicketSort::support_level,
        TicketSort::updated_at, TicketSort::status, TicketSort::subject, TicketSort::type,
        TicketSort::requester, TicketSort::assignee, TicketSort::group, TicketSort::category})
    for (bool desc : {false, true}) {
      TicketQuery q(TicketScope::everything());
      q.sort = sort;
      q.descending = desc;
      q.limit = 6;
      std::set<Id> seen;
      std::vector<std::pair<std::int64_t, Id>> order;
      for (int pages = 0; pages < 100; ++pages) {
        auto page =
            m_store->read([&](Tx& tx) -> Result<Page<Ticket>> { return tx.tickets().list(q); });
        ASSERT_TRUE(page);
        for (const auto& t : page->items) {
          EXPECT_TRUE(seen.insert(t.id).second) << "duplicate " << t.id;
          // Ties follow the sort's direction, except priority: oldest first.
          order.emplace_back(sort_key(t, sort), sort == TicketSort::priority ? -t.id : t.id);
        }
        if (!page->next) break;
        q.after = page->next;
      }
      EXPECT_EQ(seen.size(), static_cast<std::size_t>(kTickets));
      // Order by key is checked for the numeric sorts; the text ones are
      // checked over HTTP against names (tests/integration).
      const bool numeric = sort == TicketSort::id || sort == TicketSort::created_at ||
                           sort == TicketSort::priority || sort == TicketSort::support_level ||
                           sort == TicketSort::updated_at;
      for (std::size_t i = 1; numeric && i < order.size(); ++i) {
        if (desc)
          EXPECT_GT(order[i - 1], order[i]);
        else
          EXPECT_LT(order[i - 1], order[i]);
      }
    }
}

TEST_P(Tickets, FiltersAndTextSearch) {
  for (int i = 0; i < 30; ++i) add_ticket(make_ticket(i));
  Ticket odd = make_ticket(99);
  odd.subject = "Impresora 100%_rota";
  add_ticket(odd);
  auto count = [&](TicketQuery q) {
    q.limit = 200;
    auto page = m_store->read([&](Tx& tx) -> Result<Page<Ticket>> { return tx.tickets().list(q); });
    return page ? static_cast<int>(page->items.size()) : -1;
  };
  const TicketQuery all(TicketScope::everything());
  TicketQuery q = all;
  q.types = {TicketType::complaint};
  EXPECT_EQ(count(q), 6 + 0);  // n % 5 == 0 for n in 0..29, and 99 is 4
  q = all;
  q.types = {TicketType::complaint, TicketType::incident};
  EXPECT_EQ(count(q), 12);
  q = all;
  q.support_levels = {1, 2};
  EXPECT_EQ(count(q), 20 + 1);  // 99 % 3 == 0 -> level 1
  q = all;
  q.priorities = {Priority::critical};
  EXPECT_EQ(count(q), 8);  // n % 4 == 0 for n in 0..29
  q = all;
  auto words = [](std::string_view text) { return (*parse_search(text)).terms; };
  q.terms = words("100%_");
  EXPECT_EQ(count(q), 1) << "the search's punctuation is no syntax";
  q.terms = words("IMPRESORA");
  EXPECT_EQ(count(q), 1) << "search ignores case";
  q.terms = words("impres");
  EXPECT_EQ(count(q), 1) << "a word is a prefix too";
  q.terms = words("descripcion NUMERO 2");
  EXPECT_EQ(count(q), 1) << "accents folded, every word must match, a number is exact";
  q.terms = words("\"numero descripcion\"");
  EXPECT_EQ(count(q), 0) << "a phrase keeps its order";
  q.terms = words("\"descripcion numero\"");
  EXPECT_EQ(count(q), 31);
  q = all;
  q.assignee.mode = RefFilter::Mode::none;
  EXPECT_EQ(count(q), 31);
  q.assignee.mode = RefFilter::Mode::equals;
  q.assignee.ids = {m_user};
  EXPECT_EQ(count(q), 0);
}

TEST_P(Tickets, StatusCategoriesAreStoredAndFiltered) {
  for (std::size_t i = 0; i < enum_count<TicketStatus>(); ++i) {
    Ticket t = make_ticket(static_cast<int>(i));
    t.status = static_cast<TicketStatus>(i);
    add_ticket(t);
  }
  auto count = [&](std::vector<StatusCategory> cats) {
    TicketQuery q(TicketScope::everything());
    q.categories = std::move(cats);
    auto page = m_store->read([&](Tx& tx) -> Result<Page<Ticket>> { return tx.tickets().list(q); });
    return page ? static_cast<int>(page->items.size()) : -1;
  };
  EXPECT_EQ(count(open_categories()), 4);  // new, assigned, in_progress, pending
  EXPECT_EQ(count({StatusCategory::open}), 2);
  EXPECT_EQ(count({StatusCategory::waiting}), 1);
  EXPECT_EQ(count({StatusCategory::closed}), 2);  // closed, cancelled
  EXPECT_EQ(count({StatusCategory::resolved, StatusCategory::new_}), 2);
  // The stored category follows an update of the status.
  auto raw_category = [&](Id id) {
    std::string c;
    raw()->query("SELECT status_category FROM tickets WHERE id = $1", {id},
                 [&](const Row& r) { c = r.text(0); });
    return c;
  };
  Ticket t = make_ticket(50);
  t.id = add_ticket(t);
  EXPECT_EQ(raw_category(t.id), "new");
  t.status = TicketStatus::pending;
  ASSERT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
    tx.tickets().update(t);
    return true;
  }));
  EXPECT_EQ(raw_category(t.id), "waiting");
}

TEST_P(Tickets, EveryQueryTakesTheScope) {
  auto org = m_store->write([](Tx& tx) -> Result<Id> {
    return tx.organisations().insert(Organisation{0, "Org", true, at(1)});
  });
  ASSERT_TRUE(org);
  const Id me = add_user("me@example.com", Role::requester, *org);
  const Id mate = add_user("mate@example.com", Role::requester, *org);
  const Id stranger = add_user("stranger@example.com", Role::requester);
  auto ticket_of = [&](Id who, std::optional<Id> o) {
    Ticket t = make_ticket(1);
    t.requester_id = who;
    t.organisation_id = o;
    return add_ticket(t);
  };
  const Id mine = ticket_of(me, *org), mates = ticket_of(mate, *org),
           strangers = ticket_of(stranger, std::nullopt);
  const TicketScope own{TicketScope::Kind::own, me, std::nullopt};
  const TicketScope shared{TicketScope::Kind::own_and_organisation, me, *org};
  auto ids = [&](const TicketScope& s) {
    TicketQuery q(s);
    std::set<Id> out;
    auto page = m_store->read([&](Tx& tx) -> Result<Page<Ticket>> { return tx.tickets().list(q); });
    if (page)
      for (const auto& t : page->items) out.insert(t.id);
    return out;
  };
  EXPECT_EQ(ids(own), (std::set<Id>{mine}));
  EXPECT_EQ(ids(shared), (std::set<Id>{mine, mates}));
  EXPECT_EQ(ids(TicketScope::everything()), (std::set<Id>{mine, mates, strangers}));
  auto found = [&](Id id, const TicketScope& s) {
    auto t = m_store->read(
        [&](Tx& tx) -> Result<std::optional<Ticket>> { return tx.tickets().find(id, s); });
    return t && t->has_value();
  };
  EXPECT_TRUE(found(mine, own));
  EXPECT_FALSE(found(mates, own));
  EXPECT_TRUE(found(mates, shared));
  EXPECT_FALSE(found(strangers, shared));
  // Many at once (a page of search hits): those the scope holds, a missing
  // id left out.
  auto many = [&](const TicketScope& s) {
    std::set<Id> out;
    auto got = m_store->read([&](Tx& tx) -> Result<std::vector<Ticket>> {
      return tx.tickets().find_many({strangers, mates, mine, strangers + 100}, s);
    });
    if (got)
      for (const auto& t : *got) out.insert(t.id);
    return out;
  };
  EXPECT_EQ(many(own), (std::set<Id>{mine}));
  EXPECT_EQ(many(shared), (std::set<Id>{mine, mates}));
  EXPECT_EQ(many(TicketScope::everything()), (std::set<Id>{mine, mates, strangers}));
  auto counts = m_store->read([&](Tx& tx) -> Result<QueueCounts> {
    return tx.tickets().queue_counts(me, own, Instant{}, std::chrono::hours(2));
  });
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->open, 1);
}

TEST_P(Tickets, ListsAreOneParameterWhateverTheirLength) {
  for (int i = 0; i < 10; ++i) add_ticket(make_ticket(i));
  // A reader of its own, so that its statement cache sees only this test.
  StoreOptions o = options();
  o.read_connections = 1;
  auto store = open(o);
  auto statements_after = [&](std::size_t n) {
    TicketQuery q(TicketScope::everything());
    for (std::size_t i = 0; i < n; ++i) q.assignee.ids.push_back(static_cast<Id>(1000 + i));
    q.assignee.mode = RefFilter::Mode::equals;
    for (std::size_t i = 0; i < std::min<std::size_t>(n, 4); ++i)
      q.priorities.push_back(static_cast<Priority>(1 + i));
    auto r = store->read([&](Tx& tx) -> Result<std::size_t> {
      tx.tickets().list(q);
      return tx.cached_statements();
    });
    return r ? *r : 0;
  };
  const std::size_t two = statements_after(2);
  EXPECT_EQ(statements_after(3), two);
  EXPECT_EQ(statements_after(40), two) << "a longer list must not make a new statement";
}

TEST_P(Tickets, ClocksRoundTripWithTheirPauses) {
  const Id id = add_ticket(make_ticket(1));
  TicketSla s;
  s.ticket_id = id;
  s.state.first_response_at = at(1500);
  s.state.pauses = {{at(2000), at(2500), SlaPauseKind::status},
                    {at(3000), std::nullopt, SlaPauseKind::resolved}};
  s.state.written[1] = at(2100);
  s.resolution_due_at = at(9000);
  s.paused = true;
  s.resolution_left = std::chrono::milliseconds(123456);
  s.updated_at = at(3000);
  auto saved = m_store->write([&](Tx& tx) -> Result<std::optional<TicketSla>> {
    tx.ticket_slas().save(s);
    s.state.pauses.back().to = at(3500);  // saved again: replaced, not added
    tx.ticket_slas().save(s);
    return tx.ticket_slas().find(id);
  });
  ASSERT_TRUE(saved && *saved);
  const TicketSla& got = **saved;
  EXPECT_EQ(got.state, s.state);
  EXPECT_EQ(got.resolution_due_at, s.resolution_due_at);
  EXPECT_FALSE(got.first_response_due_at);
  EXPECT_TRUE(got.paused);
  EXPECT_EQ(got.resolution_left, s.resolution_left);
  auto many = m_store->read([&](Tx& tx) -> Result<std::size_t> {
    return tx.ticket_slas().find_many({id, id + 1000}).size();
  });
  ASSERT_TRUE(many);
  EXPECT_EQ(*many, 1u);
}

TEST_P(Tickets, DueSoonestFirstAndTheBreachingWindow) {
  // Due at 5000, 3000, none, 8000 (ms): sorted 3000, 5000, 8000, then none.
  const std::optional<Instant> dues[] = {at(5000), at(3000), std::nullopt, at(8000)};
  std::vector<Id> ids;
  for (int i = 0; i < 4; ++i) {
    Ticket t = make_ticket(i);
    t.sla_due_at = dues[i];
    ids.push_back(add_ticket(t));
  }
  auto list = [&](std::optional<Instant> after, std::optional<Instant> until) {
    TicketQuery q(TicketScope::everything());
    q.sort = TicketSort::sla_due;
    q.descending = false;
    q.sla_due_after = after;
    q.sla_due_until = until;
    q.limit = 2;
    std::vector<Id> out;
    for (int pages = 0; pages < 5; ++pages) {
      auto page =
          m_store->read([&](Tx& tx) -> Result<Page<Ticket>> { return tx.tickets().list(q); });
      EXPECT_TRUE(page);
      if (!page) break;
      for (const auto& t : page->items) out.push_back(t.id);
      if (!page->next) break;
      q.after = page->next;
    }
    return out;
  };
  EXPECT_EQ(list(std::nullopt, std::nullopt), (std::vector<Id>{ids[1], ids[0], ids[3], ids[2]}));
  EXPECT_EQ(list(std::nullopt, at(5000)), (std::vector<Id>{ids[1], ids[0]})) << "breached at 5000";
  EXPECT_EQ(list(at(4000), at(9000)), (std::vector<Id>{ids[0], ids[3]})) << "due soon after 4000";
  auto counts = m_store->read([&](Tx& tx) -> Result<QueueCounts> {
    return tx.tickets().queue_counts(m_user, TicketScope::everything(), at(4000),
                                     std::chrono::milliseconds(4500));
  });
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->sla_breached, 1);  // 3000
  EXPECT_EQ(counts->sla_soon, 2);      // 5000 and 8000, within 4000 + 4500
  // The narrow update leaves the version alone.
  auto version = m_store->write([&](Tx& tx) -> Result<std::int64_t> {
    const auto before = tx.tickets().find(ids[2], TicketScope::everything())->version;
    tx.tickets().set_sla_due(ids[2], at(1));
    const auto t = tx.tickets().find(ids[2], TicketScope::everything());
    EXPECT_EQ(t->sla_due_at, at(1));
    return t->version - before;
  });
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, 0);
}

SD_STORE_SUITE(Tickets);

}  // namespace
}  // namespace sd::store
