// The directory's aggregates on both back ends: users, organisations,
// groups and members, categories, the escalation directory, sessions and
// API tokens, settings.
#include "store/repo/calendars.hpp"
#include "store/repo/categories.hpp"
#include "store/repo/directory.hpp"
#include "store/repo/groups.hpp"
#include "store/repo/organisations.hpp"
#include "store/repo/sessions.hpp"
#include "store/repo/settings.hpp"
#include "store/repo/sla_policies.hpp"
#include "store_fixture.hpp"

namespace sd::store {
namespace {

using namespace std::chrono_literals;
using testing::at;

class Directory : public testing::StoreTest {
 protected:
  template <class T, class F>
  T read(F f) {
    auto r = m_store->read([&](Tx& tx) -> Result<T> { return f(tx); });
    EXPECT_TRUE(r) << (r ? "" : r.error().cause);
    return r ? std::move(*r) : T{};
  }
  template <class T, class F>
  T write(F f) {
    auto r = m_store->write([&](Tx& tx) -> Result<T> { return f(tx); });
    EXPECT_TRUE(r) << (r ? "" : r.error().cause);
    return r ? std::move(*r) : T{};
  }
};

TEST_P(Directory, UsersRoundTripAndUpdate) {
  const Id org = write<Id>([](Tx& tx) {
    return tx.organisations().insert({0, "Org", false, at(1)});
  });
  User u;
  u.email = "ana@example.com";
  u.name = "Ana Ejemplo";
  u.phone = "+52 55 0000 0000";
  u.role = Role::agent;
  u.organisation_id = org;
  u.language = "en";
  u.timezone = "Europe/Madrid";
  u.created_at = at(77);
  u.id = write<Id>([&](Tx& tx) { return tx.users().insert(u, std::string("hash-1")); });
  auto back = read<std::optional<User>>([&](Tx& tx) { return tx.users().find(u.id); });
  ASSERT_TRUE(back);
  EXPECT_EQ(back->email, u.email);
  EXPECT_EQ(back->name, u.name);
  EXPECT_EQ(back->phone, u.phone);
  EXPECT_EQ(back->role, Role::agent);
  EXPECT_EQ(back->organisation_id, org);
  EXPECT_EQ(back->language, "en");
  EXPECT_EQ(back->timezone, "Europe/Madrid");
  EXPECT_TRUE(back->active);
  EXPECT_EQ(back->created_at, at(77));
  EXPECT_EQ(
      read<std::optional<std::string>>([&](Tx& tx) { return tx.users().password_hash(u.id); }),
      "hash-1");
  EXPECT_EQ(read<std::optional<User>>([&](Tx& tx) {
              return tx.users().find_by_email("ana@example.com");
            })->id,
            u.id);
  User changed = *back;
  changed.active = false;
  changed.role = Role::supervisor;
  changed.organisation_id.reset();
  write<bool>([&](Tx& tx) {
    tx.users().update(changed);
    tx.users().set_password_hash(u.id, "hash-2");
    return true;
  });
  back = read<std::optional<User>>([&](Tx& tx) { return tx.users().find(u.id); });
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->active);
  EXPECT_EQ(back->role, Role::supervisor);
  EXPECT_FALSE(back->organisation_id);
  EXPECT_EQ(
      read<std::optional<std::string>>([&](Tx& tx) { return tx.users().password_hash(u.id); }),
      "hash-2");
}

TEST_P(Directory, UsersWithoutEmailAreManyAndListsFilterAndPage) {
  for (int i = 0; i < 3; ++i)
    write<Id>([&](Tx& tx) {
      User u;
      u.name = "Caller " + std::to_string(i);
      u.phone = "+52 55 1111 000" + std::to_string(i);
      u.created_at = at(1);
      return tx.users().insert(u, std::nullopt);
    });
  add_user("agent1@example.com", Role::agent);
  add_user("agent2@example.com", Role::agent);
  auto count = [&](UserQuery q) {
    q.limit = 200;
    return read<Page<User>>([&](Tx& tx) { return tx.users().list(q); }).items.size();
  };
  UserQuery q;
  q.role = Role::agent;
  EXPECT_EQ(count(q), 2u);
  q = {};
  q.text = "1111 0001";
  EXPECT_EQ(count(q), 1u) << "by phone";
  q.text = "CALLER";
  EXPECT_EQ(count(q), 3u) << "by name, ignoring case";
  q = {};
  q.limit = 2;
  std::vector<Id> seen;
  for (int page = 0; page < 10; ++page) {
    auto p = read<Page<User>>([&](Tx& tx) { return tx.users().list(q); });
    for (const auto& u : p.items) seen.push_back(u.id);
    if (!p.next) break;
    q.after_id = p.next->id;
  }
  EXPECT_EQ(seen.size(), 6u);  // with the fixture's requester
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
}

TEST_P(Directory, OrganisationsGroupsAndMembers) {
  const Id org = write<Id>([](Tx& tx) {
    return tx.organisations().insert({0, "Zeta", false, at(1)});
  });
  write<Id>([](Tx& tx) { return tx.organisations().insert({0, "Alfa", true, at(1)}); });
  write<bool>([&](Tx& tx) {
    tx.organisations().update({org, "Zeta renamed", true, at(1)});
    return true;
  });
  auto orgs = read<std::vector<Organisation>>([](Tx& tx) { return tx.organisations().list(); });
  ASSERT_EQ(orgs.size(), 2u);
  EXPECT_EQ(orgs[0].name, "Alfa") << "by name";
  EXPECT_EQ(orgs[1].name, "Zeta renamed");
  EXPECT_TRUE(orgs[1].shared_tickets);

  const Id a1 = add_user("a1@example.com", Role::agent),
           a2 = add_user("a2@example.com", Role::agent);
  const Id g2 = write<Id>([](Tx& tx) { return tx.groups().insert({0, "Second", 2, at(1)}); });
  const Id g1 = write<Id>([](Tx& tx) { return tx.groups().insert({0, "First", 1, at(1)}); });
  write<bool>([&](Tx& tx) {
    tx.groups().set_members(g1, {a2, a1});
    tx.groups().set_members(g2, {a1});
    return true;
  });
  auto groups = read<std::vector<Group>>([](Tx& tx) { return tx.groups().list(); });
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].id, g1) << "by support level first";
  EXPECT_EQ(read<std::vector<Id>>([&](Tx& tx) { return tx.groups().members(g1); }),
            (std::vector<Id>{a1, a2}));
  EXPECT_EQ(read<std::vector<Id>>([&](Tx& tx) { return tx.groups().groups_of(a1); }),
            (std::vector<Id>{std::min(g1, g2), std::max(g1, g2)}))
      << "by id";
  write<bool>([&](Tx& tx) {
    tx.groups().set_members(g1, {});
    tx.groups().update({g1, "First renamed", 3, at(1)});
    return true;
  });
  EXPECT_TRUE(read<std::vector<Id>>([&](Tx& tx) { return tx.groups().members(g1); }).empty());
  auto g = read<std::optional<Group>>([&](Tx& tx) { return tx.groups().find(g1); });
  ASSERT_TRUE(g);
  EXPECT_EQ(g->name, "First renamed");
  EXPECT_EQ(g->support_level, 3);
}

TEST_P(Directory, CategoriesAndTheEscalationDirectory) {
  const Id root = write<Id>([](Tx& tx) {
    return tx.categories().insert({0, "Hardware", std::nullopt, at(1)});
  });
  const Id child = write<Id>([&](Tx& tx) {
    return tx.categories().insert({0, "Impresoras", root, at(1)});
  });
  auto c = read<std::optional<Category>>([&](Tx& tx) { return tx.categories().find(child); });
  ASSERT_TRUE(c);
  EXPECT_EQ(c->parent_id, root);
  write<bool>([&](Tx& tx) {
    tx.categories().update({child, "Impresión", std::nullopt, at(1)});
    return true;
  });
  auto all = read<std::vector<Category>>([](Tx& tx) { return tx.categories().list(); });
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].name, "Impresión");
  EXPECT_FALSE(all[1].parent_id);

  const Id k = write<Id>([](Tx& tx) {
    return tx.directory().insert({0, 3, "Líder de proyecto", "Nadia Ficticia", "+52 55 0000 1000",
                                  "lider@example.com", "ext. 1000", at(5)});
  });
  write<Id>([](Tx& tx) {
    return tx.directory().insert({0, 1, "Operador", "Omar Ficticio", "", "", "", at(5)});
  });
  auto list = read<std::vector<EscalationContact>>([](Tx& tx) { return tx.directory().list(); });
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].level, 1) << "by level";
  EXPECT_EQ(list[1].mobile, "ext. 1000");
  write<bool>([&](Tx& tx) {
    auto x = tx.directory().find(k);
    x->level = 4;
    tx.directory().update(*x);
    return true;
  });
  EXPECT_EQ(
      read<std::optional<EscalationContact>>([&](Tx& tx) { return tx.directory().find(k); })->level,
      4);
  write<bool>([&](Tx& tx) {
    tx.directory().remove(k);
    return true;
  });
  EXPECT_FALSE(
      read<std::optional<EscalationContact>>([&](Tx& tx) { return tx.directory().find(k); }));
}

TEST_P(Directory, CalendarsWithTheirHoursAndHolidays) {
  // Every store starts with the built-in 24x7 calendar.
  auto all = read<std::vector<Calendar>>([](Tx& tx) { return tx.calendars().list(); });
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].builtin);
  EXPECT_EQ(all[0].time_zone, "UTC");
  for (const auto& day : all[0].hours) EXPECT_EQ(day, (std::vector<OpenRange>{{0, 1440}}));

  Calendar c;
  c.name = "Oficina";
  c.time_zone = "America/Mexico_City";
  c.hours[0] = {{540, 840}, {900, 1080}};
  c.hours[4] = {{540, 1440}};
  c.holidays = {{"2027-02-01", "Día de la Constitución"}, {"2027-01-01", "Año Nuevo"}};
  c.created_at = c.updated_at = at(7);
  const Id id = write<Id>([&](Tx& tx) { return tx.calendars().insert(c); });
  auto got = read<std::optional<Calendar>>([&](Tx& tx) { return tx.calendars().find(id); });
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->builtin);
  EXPECT_EQ(got->hours[0], c.hours[0]);
  EXPECT_TRUE(got->hours[1].empty());
  EXPECT_EQ(got->hours[4], c.hours[4]);
  ASSERT_EQ(got->holidays.size(), 2u);
  EXPECT_EQ(got->holidays[0].date, "2027-01-01") << "by date";
  EXPECT_EQ(got->created_at, at(7));

  got->name = "Oficina central";
  got->hours = {};
  got->hours[2] = {{600, 660}};
  got->holidays = {};
  got->updated_at = at(9);
  write<bool>([&](Tx& tx) {
    tx.calendars().update(*got);
    return true;
  });
  auto again = read<std::optional<Calendar>>([&](Tx& tx) { return tx.calendars().find(id); });
  EXPECT_EQ(again->name, "Oficina central");
  EXPECT_TRUE(again->hours[0].empty()) << "hours are replaced, not added";
  EXPECT_EQ(again->hours[2], (std::vector<OpenRange>{{600, 660}}));
  EXPECT_TRUE(again->holidays.empty());
  EXPECT_EQ(again->updated_at, at(9));
  EXPECT_EQ(read<std::vector<Calendar>>([](Tx& tx) { return tx.calendars().list(); }).size(), 2u);
  write<bool>([&](Tx& tx) {
    tx.calendars().remove(id);
    return true;
  });
  EXPECT_FALSE(read<std::optional<Calendar>>([&](Tx& tx) { return tx.calendars().find(id); }));
}

TEST_P(Directory, SlaPoliciesRoundTripInRankOrder) {
  const Id builtin =
      read<std::vector<Calendar>>([](Tx& tx) { return tx.calendars().list(); }).at(0).id;
  SlaPolicy p;
  p.name = "Críticos";
  p.calendar_id = builtin;
  p.rank = 20;
  p.match = {{TicketType::incident, TicketType::complaint}, {Priority::critical}, {4, 9}};
  p.first_response_minutes = 15;
  p.resolution_minutes = 240;
  p.pause_statuses = {};
  p.first_response_warning_percent = 50;
  p.created_at = p.updated_at = at(3);
  const Id a = write<Id>([&](Tx& tx) { return tx.sla_policies().insert(p); });
  SlaPolicy q;
  q.name = "Todo lo demás";
  q.calendar_id = builtin;
  q.rank = 100;
  q.first_response_minutes = 240;
  q.resolution_minutes = 2400;
  q.created_at = q.updated_at = at(4);
  const Id b = write<Id>([&](Tx& tx) { return tx.sla_policies().insert(q); });
  auto got = read<std::optional<SlaPolicy>>([&](Tx& tx) { return tx.sla_policies().find(a); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->match, p.match);
  EXPECT_TRUE(got->pause_statuses.empty());
  EXPECT_EQ(got->first_response_warning_percent, 50);
  EXPECT_EQ(got->resolution_warning_percent, 75);
  auto other = read<std::optional<SlaPolicy>>([&](Tx& tx) { return tx.sla_policies().find(b); });
  EXPECT_EQ(other->pause_statuses, std::vector<TicketStatus>{TicketStatus::pending});
  EXPECT_EQ(other->match, SlaMatch{}) << "empty lists: any";
  // Moved after the other one, it is tried second.
  got->rank = 200;
  got->updated_at = at(5);
  write<bool>([&](Tx& tx) {
    tx.sla_policies().update(*got);
    return true;
  });
  auto list = read<std::vector<SlaPolicy>>([](Tx& tx) { return tx.sla_policies().list(); });
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, b);
  EXPECT_EQ(list[1].updated_at, at(5));
  EXPECT_TRUE(read<bool>([&](Tx& tx) { return tx.sla_policies().uses_calendar(builtin); }));
  write<bool>([&](Tx& tx) {
    tx.sla_policies().remove(a);
    tx.sla_policies().remove(b);
    return true;
  });
  EXPECT_FALSE(read<bool>([&](Tx& tx) { return tx.sla_policies().uses_calendar(builtin); }));
}

TEST_P(Directory, SessionsTokensAndSettings) {
  write<bool>([&](Tx& tx) {
    tx.sessions().insert("h-live", {m_user, "csrf-1", at(10'000)}, at(1));
    tx.sessions().insert("h-old", {m_user, "csrf-2", at(500)}, at(1));
    return true;
  });
  auto s = read<std::optional<SessionRecord>>([](Tx& tx) { return tx.sessions().find("h-live"); });
  ASSERT_TRUE(s);
  EXPECT_EQ(s->user_id, m_user);
  EXPECT_EQ(s->csrf_token, "csrf-1");
  EXPECT_EQ(s->expires_at, at(10'000));
  EXPECT_EQ(write<std::int64_t>([](Tx& tx) { return tx.sessions().remove_expired(at(1000)); }), 1);
  EXPECT_FALSE(
      read<std::optional<SessionRecord>>([](Tx& tx) { return tx.sessions().find("h-old"); }));
  write<bool>([](Tx& tx) {
    tx.sessions().remove("h-live");
    return true;
  });
  EXPECT_FALSE(
      read<std::optional<SessionRecord>>([](Tx& tx) { return tx.sessions().find("h-live"); }));

  const Id t =
      write<Id>([&](Tx& tx) { return tx.tokens().insert(m_user, "ci", "tok-hash", at(1)); });
  EXPECT_GT(t, 0);
  auto tok =
      read<std::optional<TokenRecord>>([](Tx& tx) { return tx.tokens().find_by_hash("tok-hash"); });
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->user_id, m_user);
  EXPECT_FALSE(tok->expires_at);
  EXPECT_FALSE(tok->last_used_at);
  EXPECT_FALSE(
      read<std::optional<TokenRecord>>([](Tx& tx) { return tx.tokens().find_by_hash("other"); }));
  write<bool>([&](Tx& tx) {
    tx.tokens().touch(t, at(500));
    return true;
  });
  EXPECT_EQ(
      read<std::optional<TokenRecord>>([&](Tx& tx) { return tx.tokens().find(t); })->last_used_at,
      at(500));
  EXPECT_EQ(read<std::vector<TokenRecord>>([&](Tx& tx) {
              return tx.tokens().list_for_user(m_user);
            }).size(),
            1u);
  write<bool>([&](Tx& tx) {
    tx.tokens().remove(t);
    return true;
  });
  EXPECT_FALSE(read<std::optional<TokenRecord>>([&](Tx& tx) { return tx.tokens().find(t); }));

  write<bool>([](Tx& tx) {
    tx.settings().put("k", "1");
    tx.settings().put("k", "2");
    return true;
  });
  EXPECT_EQ(read<std::optional<std::string>>([](Tx& tx) { return tx.settings().get("k"); }), "2");
  EXPECT_FALSE(read<std::optional<std::string>>([](Tx& tx) { return tx.settings().get("none"); }));
}

SD_STORE_SUITE(Directory);

}  // namespace
}  // namespace sd::store
