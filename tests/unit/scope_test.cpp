#include "domain/scope.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "domain/permissions.hpp"

namespace sd {
namespace {

using K = TicketScope::Kind;

Ticket ticket_of(Id requester, std::optional<Id> org) {
  Ticket t;
  t.requester_id = requester;
  t.organisation_id = org;
  return t;
}

std::string kind_name(K k) {
  switch (k) {
    case K::everything:
      return "everything";
    case K::own:
      return "own";
    case K::own_and_organisation:
      return "own_and_organisation";
  }
  return "?";
}

TEST(Scope, ScopeOfEachActor) {
  struct Case {
    const char* who;
    Actor actor;
    K kind;
    Id requester_id;
    std::optional<Id> organisation_id;
  };
  const Case cases[] = {
      {"requester without organisation", Actor::user(1, Role::requester), K::own, 1, std::nullopt},
      {"requester without organisation, sharing flag set",
       Actor::user(1, Role::requester, std::nullopt, true), K::own, 1, std::nullopt},
      {"requester whose organisation does not share", Actor::user(1, Role::requester, 10, false),
       K::own, 1, std::nullopt},
      {"requester whose organisation shares", Actor::user(1, Role::requester, 10, true),
       K::own_and_organisation, 1, 10},
      {"agent", Actor::user(2, Role::agent, 10, true), K::everything, 0, std::nullopt},
      {"supervisor", Actor::user(3, Role::supervisor), K::everything, 0, std::nullopt},
      {"admin", Actor::user(4, Role::admin, 10, false), K::everything, 0, std::nullopt},
      {"system", Actor::system("auto_close"), K::everything, 0, std::nullopt},
  };
  for (const auto& c : cases) {
    const TicketScope s = ticket_scope(c.actor);
    EXPECT_EQ(kind_name(s.kind), kind_name(c.kind)) << c.who;
    if (c.kind == K::everything) continue;  // ids mean nothing there
    EXPECT_EQ(s.requester_id, c.requester_id) << c.who;
    EXPECT_EQ(s.organisation_id, c.organisation_id) << c.who;
  }
}

TEST(Scope, ContainsByScope) {
  const Ticket own_in_org = ticket_of(1, 10);
  const Ticket own_no_org = ticket_of(1, std::nullopt);
  const Ticket own_other_org = ticket_of(1, 11);  // created before the requester moved
  const Ticket same_org = ticket_of(2, 10);
  const Ticket other_org = ticket_of(3, 11);
  const Ticket no_org = ticket_of(4, std::nullopt);
  struct Case {
    const char* who;
    Actor actor;
    bool own_in_org, own_no_org, own_other_org, same_org, other_org, no_org;
  };
  const Case cases[] = {
      {"requester without organisation", Actor::user(1, Role::requester), true, true, true, false,
       false, false},
      {"requester whose organisation does not share", Actor::user(1, Role::requester, 10, false),
       true, true, true, false, false, false},
      {"requester whose organisation shares", Actor::user(1, Role::requester, 10, true), true, true,
       true, true, false, false},
      {"agent", Actor::user(5, Role::agent), true, true, true, true, true, true},
      {"supervisor", Actor::user(6, Role::supervisor), true, true, true, true, true, true},
      {"admin", Actor::user(7, Role::admin), true, true, true, true, true, true},
      {"system", Actor::system("x"), true, true, true, true, true, true},
  };
  for (const auto& c : cases) {
    const TicketScope s = ticket_scope(c.actor);
    EXPECT_EQ(s.contains(own_in_org), c.own_in_org) << c.who << ": own ticket";
    EXPECT_EQ(s.contains(own_no_org), c.own_no_org) << c.who << ": own ticket without org";
    EXPECT_EQ(s.contains(own_other_org), c.own_other_org) << c.who << ": own ticket, other org";
    EXPECT_EQ(s.contains(same_org), c.same_org) << c.who << ": same-org ticket";
    EXPECT_EQ(s.contains(other_org), c.other_org) << c.who << ": other-org ticket";
    EXPECT_EQ(s.contains(no_org), c.no_org) << c.who << ": ticket without org";
    // can_see_ticket is the same rule applied to one record.
    for (const Ticket* t :
         {&own_in_org, &own_no_org, &own_other_org, &same_org, &other_org, &no_org})
      EXPECT_EQ(can_see_ticket(c.actor, *t), s.contains(*t))
          << c.who << ": requester " << t->requester_id;
  }
}

TEST(Scope, EverythingContainsAnyTicket) {
  const TicketScope s = TicketScope::everything();
  EXPECT_EQ(kind_name(s.kind), "everything");
  EXPECT_TRUE(s.contains(ticket_of(1, 10)));
  EXPECT_TRUE(s.contains(ticket_of(2, std::nullopt)));
  EXPECT_TRUE(s.contains(ticket_of(0, std::nullopt)));
}

TEST(Scope, OrganisationScopeWithoutOrganisationIsOwnOnly) {
  // A hand-built scope of the sharing kind but no organisation must not
  // match tickets that have none either.
  const TicketScope s{K::own_and_organisation, 1, std::nullopt};
  EXPECT_TRUE(s.contains(ticket_of(1, std::nullopt)));
  EXPECT_FALSE(s.contains(ticket_of(2, std::nullopt)));
  EXPECT_FALSE(s.contains(ticket_of(2, 10)));
}

}  // namespace
}  // namespace sd
