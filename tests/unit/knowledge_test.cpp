// Search and the knowledge base on a real store (both back ends): the index
// kept in step with every change in the same transaction, what each caller
// may find, hostile queries, existing databases indexed by the migration,
// and the knowledge base's use cases (publishing rights, versions, votes,
// solutions in the requester's language, drafts, the first-contact report).
#include "desk/knowledge.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "desk/mail.hpp"
#include "desk/reports.hpp"
#include "desk/search.hpp"
#include "desk/ticket_queries.hpp"
#include "desk/tickets.hpp"
#include "domain/search.hpp"
#include "store/repo/events.hpp"
#include "store/repo/organisations.hpp"
#include "store/repo/outbox.hpp"
#include "store/repo/search.hpp"
#include "store/repo/tickets.hpp"
#include "store_fixture.hpp"

namespace sd::desk {
namespace {

using store::Tx;
using store::testing::at;

class Knowledge : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    m_requester = Actor::user(m_user, Role::requester);
    m_other = Actor::user(add_user("other@example.com", Role::requester), Role::requester);
    m_agent = Actor::user(add_user("agent@example.com", Role::agent), Role::agent);
    m_supervisor = Actor::user(add_user("boss@example.com", Role::supervisor), Role::supervisor);
  }

  template <class F>
  auto write(F f) {
    return m_store->write([&](Tx& tx) { return f(tx); });
  }

  Ticket create(const Actor& who, const std::string& subject, const std::string& description) {
    CreateTicket c;
    c.subject = subject;
    c.description = description;
    auto r = write([&](Tx& tx) { return create_ticket(tx, who, c, at(1'000'000)); });
    EXPECT_TRUE(r) << (r ? "" : r.error().detail);
    return r ? r->value : Ticket{};
  }

  void comment(Id ticket, const std::string& body, bool internal, const Actor& who) {
    auto r = write([&](Tx& tx) {
      return comment_on_ticket(tx, who, {ticket, body, internal, {}, {}, false}, at(1'000'100));
    });
    EXPECT_TRUE(r) << (r ? "" : r.error().detail);
  }

  // Ids found by the search as `who`, in order.
  std::vector<Id> found(const Actor& who, const std::string& q,
                        std::optional<SearchKind> kind = SearchKind::ticket) {
    SearchRequest r;
    r.q = q;
    r.kind = kind;
    auto res = m_store->read([&](Tx& tx) { return search(tx, who, r); });
    EXPECT_TRUE(res) << q << ": " << (res ? "" : res.error().detail);
    std::vector<Id> ids;
    if (res)
      for (const auto& it : res->items) ids.push_back(it.id);
    return ids;
  }

  // A search of tickets alone, `limit` a page.
  static SearchRequest ticket_request(const std::string& q, int limit) {
    SearchRequest r;
    r.q = q;
    r.kind = SearchKind::ticket;
    r.limit = limit;
    return r;
  }

  // `n` new tickets, the first `matching` of them with "correo" in the
  // subject, numbered from `from` when given (as an imported desk's may
  // jump); the matching ones' ids.
  std::vector<Id> add_correo_block(std::optional<Id> from, int n, int matching) {
    if (from)
      raw()->exec("ALTER TABLE tickets ALTER COLUMN id RESTART WITH " + std::to_string(*from));
    std::vector<Id> match;
    EXPECT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
      for (int i = 0; i < n; ++i) {
        Ticket t = make_ticket(i);
        t.subject = i < matching ? "Correo rebotado " + std::to_string(i) : "Otro asunto";
        const Id id = tx.tickets().insert(t);
        if (i < matching) match.push_back(id);
      }
      return true;
    }));
    return match;
  }

  // The ticket hits of `r` as `who`, page after page from its offset; a hit
  // that comes twice fails the test.
  std::set<Id> every_page(const Actor& who, SearchRequest r) {
    std::set<Id> seen;
    for (int page = 0; page < 200; ++page) {
      auto res = m_store->read([&](Tx& tx) { return search(tx, who, r); });
      EXPECT_TRUE(res);
      if (!res) break;
      for (const auto& it : res->items)
        EXPECT_TRUE(seen.insert(it.id).second) << "twice: " << it.id;
      if (!res->more) break;
      r.ticket_offset = res->next_ticket_offset;
    }
    return seen;
  }

  // Ids the ticket list filter finds as `who`.
  std::vector<Id> listed(const Actor& who, const std::string& q) {
    auto parsed = parse_search(q);
    EXPECT_TRUE(parsed) << q;
    store::TicketQuery tq(TicketScope::everything());
    tq.terms = parsed->terms;
    tq.number = parsed->ticket_number;
    auto page = m_store->read([&](Tx& tx) { return list_tickets(tx, who, tq); });
    EXPECT_TRUE(page);
    std::vector<Id> ids;
    if (page)
      for (const auto& t : page->items) ids.push_back(t.id);
    return ids;
  }

  Article article(const Actor& who, const std::string& title, const std::string& body,
                  const std::string& language = "es-MX",
                  ArticleVisibility v = ArticleVisibility::public_,
                  std::optional<Id> translation_of = std::nullopt) {
    ArticleInput in;
    in.title = title;
    in.body = body;
    in.language = language;
    in.visibility = v;
    in.status = ArticleStatus::published;
    if (translation_of) in.translation_of = translation_of;
    auto r = write([&](Tx& tx) { return create_article(tx, who, in, at(2'000'000)); });
    EXPECT_TRUE(r) << (r ? "" : r.error().detail);
    return r ? r->value : Article{};
  }

  Actor m_requester, m_other, m_agent, m_supervisor;
};

TEST_P(Knowledge, TheIndexFollowsEveryChangeInItsTransaction) {
  const Ticket t = create(m_requester, "La impresora no imprime", "Desde la aplicación de nómina");
  EXPECT_EQ(found(m_agent, "impres"), std::vector<Id>{t.id}) << "a prefix";
  EXPECT_EQ(found(m_agent, "APLICACION nomina"), std::vector<Id>{t.id}) << "accents and case";
  EXPECT_TRUE(found(m_agent, "impresora escaner").empty()) << "every word must match";
  EXPECT_EQ(found(m_agent, "\"no imprime\""), std::vector<Id>{t.id});
  EXPECT_TRUE(found(m_agent, "\"imprime no\"").empty()) << "a phrase keeps its order";

  comment(t.id, "Reinicie el spooler", false, m_agent);
  comment(t.id, "Contraseña del administrador: zafiro", true, m_agent);
  EXPECT_EQ(found(m_agent, "spooler"), std::vector<Id>{t.id}) << "a public reply, at once";
  EXPECT_EQ(found(m_requester, "spooler"), std::vector<Id>{t.id});
  EXPECT_EQ(found(m_agent, "zafiro"), std::vector<Id>{t.id}) << "notes, for staff";
  EXPECT_TRUE(found(m_requester, "zafiro").empty()) << "never a requester's";
  EXPECT_TRUE(found(m_requester, "impresora zafiro").empty());
  EXPECT_EQ(listed(m_agent, "zafiro"), std::vector<Id>{t.id}) << "the queue filter alike";
  EXPECT_TRUE(listed(m_requester, "zafiro").empty());
  EXPECT_TRUE(found(m_other, "impresora").empty()) << "another requester's ticket";
  EXPECT_TRUE(listed(m_other, "impresora").empty());

  auto u = write([&](Tx& tx) {
    UpdateTicket c;
    c.ticket_id = t.id;
    c.subject = "El escáner no digitaliza";
    return update_ticket(tx, m_agent, c, at(1'000'200));
  });
  ASSERT_TRUE(u);
  EXPECT_EQ(found(m_agent, "escaner"), std::vector<Id>{t.id});
  EXPECT_TRUE(found(m_agent, "\"no imprime\"").empty()) << "the old subject is gone";
  EXPECT_EQ(found(m_agent, "spooler"), std::vector<Id>{t.id}) << "replies stay";

  // A change that fails leaves the index as it was.
  auto failed = write([&](Tx& tx) -> Result<bool> {
    CreateTicket c;
    c.subject = "Telefono descompuesto";
    c.description = "x";
    if (auto r = create_ticket(tx, m_requester, c, at(1'000'300)); !r) return r.error();
    return make_error(ErrorCode::conflict, "rolled back");
  });
  EXPECT_FALSE(failed);
  EXPECT_TRUE(found(m_agent, "telefono").empty());
}

// A word is a prefix from three letters; shorter ones match whole words, on
// both back ends and in articles too (the index keeps prefixes of 3 to 6).
TEST_P(Knowledge, PrefixesBeginAtThreeLetters) {
  const Ticket t = create(m_requester, "La PC no enciende", "Ni la impresora");
  const Article a = article(m_supervisor, "Impresión en la PC", "Use el panel");
  EXPECT_EQ(found(m_agent, "pc"), std::vector<Id>{t.id}) << "a short word, whole";
  EXPECT_EQ(found(m_agent, "imp"), std::vector<Id>{t.id}) << "three letters are a prefix";
  EXPECT_EQ(found(m_agent, "impreso"), std::vector<Id>{t.id}) << "and seven";
  EXPECT_TRUE(found(m_agent, "im").empty()) << "two are not";
  EXPECT_TRUE(listed(m_agent, "en").empty()) << "not in the queue filter either";
  EXPECT_EQ(listed(m_agent, "enc"), std::vector<Id>{t.id});
  EXPECT_EQ(found(m_agent, "imp", SearchKind::article), std::vector<Id>{a.id});
  EXPECT_TRUE(found(m_agent, "pa", SearchKind::article).empty());
  EXPECT_EQ(found(m_agent, "pan", SearchKind::article), std::vector<Id>{a.id});
  EXPECT_EQ(found(m_agent, "la pc"), std::vector<Id>{t.id}) << "with another short word";
}

// The window is the newest matches of all, even when the newest tickets
// promise more than the rest hold: 400 newest matches, then 5,100 tickets
// without the word, then 600 older matches. (PostgreSQL walks the newest
// rows when the probe finds many, and must go on to the older ones.)
TEST_P(Knowledge, TheWindowReachesOlderMatchesWhenTheNewestRunOut) {
  ASSERT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
    for (int i = 0; i < 6500; ++i) {
      Ticket t = make_ticket(i);
      const bool match = (i < 1000 && i % 5 < 3) || i >= 6100;
      t.subject = match ? "Correo rebotado " + std::to_string(i) : "Otro asunto";
      t.description = "Sin más";
      tx.tickets().insert(t);
    }
    return true;
  }));
  Id oldest_new = 0;
  ASSERT_TRUE(m_store->read([&](Tx& tx) -> Result<bool> {
    store::TicketQuery tq(TicketScope::everything());
    tq.limit = 400;
    auto page = tx.tickets().list(tq);
    oldest_new = page.items.back().id;
    return true;
  }));
  SearchRequest r;
  r.q = "correo";
  r.kind = SearchKind::ticket;
  r.limit = 50;
  const std::set<Id> seen = every_page(m_agent, r);
  // SQLite ranks all of up to 5,000 matches; PostgreSQL the newest 500.
  EXPECT_EQ(seen.size(), GetParam() == store::Dialect::postgres ? 500u : 1000u);
  const auto older =
      std::count_if(seen.begin(), seen.end(), [&](Id id) { return id < oldest_new; });
  EXPECT_EQ(static_cast<std::size_t>(older), seen.size() - 400) << "the older matches too";
}

// PostgreSQL reads the newest matches of a search with no filter from the
// index's newest eras, over more of them each time the window does not
// fill. The tickets' numbers jump (as a desk's may, imported): 400 oldest
// matches, 150 from 950,000, 100 from 992,000, then 2,000 newest without
// the word (the probe finds none). Two eras' range finds the 100, a wider
// one the 150 too, then every era: the window is the newest 500 of all,
// each once.
TEST_P(Knowledge, TheNewestMatchesAreReadFromTheNewestErasFirst) {
  if (GetParam() != store::Dialect::postgres) GTEST_SKIP() << "PostgreSQL's eras";
  std::set<Id> expected;
  auto keep = [&](const std::vector<Id>& ids) { expected.insert(ids.begin(), ids.end()); };
  keep(add_correo_block(std::nullopt, 400, 400));
  keep(add_correo_block(950'000, 150, 150));
  keep(add_correo_block(992'000, 2'100, 100));
  ASSERT_EQ(expected.size(), 650u);
  // The newest 500: all but the oldest 150.
  expected.erase(expected.begin(), std::next(expected.begin(), 150));
  EXPECT_EQ(every_page(m_agent, ticket_request("correo", 50)), expected);
  // The eras are read from the index (its expression is kEraTickets'), as
  // a desk of this size would were it not so small that a scan costs less.
  const std::string era = "ticket_id / " + std::to_string(store::kEraTickets);
  auto c = raw();
  c->exec("SET enable_seqscan = off");
  std::string plan;
  c->query(
      "EXPLAIN SELECT s.ticket_id FROM ticket_search s WHERE s.doc @@ "
      "to_tsquery('sd_search', 'correo') AND s." +
          era + " >= $1",
      {std::int64_t{200}}, [&](const store::Row& r) { plan += r.text(0) + "\n"; });
  EXPECT_NE(plan.find("Index Cond: ((doc @@ '''correo'''::tsquery) AND ((" + era + ") >= "),
            std::string::npos)
      << plan;
}

// A step of the eras that finds most of a window keeps it: the next would
// gather the words' matches again for the last few. 100 old matches, then
// from 992,000 450 newer ones and 2,100 newest tickets without the word:
// the first step (two eras) finds the 450, which are the window, the
// newest matches of all; the old 100 are beyond it.
TEST_P(Knowledge, AStepThatFindsMostOfTheWindowKeepsIt) {
  if (GetParam() != store::Dialect::postgres) GTEST_SKIP() << "PostgreSQL's eras";
  add_correo_block(std::nullopt, 100, 100);
  const std::vector<Id> newer = add_correo_block(992'000, 2'550, 450);
  ASSERT_GE(static_cast<std::int64_t>(newer.size()), store::kTicketWindowEnough);
  ASSERT_LT(static_cast<std::int64_t>(newer.size()), store::kTicketWindowPostgres);
  EXPECT_EQ(every_page(m_agent, ticket_request("correo", 50)),
            std::set<Id>(newer.begin(), newer.end()));
}

// A requester's word found in none of the newest tickets, and in fewer
// than a window of the whole desk's (PostgreSQL takes the desk's matches
// and keeps the scope's, without walking the requester's tickets): theirs
// alone, newest first, whether they have some or none.
TEST_P(Knowledge, ARareWordFindsARequestersOwnMatchesAndNoOneElses) {
  std::vector<Id> mine;  // newest first
  ASSERT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
    for (int i = 0; i < 2'130; ++i) {
      Ticket t = make_ticket(i);
      const bool match = i < 30, own = i % 3 == 0;
      t.requester_id = own ? m_requester.id : m_other.id;
      t.subject = match ? "Escáner " + std::to_string(i) + " atascado" : "Otro asunto";
      const Id id = tx.tickets().insert(t);
      if (match && own) mine.insert(mine.begin(), id);
    }
    return true;
  }));
  ASSERT_EQ(mine.size(), 10u);
  const std::set<Id> theirs = every_page(m_requester, ticket_request("escaner", 5));
  EXPECT_EQ(theirs, std::set<Id>(mine.begin(), mine.end()));
  EXPECT_EQ(found(m_requester, "escaner").size(), 10u);
  EXPECT_EQ(every_page(m_other, ticket_request("escaner", 50)).size(), 20u);
  EXPECT_EQ(every_page(m_agent, ticket_request("escaner", 50)).size(), 30u);
  // A requester with no match at all.
  const Actor nobody = Actor::user(add_user("nadie@example.com", Role::requester), Role::requester);
  EXPECT_TRUE(every_page(nobody, ticket_request("escaner", 50)).empty());
}

// A requester's matches lie beyond the newest index rows, and beyond the
// first stretch of their own tickets a search or a page walks: 300 of their
// oldest tickets match, then 25,000 do not, then 300 newer match, and 2,000
// tickets of another requester, one in four matching, are the newest. Every
// match is reached, in order, and only theirs. (PostgreSQL walks the requester's
// tickets, in stretches, and leaves what the walk does not reach to the
// index.)
TEST_P(Knowledge, ARequestersSearchReachesMatchesBeyondTheirNewestTickets) {
  constexpr int kOld = 300, kGap = 25'000, kNew = 300, kOthers = 2'000;
  std::vector<Id> mine;  // the requester's matches, newest first
  std::set<Id> oldest;   // those with the word only the oldest have
  std::set<Id> theirs;   // the other requester's matches
  ASSERT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
    for (int i = 0; i < kOld + kGap + kNew + kOthers; ++i) {
      Ticket t = make_ticket(i);
      const bool old = i < kOld, gap = i >= kOld && i < kOld + kGap,
                 others = i >= kOld + kGap + kNew;
      if (others) t.requester_id = m_other.id;
      const bool their_match = others && i % 4 == 0;
      t.subject = their_match     ? std::string("Correo de otro")
                  : gap || others ? "Otro asunto " + std::to_string(i)
                                  : std::string("Correo rebotado") + (old ? " antiguo" : "");
      t.description = "Sin más";
      const Id id = tx.tickets().insert(t);
      if (their_match) theirs.insert(id);
      if (!gap && !others) mine.insert(mine.begin(), id);
      if (old) oldest.insert(id);
    }
    return true;
  }));
  const bool pg = GetParam() == store::Dialect::postgres;
  SearchRequest r = ticket_request("correo", 50);
  // SQLite ranks all of up to 5,000 matches; PostgreSQL the newest 500.
  const std::size_t window = pg ? 500u : mine.size();
  EXPECT_EQ(every_page(m_requester, r), std::set<Id>(mine.begin(), mine.begin() + window));
  const std::set<Id> other_sees = every_page(m_other, r);
  EXPECT_EQ(other_sees, theirs) << "only their own";
  r.q = "antiguo";
  EXPECT_EQ(every_page(m_requester, r), oldest) << "only among the oldest";
  // The queue's filter, page after page, newest first.
  auto parsed = parse_search("correo");
  ASSERT_TRUE(parsed);
  store::TicketQuery tq(TicketScope::everything());
  tq.terms = parsed->terms;
  tq.limit = 100;
  std::vector<Id> listed_ids;
  for (int page = 0; page < 20; ++page) {
    auto res = m_store->read([&](Tx& tx) { return list_tickets(tx, m_requester, tq); });
    ASSERT_TRUE(res);
    for (const auto& t : res->items) listed_ids.push_back(t.id);
    if (!res->next) break;
    tq.after = res->next;
  }
  EXPECT_EQ(listed_ids, mine);
}

// A search's best plan hangs on its words: PostgreSQL, given the same
// prepared statement again and again, plans it once for any values (as if
// each word were in 0.5% of the tickets), and a word in every ticket then
// fetched all of them for a page. Searches are planned with their words.
TEST_P(Knowledge, SearchesArePlannedForTheirWords) {
  const Ticket t = create(m_requester, "Monitor parpadea", "Cable suelto");
  ASSERT_TRUE(m_store->read([&](Tx& tx) -> Result<bool> {
    for (int i = 0; i < 12; ++i) {
      SearchRequest r;
      r.q = i % 2 ? "monitor" : "cable suelto";
      r.kind = SearchKind::ticket;
      auto found = search(tx, m_agent, r);
      EXPECT_TRUE(found && found->items.size() == 1u);
      r.kind = SearchKind::article;
      EXPECT_TRUE(search(tx, m_agent, r));
      auto parsed = parse_search(r.q);
      store::TicketQuery tq(TicketScope::everything());
      tq.terms = parsed->terms;
      auto page = list_tickets(tx, m_agent, tq);
      EXPECT_TRUE(page && page->items.size() == 1u && page->items[0].id == t.id);
    }
    EXPECT_EQ(tx.generic_search_plans(), 0) << "a plan made for any words";
    return true;
  }));
}

TEST_P(Knowledge, NumbersAndEmailsComeFirst) {
  const Ticket a = create(m_requester, "Pantalla azul", "Ver SD-000002 también");
  const Ticket b = create(m_other, "Pantalla rota", "Nada más");
  EXPECT_EQ(found(m_agent, ticket_number(b.id)).front(), b.id);
  EXPECT_EQ(found(m_agent, std::to_string(b.id)).front(), b.id);
  EXPECT_EQ(found(m_agent, "other@example.com pantalla").front(), b.id)
      << "the requester with that address";
  EXPECT_TRUE(found(m_requester, ticket_number(b.id)).empty() ||
              found(m_requester, ticket_number(b.id)).front() != b.id)
      << "a number reaches no further than the scope";
  const auto ids = listed(m_agent, ticket_number(b.id));
  EXPECT_NE(std::find(ids.begin(), ids.end(), b.id), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), a.id), ids.end()) << "and the text naming it";
}

TEST_P(Knowledge, HostileQueriesAreQueriesOrClearRefusals) {
  create(m_requester, "near or and not", "subject body replies notes");
  const char* hostile[] = {
      "NEAR(",       "a OR",        "\"",         "*",          "**",
      "subject:foo", "{subject}:x", "^x",         "AND",        "(",
      "-x",          "\x01x",       "x\" OR \"y", "col : near", "'; DROP TABLE tickets; --",
      "\\",          "':*",         "a <-> b",    "!x & y | z", "\xff"};
  for (const char* q : hostile)
    for (const Actor* who : {&m_agent, &m_requester}) {
      SearchRequest r;
      r.q = q;
      auto res = m_store->read([&](Tx& tx) { return search(tx, *who, r); });
      if (!res) {
        EXPECT_EQ(res.error().code, ErrorCode::invalid_input) << q;
      }
      const auto p = parse_search(q);
      if (!p) continue;
      store::TicketQuery tq(TicketScope::everything());
      tq.terms = p->terms;
      auto page = m_store->read([&](Tx& tx) { return list_tickets(tx, *who, tq); });
      EXPECT_TRUE(page) << q;
    }
  EXPECT_FALSE(found(m_agent, "near or").empty()) << "operators are words like any other";
}

TEST_P(Knowledge, ManyMatchesAndFewWalkTheirOwnWay) {
  // More matches than TicketRepo::kFewMatches would take long to make here;
  // both ways are exercised with a lowered threshold through the ranked
  // window instead: the newest matches first, every one within the window.
  std::vector<Id> ids;
  for (int i = 0; i < 30; ++i)
    ids.push_back(create(m_requester, "Correo lento " + std::to_string(i), "Servidor").id);
  SearchRequest r;
  r.q = "correo";
  r.kind = SearchKind::ticket;
  r.limit = 7;
  const std::set<Id> seen = every_page(m_agent, r);
  EXPECT_EQ(seen.size(), ids.size()) << "paging reaches every match once";
}

TEST_P(Knowledge, AWordInThousandsOfTicketsRanksSubjectsFirstAndPagesOnce) {
  // More matches than store::kRankAll: the newest window, subject matches
  // first, written straight to the store for speed.
  const int many = store::kRankAll + 100;
  ASSERT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
    for (int i = 0; i < many; ++i) {
      Ticket t = make_ticket(i);
      const bool in_subject = i >= many - 30;
      t.subject = in_subject ? "Correo rebotado " + std::to_string(i) : "Otro asunto";
      t.description = "El correo del área " + std::to_string(i);
      tx.tickets().insert(t);
    }
    return true;
  }));
  SearchRequest r = ticket_request("correo", 50);
  auto first = m_store->read([&](Tx& tx) { return search(tx, m_agent, r); });
  ASSERT_TRUE(first);
  ASSERT_EQ(first->items.size(), 50u);
  for (int i = 0; i < 30; ++i)
    EXPECT_EQ(first->items[static_cast<std::size_t>(i)].title.rfind("Correo rebotado", 0), 0u)
        << i << ": " << first->items[static_cast<std::size_t>(i)].title;
  EXPECT_EQ(first->items[30].title, "Otro asunto");
  const std::set<Id> seen = every_page(m_agent, r);
  const auto window = static_cast<std::size_t>(
      GetParam() == store::Dialect::postgres ? store::kTicketWindowPostgres : store::kTicketWindow);
  EXPECT_EQ(seen.size(), window) << "the window, each once";
  // As their requester (a scope: on PostgreSQL each index row the window
  // reads is joined to its ticket), and another who has none of them.
  auto own = m_store->read([&](Tx& tx) { return search(tx, m_requester, r); });
  ASSERT_TRUE(own);
  ASSERT_EQ(own->items.size(), 50u);
  for (int i = 0; i < 30; ++i)
    EXPECT_EQ(own->items[static_cast<std::size_t>(i)].title.rfind("Correo rebotado", 0), 0u) << i;
  const std::set<Id> theirs = every_page(m_requester, r);
  EXPECT_EQ(theirs, seen) << "the same newest window";
  auto other = m_store->read([&](Tx& tx) { return search(tx, m_other, r); });
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->items.empty());
}

// A requester with a dozen tickets searches a word in thousands: only theirs,
// subject matches first, each page once; their queue's filter, the same. (SQLite walks so small a
// scope, each ticket looked up in the index, and does not rank the walk by bm25, which counts every
// match again at each look-up: 40 s a page for 2,000 tickets and a word in every one, at a
// million.)
TEST_P(Knowledge, ASmallScopeAmongManyMatchesIsWalked) {
  std::vector<Id> in_subject, in_text;  // the other requester's, oldest first
  ASSERT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
    for (int i = 0; i < 2600; ++i) {
      Ticket t = make_ticket(i);
      t.subject = "Otro asunto";
      t.description = "El correo del área " + std::to_string(i);
      tx.tickets().insert(t);
    }
    for (int i = 0; i < 12; ++i) {
      Ticket t = make_ticket(2600 + i);
      t.requester_id = m_other.id;
      t.subject = i < 4 ? "Correo rebotado " + std::to_string(i) : "Pantalla " + std::to_string(i);
      t.description = i >= 4 && i < 9 ? "Sin correo desde ayer" : "Nada más";
      const Id id = tx.tickets().insert(t);
      if (i < 4) in_subject.push_back(id);
      if (i >= 4 && i < 9) in_text.push_back(id);
    }
    return true;
  }));
  SearchRequest r = ticket_request("correo", 20);
  auto page = m_store->read([&](Tx& tx) { return search(tx, m_other, r); });
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), in_subject.size() + in_text.size());
  const std::set<Id> subjects(in_subject.begin(), in_subject.end());
  for (std::size_t i = 0; i < page->items.size(); ++i)
    EXPECT_EQ(subjects.count(page->items[i].id), i < in_subject.size() ? 1u : 0u)
        << i << ": " << page->items[i].title;
  r.limit = 5;
  std::set<Id> all(in_subject.begin(), in_subject.end());
  all.insert(in_text.begin(), in_text.end());
  EXPECT_EQ(every_page(m_other, r), all);
  // Their queue's filter (SQLite checks their tickets one by one), newest first.
  EXPECT_EQ(listed(m_other, "correo"), std::vector<Id>(all.rbegin(), all.rend()));
}

// SQLite looks up a small scope's tickets in the index a stretch at a time,
// newest first, until kTicketWindowWalked of them match, and leaves the
// search to the index leading when the rest of the walk would cost more
// than reading the words' matches.
TEST_P(Knowledge, AScopesWalkTakesItsNewestMatchesAStretchAtATime) {
  if (GetParam() == store::Dialect::postgres) GTEST_SKIP() << "SQLite's walk";
  constexpr int kSparse = 1'400, kDense = 700;
  std::vector<Id> sparse, dense;  // matches, newest first
  ASSERT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
    for (int i = 0; i < kSparse + kDense; ++i) {
      Ticket t = make_ticket(i);
      const bool mine = i >= kSparse;
      if (!mine) t.requester_id = m_other.id;
      const bool match = mine || i % 4 == 0;
      t.subject = match ? "Correo " + std::to_string(i) : "Otro asunto";
      const Id id = tx.tickets().insert(t);
      if (match) (mine ? dense : sparse).insert(mine ? dense.begin() : sparse.begin(), id);
    }
    return true;
  }));
  auto terms = parse_search("correo");
  ASSERT_TRUE(terms);
  const std::string match =
      store::fts5_match(terms->terms, store::TermMatch::all, store::TicketText::public_only, true);
  auto walk = [&](const Actor& who, std::int64_t matches, std::vector<Id>& window) {
    return m_store->read([&](Tx& tx) -> Result<bool> {
      return tx.search().walk_scope(match, store::TicketSearch(ticket_scope(who)), matches, window);
    });
  };
  // One in four of 1,400: a stretch of 500 finds 125, the next the rest.
  std::vector<Id> window;
  auto walked = walk(m_other, 1'000'000'000, window);
  ASSERT_TRUE(walked);
  EXPECT_TRUE(*walked);
  EXPECT_EQ(window, sparse) << "every match of the scope, newest first";
  // The same where the desk's matches are few: 875 more look-ups would
  // cost more than reading them all.
  window.clear();
  walked = walk(m_other, static_cast<std::int64_t>(sparse.size() + dense.size()), window);
  ASSERT_TRUE(walked);
  EXPECT_FALSE(*walked);
  EXPECT_TRUE(window.empty());
  // Every one of 700 matching: the newest 500, in one stretch.
  window.clear();
  walked = walk(m_requester, 1'000'000'000, window);
  ASSERT_TRUE(walked);
  EXPECT_TRUE(*walked);
  EXPECT_EQ(window, std::vector<Id>(dense.begin(), dense.begin() + store::kTicketWindowWalked));
}

// A requester whose organisation shares its tickets, with more of them than
// SQLite walks (each match checked in the requester's and the
// organisation's indexes): theirs and their organisation's, no one else's.
TEST_P(Knowledge, AnOrganisationsSharedTicketsAreSearchedBeyondAFewThousand) {
  auto org = write([](Tx& tx) -> Result<Id> {
    return tx.organisations().insert(Organisation{0, "Org", true, at(1)});
  });
  ASSERT_TRUE(org);
  const Id colleague = add_user("colega@example.com", Role::requester, *org);
  const Actor me =
      Actor::user(add_user("yo@example.com", Role::requester, *org), Role::requester, *org, true);
  constexpr int kShared = static_cast<int>(store::kRankAll) + 200, kMine = 20, kOthers = 3'000;
  std::set<Id> ours, mine;
  ASSERT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
    for (int i = 0; i < kShared + kMine + kOthers; ++i) {
      Ticket t = make_ticket(i);
      const bool shared = i < kShared, own = i >= kShared && i < kShared + kMine;
      t.requester_id = shared ? colleague : own ? me.id : m_requester.id;
      if (shared) t.organisation_id = *org;
      const bool match = !shared || i % 2 == 0;
      t.subject = match ? "Correo " + std::to_string(i) : "Otro asunto";
      const Id id = tx.tickets().insert(t);
      if (match && !(i >= kShared + kMine)) ours.insert(id);
      if (own) mine.insert(id);
    }
    return true;
  }));
  const SearchRequest r = ticket_request("correo", 100);
  // SQLite ranks all of up to 5,000 matches; PostgreSQL the newest 500.
  const bool pg = GetParam() == store::Dialect::postgres;
  const std::size_t window =
      pg ? static_cast<std::size_t>(store::kTicketWindowPostgres) : ours.size();
  EXPECT_EQ(every_page(me, r),
            std::set<Id>(std::prev(ours.end(), static_cast<long>(window)), ours.end()))
      << "their own and their organisation's";
  const std::set<Id> theirs = every_page(m_requester, r);
  EXPECT_EQ(theirs.size(), pg ? window : static_cast<std::size_t>(kOthers));
  for (Id id : theirs) EXPECT_TRUE(!ours.count(id)) << id;
  const Actor alone = Actor::user(me.id, Role::requester, *org, false);
  EXPECT_EQ(every_page(alone, r), mine) << "an organisation that does not share";
}

// PostgreSQL's index holds each ticket's requester and organisation
// (migration 14), which a requester's search reads: written with the rest
// of the row, and kept in step when a ticket changes hands by a statement
// the search does not see. Their matches are more than a small scope's
// (kRankAll), which PostgreSQL would walk in the tickets themselves.
TEST_P(Knowledge, TheIndexFollowsATicketToItsNewRequester) {
  auto org = write([](Tx& tx) -> Result<Id> {
    return tx.organisations().insert(Organisation{0, "Org", true, at(1)});
  });
  ASSERT_TRUE(org);
  constexpr int kMine = static_cast<int>(store::kRankAll) + 100;
  Id moved = 0;
  ASSERT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
    for (int i = 0; i <= kMine; ++i) {
      Ticket t = make_ticket(i);
      t.subject = "Correo " + std::to_string(i);
      if (i == kMine) t.requester_id = m_other.id;  // the newest, someone else's
      moved = tx.tickets().insert(t);
    }
    return true;
  }));
  const SearchRequest r = ticket_request("correo", 50);
  EXPECT_EQ(every_page(m_other, r), std::set<Id>{moved});
  const std::set<Id> before = every_page(m_requester, r);
  EXPECT_FALSE(before.count(moved));
  EXPECT_TRUE(before.count(moved - 1)) << "their newest";
  auto c = raw();
  c->exec("UPDATE tickets SET requester_id = " + std::to_string(m_user) +
          ", organisation_id = " + std::to_string(*org) + " WHERE id = " + std::to_string(moved));
  EXPECT_TRUE(every_page(m_requester, r).count(moved)) << "the ticket that became theirs";
  EXPECT_TRUE(every_page(m_other, r).empty());
  if (GetParam() != store::Dialect::postgres) return;
  std::vector<std::int64_t> keys;
  c->query("SELECT requester_id, organisation_id FROM ticket_search WHERE ticket_id = $1",
           {std::int64_t{moved}}, [&](const store::Row& row) {
             keys = {row.i64(0), row.is_null(1) ? 0 : row.i64(1)};
           });
  EXPECT_EQ(keys, (std::vector<std::int64_t>{m_user, *org}));
  // The requester's condition is read from the index, as a desk of this
  // size would were it not so small that a scan costs less.
  c->exec("SET enable_seqscan = off");
  std::string plan;
  c->query(
      "EXPLAIN SELECT s.ticket_id FROM ticket_search s WHERE s.doc @@ "
      "to_tsquery('sd_search', 'correo') AND s.requester_id = $1",
      {std::int64_t{m_user}}, [&](const store::Row& row) { plan += row.text(0) + "\n"; });
  EXPECT_NE(plan.find("Index Cond: ((doc @@ '''correo'''::tsquery) AND (requester_id = "),
            std::string::npos)
      << plan;
}

// A requester with a few hundred tickets searches a word in nearly every
// ticket of a desk of a million (the newest 2,000 all someone else's):
// PostgreSQL walks their own tickets rather than the index's matches of
// the word. Their newest 500 matches, and no one else's.
TEST_P(Knowledge, ASmallScopesCommonWordIsItsOwnNewestMatches) {
  constexpr int kMine = 600, kOthers = 2'000;
  std::vector<Id> mine;  // oldest first
  auto block = [&](int n, Id requester, std::vector<Id>* into) {
    ASSERT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
      for (int i = 0; i < n; ++i) {
        Ticket t = make_ticket(i);
        t.requester_id = requester;
        t.subject = "Correo " + std::to_string(i);
        const Id id = tx.tickets().insert(t);
        if (into) into->push_back(id);
      }
      return true;
    }));
  };
  block(kMine, m_user, &mine);
  if (GetParam() == store::Dialect::postgres)
    raw()->exec("ALTER TABLE tickets ALTER COLUMN id RESTART WITH 1000000");
  block(kOthers, m_other.id, nullptr);
  const std::set<Id> found_mine = every_page(m_requester, ticket_request("correo", 50));
  const bool pg = GetParam() == store::Dialect::postgres;
  const auto window = pg ? static_cast<std::size_t>(store::kTicketWindowPostgres) : mine.size();
  EXPECT_EQ(found_mine, std::set<Id>(std::prev(mine.end(), static_cast<long>(window)), mine.end()));
}

TEST_P(Knowledge, TheQueueFilterReadsManyMatchesInEachOrderOnce) {
  // More matches than TicketRepo::kFewMatches: by number the index leads;
  // by another order an exact word is checked ticket by ticket and a
  // prefix is a set. Every way gives the same tickets, each once.
  const int many = static_cast<int>(store::TicketRepo::kFewMatches) + 50;
  ASSERT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
    for (int i = 0; i < many; ++i) {
      Ticket t = make_ticket(i);
      t.subject = i % 2 ? "Correo lento" : "Correo caído";
      t.description = "Servidor de correo " + std::to_string(i);
      tx.tickets().insert(t);
    }
    return true;
  }));
  auto pages = [&](const std::string& text, store::TicketSort sort, bool descending) {
    store::TicketQuery q(TicketScope::everything());
    q.terms = (*parse_search(text)).terms;
    q.sort = sort;
    q.descending = descending;
    q.limit = 200;
    std::vector<Id> ids;
    for (int page = 0; page < 3; ++page) {
      auto p = m_store->read(
          [&](Tx& tx) -> Result<store::Page<Ticket>> { return tx.tickets().list(q); });
      EXPECT_TRUE(p);
      if (!p) break;
      for (const auto& t : p->items) ids.push_back(t.id);
      if (!p->next) break;
      q.after = p->next;
    }
    return ids;
  };
  const auto by_number = pages("correo", store::TicketSort::id, true);
  ASSERT_EQ(by_number.size(), 600u);
  for (std::size_t i = 1; i < by_number.size(); ++i) ASSERT_GT(by_number[i - 1], by_number[i]);
  EXPECT_EQ(by_number.front(), static_cast<Id>(many)) << "the newest first";
  EXPECT_EQ(pages("corr", store::TicketSort::id, true), by_number) << "a prefix, the same";
  const auto oldest = pages("correo", store::TicketSort::id, false);
  ASSERT_EQ(oldest.size(), 600u);
  EXPECT_EQ(oldest.front(), 1);
  const auto lento = pages("correo lento", store::TicketSort::id, true);
  ASSERT_EQ(lento.size(), 600u);
  for (Id id : lento) EXPECT_EQ(id % 2, 0) << "ticket " << id << " is not lento";
  for (const char* text : {"correo", "corr"}) {
    const auto by_priority = pages(text, store::TicketSort::priority, true);
    EXPECT_EQ(by_priority.size(), 600u) << text;
    EXPECT_EQ(std::set<Id>(by_priority.begin(), by_priority.end()).size(), 600u) << text;
    const auto by_subject = pages(text, store::TicketSort::subject, false);
    EXPECT_EQ(std::set<Id>(by_subject.begin(), by_subject.end()).size(), 600u) << text;
  }
  if (GetParam() == store::Dialect::postgres) return;
  // Opened again, as a server starts: the planner's statistics count these
  // tickets (migrate gathers them).
  m_store.reset();
  m_store = open(options());
  ASSERT_TRUE(m_store->migrate(at(1)));
  // SQLite's plans: in an order with an index the page walks it, each
  // ticket looked up in the set of matches, and stops when it is full (read
  // from the set, every match's ticket was read and sorted: 120 ms at a
  // million); in an order with no index every match is read from the set
  // (checked ticket by ticket, the whole desk was: 20 s at a million).
  auto plan = [&](const std::string& text, store::TicketSort sort) {
    store::TicketQuery q(TicketScope::everything());
    q.terms = (*parse_search(text)).terms;
    q.sort = sort;
    q.limit = 50;
    auto p =
        m_store->read([&](Tx& tx) -> Result<std::string> { return tx.tickets().list_plan(q); });
    EXPECT_TRUE(p);
    return p ? *p : std::string();
  };
  for (const char* text : {"correo", "corr"}) {
    const std::string by_priority = plan(text, store::TicketSort::priority);
    EXPECT_NE(by_priority.find("tickets_priority"), std::string::npos) << text << by_priority;
    EXPECT_EQ(by_priority.find("TEMP B-TREE"), std::string::npos) << text << by_priority;
    const std::string by_subject = plan(text, store::TicketSort::subject);
    EXPECT_EQ(by_subject.find("SCAN tickets"), std::string::npos) << text << by_subject;
  }
}

// The queue filter listed by priority, page after page: each match once,
// in the order of (priority, number) the list promises, whatever reads it
// (PostgreSQL, most urgent first: one priority at a time from the index).
class KnowledgeByPriority : public Knowledge {
 protected:
  struct Made {
    Id id;
    Priority priority;
    TicketStatus status;
    Id requester;
  };
  // Tickets with "correo" in `n` of every `of`, their priorities in runs
  // as a desk's words come: for each priority, how many tickets in turn.
  std::vector<Made> add_runs(const std::vector<std::pair<Priority, int>>& runs, int n, int of) {
    std::vector<Made> made;
    EXPECT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
      int i = 0;
      for (const auto& [priority, count] : runs)
        for (int k = 0; k < count; ++k, ++i) {
          Ticket t = make_ticket(i);
          t.priority = priority;
          const bool match = i % of < n;
          t.subject = match ? "Correo rebotado " + std::to_string(i) : "Otro asunto";
          t.status = i % 3 == 0 ? TicketStatus::in_progress : TicketStatus::new_;
          t.requester_id = i % 2 == 0 ? m_requester.id : m_other.id;
          const Id id = tx.tickets().insert(t);
          if (match) made.push_back({id, priority, t.status, t.requester_id});
        }
      return true;
    }));
    return made;
  }

  // More critical tickets without the words than PostgreSQL's search walks
  // in the list's order (kPriorityWalkTickets) before it reads a priority
  // at a time from the index: a first page past them is read that way.
  void add_critical_without_the_words() {
    const auto none = add_runs(
        {{Priority::critical, static_cast<int>(store::TicketRepo::kPriorityWalkTickets) + 100}}, 0,
        1);
    EXPECT_TRUE(none.empty());
  }

  // Every page of the list as `q` asks, `limit` a page; a ticket twice
  // fails the test.
  std::vector<Id> pages(store::TicketQuery q) {
    std::vector<Id> ids;
    std::set<Id> seen;
    for (int page = 0; page < 500; ++page) {
      auto p = m_store->read(
          [&](Tx& tx) -> Result<store::Page<Ticket>> { return tx.tickets().list(q); });
      EXPECT_TRUE(p);
      if (!p) break;
      for (const auto& t : p->items) {
        EXPECT_TRUE(seen.insert(t.id).second) << "twice: " << t.id;
        ids.push_back(t.id);
      }
      if (!p->next) break;
      q.after = p->next;
    }
    return ids;
  }

  static store::TicketQuery by_priority(TicketScope scope, const std::string& text,
                                        bool urgent_first, int limit) {
    store::TicketQuery q(scope);
    q.terms = (*parse_search(text)).terms;
    q.text = store::TicketText::with_notes;
    q.sort = store::TicketSort::priority;
    q.descending = urgent_first;
    q.limit = limit;
    return q;
  }

  // The matches `keep` keeps, most urgent first and oldest first within a
  // priority (or the reverse of both).
  static std::vector<Id> expected(std::vector<Made> made, bool urgent_first,
                                  const std::function<bool(const Made&)>& keep = nullptr) {
    if (keep) std::erase_if(made, [&](const Made& m) { return !keep(m); });
    std::ranges::sort(made, [](const Made& a, const Made& b) {
      return std::pair(a.priority, a.id) < std::pair(b.priority, b.id);
    });
    std::vector<Id> ids;
    for (const auto& m : made) ids.push_back(m.id);
    if (!urgent_first) std::ranges::reverse(ids);
    return ids;
  }
};

TEST_P(KnowledgeByPriority, EveryPageHoldsTheNextMatchesInTheirOrder) {
  // The critical tickets first and last, none of the words' matches among
  // the medium ones: a page runs across priorities, and one finds none.
  // The first page is read past many critical tickets without the words,
  // the later ones mostly from where the words are in most tickets.
  add_critical_without_the_words();
  const auto made = add_runs({{Priority::critical, 40},
                              {Priority::low, 300},
                              {Priority::high, 60},
                              {Priority::medium, 100},
                              {Priority::critical, 25},
                              {Priority::low, 80}},
                             1, 3);
  // And after the last critical match: a page that ends just before it
  // reads the next priorities from the index, after its cursor.
  add_critical_without_the_words();
  ASSERT_GT(made.size(), 150u);
  for (const char* text : {"correo", "corr", "correo rebotado"}) {
    for (bool urgent_first : {true, false})
      for (int limit : {7, 50})
        EXPECT_EQ(pages(by_priority(TicketScope::everything(), text, urgent_first, limit)),
                  expected(made, urgent_first))
            << text << " urgent first " << urgent_first << " limit " << limit;
    // With a filter, a priority filter, and a requester's scope.
    auto q = by_priority(TicketScope::everything(), text, true, 9);
    q.statuses = {TicketStatus::in_progress};
    EXPECT_EQ(
        pages(q),
        expected(made, true, [](const Made& m) { return m.status == TicketStatus::in_progress; }))
        << text;
    q = by_priority(TicketScope::everything(), text, true, 9);
    q.priorities = {Priority::low, Priority::critical};
    EXPECT_EQ(pages(q), expected(made, true,
                                 [](const Made& m) {
                                   return m.priority == Priority::low ||
                                          m.priority == Priority::critical;
                                 }))
        << text;
    q = by_priority(TicketScope{TicketScope::Kind::own, m_requester.id, std::nullopt}, text, true,
                    9);
    q.text = store::TicketText::public_only;
    EXPECT_EQ(pages(q),
              expected(made, true, [&](const Made& m) { return m.requester == m_requester.id; }))
        << text;
  }
  // A word nobody wrote: an empty list.
  EXPECT_TRUE(pages(by_priority(TicketScope::everything(), "zzyzx", true, 9)).empty());
}

// A ticket whose priority changes, and nothing else (the search does not
// index it again): the index's priority follows, or the list by priority
// would leave it out (PostgreSQL reads a priority's matches from the index
// and keeps those the ticket still has).
TEST_P(KnowledgeByPriority, APriorityChangedLaterIsListedInItsNewPlace) {
  add_critical_without_the_words();
  auto made = add_runs({{Priority::low, 30}, {Priority::high, 30}}, 1, 2);
  ASSERT_EQ(made.size(), 30u);
  ASSERT_TRUE(m_store->write([&](Tx& tx) -> Result<bool> {
    for (Made* m : {&made[0], &made[20]}) {
      auto t = tx.tickets().find(m->id, TicketScope::everything());
      EXPECT_TRUE(t);
      if (!t) return false;
      t->priority = Priority::critical;
      tx.tickets().update(*t);
      m->priority = Priority::critical;
    }
    return true;
  }));
  for (bool urgent_first : {true, false})
    EXPECT_EQ(pages(by_priority(TicketScope::everything(), "correo", urgent_first, 4)),
              expected(made, urgent_first));
}

// More matches of one priority than a step reads (kPriorityStepMatches):
// from there on the page is the list's statement for that priority and
// the next ones, after the few of the priority before.
TEST_P(KnowledgeByPriority, APriorityWithManyMatchesIsReadAsTheRestOfTheList) {
  add_critical_without_the_words();
  const int many = static_cast<int>(store::TicketRepo::kPriorityStepMatches) + 30;
  const auto made =
      add_runs({{Priority::high, many}, {Priority::critical, 30}, {Priority::medium, 20}}, 1, 1);
  ASSERT_EQ(made.size(), static_cast<std::size_t>(many + 50));
  EXPECT_EQ(pages(by_priority(TicketScope::everything(), "correo", true, 500)),
            expected(made, true));
  EXPECT_EQ(pages(by_priority(TicketScope::everything(), "corr", true, 700)), expected(made, true));
}

SD_STORE_SUITE(KnowledgeByPriority);

TEST_P(Knowledge, SnippetsAreEscapedAndMarked) {
  create(m_requester, "Error <b>grave</b> & raro", "El <script>alert(1)</script> del portal falla");
  SearchRequest r;
  r.q = "portal";
  auto res = m_store->read([&](Tx& tx) { return search(tx, m_agent, r); });
  ASSERT_TRUE(res);
  ASSERT_EQ(res->items.size(), 1u);
  const std::string& s = res->items[0].snippet;
  EXPECT_NE(s.find("<mark>portal</mark>"), std::string::npos) << s;
  EXPECT_EQ(s.find("<script"), std::string::npos) << s;
  EXPECT_NE(s.find("&lt;/script&gt;"), std::string::npos) << "shown as written: " << s;
}

// A page's snippets (PostgreSQL reads them in one statement) each come
// from their own ticket.
TEST_P(Knowledge, EachHitOfAPageHasItsOwnSnippet) {
  std::map<Id, std::string> color;
  for (const char* c : {"rojo", "verde", "azul", "negro"}) {
    const Id id = create(m_requester, "Pantalla parpadea",
                         std::string("El monitor ") + c + " parpadea al encender")
                      .id;
    color[id] = c;
  }
  SearchRequest r = ticket_request("monitor", 10);
  auto res = m_store->read([&](Tx& tx) { return search(tx, m_agent, r); });
  ASSERT_TRUE(res);
  ASSERT_EQ(res->items.size(), color.size());
  for (const auto& it : res->items) {
    ASSERT_TRUE(color.count(it.id)) << it.id;
    EXPECT_NE(it.snippet.find(color[it.id]), std::string::npos) << it.id << ": " << it.snippet;
    EXPECT_NE(it.snippet.find("<mark>monitor</mark>"), std::string::npos) << it.snippet;
  }
}

TEST_P(Knowledge, PublishingIsForSupervisorsUnlessTheDeskSaysOtherwise) {
  ArticleInput in;
  in.title = "Cómo pedir un monitor";
  in.body = "Pídalo a su jefe.";
  in.language = "es-MX";
  in.visibility = ArticleVisibility::public_;
  in.status = ArticleStatus::published;
  auto refused = write([&](Tx& tx) { return create_article(tx, m_agent, in, at(5)); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::forbidden);
  in.status = ArticleStatus::draft;
  auto draft = write([&](Tx& tx) { return create_article(tx, m_agent, in, at(5)); });
  ASSERT_TRUE(draft);
  ArticleInput publish;
  publish.status = ArticleStatus::published;
  EXPECT_FALSE(write(
      [&](Tx& tx) { return update_article(tx, m_agent, draft->value.id, {}, publish, at(6)); }));
  ASSERT_TRUE(write([&](Tx& tx) {
    return set_agents_may_publish(tx, Actor::user(1, Role::admin), true, at(7));
  }));
  auto published = write(
      [&](Tx& tx) { return update_article(tx, m_agent, draft->value.id, {}, publish, at(8)); });
  ASSERT_TRUE(published);
  EXPECT_EQ(published->value.status, ArticleStatus::published);
  EXPECT_EQ(published->value.published_at, at(8));
  EXPECT_EQ(published->value.version, 2);
  EXPECT_FALSE(write([&](Tx& tx) { return create_article(tx, m_requester, in, at(9)); }))
      << "requesters write no articles";
}

TEST_P(Knowledge, EverySaveIsAVersionAndAStaleOneIsRefused) {
  Article a = article(m_supervisor, "VPN", "Paso uno\nPaso dos\n");
  ArticleInput edit;
  edit.body = "Paso uno\nPaso 2\nPaso tres\n";
  auto v2 = write([&](Tx& tx) { return update_article(tx, m_agent, a.id, 1, edit, at(3)); });
  EXPECT_FALSE(v2) << "an agent's change to a published article would publish it";
  v2 = write([&](Tx& tx) { return update_article(tx, m_supervisor, a.id, 1, edit, at(3)); });
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->value.version, 2);
  auto stale =
      write([&](Tx& tx) { return update_article(tx, m_supervisor, a.id, 1, edit, at(4)); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::precondition_failed);
  auto same = write([&](Tx& tx) { return update_article(tx, m_supervisor, a.id, 2, edit, at(5)); });
  ASSERT_TRUE(same);
  EXPECT_EQ(same->value.version, 2) << "nothing changed, nothing written";
  auto versions = m_store->read([&](Tx& tx) { return article_versions(tx, m_agent, a.id); });
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].body, "Paso uno\nPaso 2\nPaso tres\n");
  EXPECT_EQ((*versions)[1].body, "Paso uno\nPaso dos\n");
  EXPECT_FALSE(m_store->read([&](Tx& tx) { return article_versions(tx, m_requester, a.id); }));
  EXPECT_EQ(found(m_requester, "tres", SearchKind::article), std::vector<Id>{a.id})
      << "the index has the new text";
}

TEST_P(Knowledge, RequestersReadPublicPublishedArticlesOnly) {
  Article pub = article(m_supervisor, "Guía de la impresora", "Cambiar el tóner");
  Article internal = article(m_supervisor, "Impresora: diagnóstico interno", "Tóner del servidor",
                             "es-MX", ArticleVisibility::internal);
  ArticleInput d;
  d.title = "Impresora: borrador";
  d.body = "Tóner";
  d.language = "es-MX";
  d.visibility = ArticleVisibility::public_;
  d.status = ArticleStatus::draft;
  auto draft = write([&](Tx& tx) { return create_article(tx, m_agent, d, at(3)); });
  ASSERT_TRUE(draft);
  EXPECT_EQ(found(m_requester, "toner", SearchKind::article), std::vector<Id>{pub.id});
  EXPECT_EQ(found(m_agent, "toner", SearchKind::article).size(), 3u);
  for (Id hidden : {internal.id, draft->value.id}) {
    auto r = m_store->read([&](Tx& tx) { return get_article(tx, m_requester, hidden); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::not_found);
  }
  store::ArticleQuery q;
  q.visibility = ArticleVisibility::internal;
  auto page = m_store->read([&](Tx& tx) { return list_articles(tx, m_requester, q); });
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
  auto s = m_store->read([&](Tx& tx) {
    return suggest_articles(tx, m_requester, "mi impresora no tiene toner", std::nullopt, 5);
  });
  ASSERT_TRUE(s);
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].id, pub.id);
}

TEST_P(Knowledge, OneVotePerPersonAndDeflectionsAreKept) {
  Article a = article(m_supervisor, "Firma del correo", "Configúrela en ajustes");
  auto vote = [&](const Actor& who, bool helpful) {
    return write([&](Tx& tx) { return vote_on_article(tx, who, a.id, helpful, at(10)); });
  };
  ASSERT_TRUE(vote(m_requester, true));
  ASSERT_TRUE(vote(m_requester, true));
  auto v = vote(m_requester, false);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->value.yes, 0);
  EXPECT_EQ(v->value.no, 1);
  v = vote(m_other, true);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->value.yes, 1);
  EXPECT_EQ(v->value.no, 1);
  auto d = write(
      [&](Tx& tx) { return record_deflection(tx, m_requester, a.id, "firma del correo", at(11)); });
  ASSERT_TRUE(d);
  auto report = m_store->read(
      [&](Tx& tx) { return knowledge_report(tx, m_supervisor, at(0), at(1'000'000'000)); });
  ASSERT_TRUE(report);
  EXPECT_EQ(report->deflections, 1);
  ASSERT_EQ(report->top_deflecting.size(), 1u);
  EXPECT_EQ(report->top_deflecting[0].article_id, a.id);
  EXPECT_FALSE(m_store->read([&](Tx& tx) {
    return knowledge_report(tx, m_agent, at(0), at(1'000'000'000));
  })) << "reports are for supervisors";
}

TEST_P(Knowledge, ASolutionIsGivenInTheRequestersLanguage) {
  auto english = write([&](Tx& tx) -> Result<bool> {
    auto u = tx.users().find(m_other.id);
    u->language = "en";
    tx.users().update(*u);
    return true;
  });
  ASSERT_TRUE(english);
  Article es = article(m_supervisor, "Reiniciar el módem", "Desconéctelo 30 segundos");
  Article en = article(m_supervisor, "Restart the modem", "Unplug it for 30 seconds", "en",
                       ArticleVisibility::public_, es.id);
  Article internal =
      article(m_supervisor, "Módem: interno", "x", "es-MX", ArticleVisibility::internal);
  const Ticket t = create(m_other, "No internet", "Since this morning");
  MailIdentity desk;
  desk.from = {"Mesa de Servicio", "help@desk.test"};
  desk.sending = true;
  configure_mail(desk);
  auto link = write([&](Tx& tx) { return link_solution(tx, m_agent, t.id, es.id, at(20)); });
  configure_mail({});
  ASSERT_TRUE(link) << link.error().detail;
  auto mail = m_store->read([&](Tx& tx) -> Result<std::vector<OutboxMessage>> {
    return tx.outbox().of_ticket(t.id, 10);
  });
  ASSERT_TRUE(mail);
  const auto sent = std::find_if(mail->begin(), mail->end(),
                                 [](const OutboxMessage& m) { return m.kind == "solution"; });
  ASSERT_NE(sent, mail->end()) << "the article is mailed to the requester";
  EXPECT_EQ(sent->to_address, "other@example.com");
  EXPECT_EQ(sent->language, "en");
  EXPECT_NE(sent->body.find("This article from our knowledge base answers"), std::string::npos);
  EXPECT_NE(sent->body.find("Unplug it for 30 seconds"), std::string::npos) << sent->body;
  EXPECT_EQ(link->value.article_id, en.id) << "the translation in the requester's language";
  ASSERT_EQ(link->events.size(), 1u);
  EXPECT_EQ(link->events[0].kind, EventKind::solution_linked);
  EXPECT_FALSE(link->events[0].internal);
  EXPECT_EQ(link->events[0].body.rfind("Restart the modem", 0), 0u);
  auto again = write([&](Tx& tx) { return link_solution(tx, m_agent, t.id, es.id, at(21)); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
  auto hidden =
      write([&](Tx& tx) { return link_solution(tx, m_agent, t.id, internal.id, at(22)); });
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, ErrorCode::invalid_input);
  EXPECT_FALSE(write([&](Tx& tx) { return link_solution(tx, m_other, t.id, es.id, at(23)); }))
      << "staff give solutions";
  auto seen = m_store->read([&](Tx& tx) { return ticket_events(tx, m_other, t.id); });
  ASSERT_TRUE(seen);
  EXPECT_TRUE(std::any_of(seen->begin(), seen->end(), [](const Event& e) {
    return e.kind == EventKind::solution_linked;
  })) << "the requester sees it on the timeline";
  auto solutions = m_store->read([&](Tx& tx) { return ticket_solutions(tx, m_other, t.id); });
  ASSERT_TRUE(solutions);
  ASSERT_EQ(solutions->size(), 1u);
  EXPECT_EQ((*solutions)[0].language, "en");
  EXPECT_FALSE(m_store->read([&](Tx& tx) { return ticket_solutions(tx, m_requester, t.id); }));
}

TEST_P(Knowledge, ASolvedTicketBecomesADraftAndFirstContactIsCounted) {
  const Ticket first = create(m_requester, "Olvidé mi contraseña", "No puedo entrar");
  const Ticket escalated = create(m_requester, "Servidor caído", "Nada responde");
  const Ticket reopened = create(m_requester, "Monitor parpadea", "A ratos");
  auto resolve = [&](Id id, Instant now) {
    // To work first, when it is not already (a reopened one is).
    (void)write([&](Tx& tx) {
      return transition_ticket(tx, m_agent, {id, TicketStatus::in_progress, {}}, now);
    });
    ASSERT_TRUE(write([&](Tx& tx) {
      return comment_on_ticket(tx, m_agent,
                               {id, "Se restableció desde la consola.", false, {}, {}, false}, now);
    }));
    ASSERT_TRUE(write([&](Tx& tx) {
      return transition_ticket(tx, m_agent, {id, TicketStatus::resolved, {}}, now);
    }));
  };
  auto open_draft = write(
      [&](Tx& tx) { return draft_article_from_ticket(tx, m_agent, first.id, at(1'000'500)); });
  ASSERT_FALSE(open_draft);
  EXPECT_EQ(open_draft.error().code, ErrorCode::conflict) << "only a solved ticket";
  resolve(first.id, at(1'001'000));
  ASSERT_TRUE(write([&](Tx& tx) {
    return escalate_ticket(tx, m_agent, {escalated.id, 2, "Needs the network team", {}},
                           at(1'001'000));
  }));
  resolve(escalated.id, at(1'002'000));
  resolve(reopened.id, at(1'002'000));
  ASSERT_TRUE(write([&](Tx& tx) {
    return transition_ticket(tx, m_requester, {reopened.id, TicketStatus::in_progress, {}},
                             at(1'003'000));
  }));
  resolve(reopened.id, at(1'004'000));
  auto report = m_store->read(
      [&](Tx& tx) { return knowledge_report(tx, m_supervisor, at(0), at(2'000'000)); });
  ASSERT_TRUE(report);
  EXPECT_EQ(report->resolved, 3);
  EXPECT_EQ(report->first_contact, 1) << "not the escalated one, nor the reopened one";

  auto draft = write(
      [&](Tx& tx) { return draft_article_from_ticket(tx, m_agent, first.id, at(1'005'000)); });
  ASSERT_TRUE(draft) << draft.error().detail;
  EXPECT_EQ(draft->value.status, ArticleStatus::draft);
  EXPECT_EQ(draft->value.visibility, ArticleVisibility::internal);
  EXPECT_EQ(draft->value.source_ticket_id, first.id);
  EXPECT_EQ(draft->value.title, "Olvidé mi contraseña");
  EXPECT_NE(draft->value.body.find("No puedo entrar"), std::string::npos);
  EXPECT_NE(draft->value.body.find("Se restableció desde la consola."), std::string::npos);
}

SD_STORE_SUITE(Knowledge);

// A database of the schema before the index (version 10) gets its tickets,
// replies and notes indexed by the migration that brings it.
class SearchUpgrade : public store::testing::StoreTest {
 protected:
  bool migrate_on_setup() const override { return false; }
};

TEST_P(SearchUpgrade, ExistingTicketsAreIndexed) {
  {
    auto c = raw();
    ASSERT_EQ(store::migrate(*c, at(1), 10), 10);
    c->exec(
        "INSERT INTO users (email, email_key, name, phone, role, language, timezone, active, "
        "created_at) VALUES ('old@example.com', 'old@example.com', 'Old', '', 'requester', "
        "'es-MX', 'UTC', 1, 10)");
    c->exec(
        "INSERT INTO tickets (type, channel, impact, criticality, priority, support_level, "
        "status, requester_id, subject, description, created_at, updated_at) VALUES ('incident', "
        "'web', 'critical', 'low', 3, 1, 'new', 1, 'Teclado mojado', 'Se derramó café', 20, 20)");
    c->exec(
        "INSERT INTO events (ticket_id, kind, actor_id, internal, body, created_at) VALUES (1, "
        "'reply', 1, 0, 'Use el de repuesto', 30)");
    c->exec(
        "INSERT INTO events (ticket_id, kind, actor_id, internal, body, created_at) VALUES (1, "
        "'note', 1, 1, 'Cargo al área de compras', 31)");
  }
  m_store = open(options());
  ASSERT_TRUE(m_store->migrate(at(2)));
  auto hits = [&](const char* q, store::TicketText text) {
    auto r = m_store->read([&](Tx& tx) -> Result<std::size_t> {
      return tx.search()
          .tickets((*parse_search(q)).terms, store::TermMatch::all,
                   [&] {
                     store::TicketSearch f(TicketScope::everything());
                     f.text = text;
                     return f;
                   }(),
                   0, 10)
          .size();
    });
    return r ? *r : 99;
  };
  EXPECT_EQ(hits("cafe", store::TicketText::public_only), 1u);
  EXPECT_EQ(hits("repuesto", store::TicketText::public_only), 1u);
  EXPECT_EQ(hits("compras", store::TicketText::with_notes), 1u);
  EXPECT_EQ(hits("compras", store::TicketText::public_only), 0u);
}

SD_STORE_SUITE(SearchUpgrade);

}  // namespace
}  // namespace sd::desk
