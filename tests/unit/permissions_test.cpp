#include "domain/permissions.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "domain/lifecycle.hpp"

namespace sd {
namespace {

Ticket ticket_of(Id requester, std::optional<Id> org, TicketStatus s = TicketStatus::new_) {
  Ticket t;
  t.requester_id = requester;
  t.organisation_id = org;
  t.status = s;
  return t;
}

TEST(Permissions, RequesterSeesOwnTicketsOnly) {
  Actor me = Actor::user(1, Role::requester, 10, false);
  EXPECT_TRUE(can_see_ticket(me, ticket_of(1, 10)));
  EXPECT_FALSE(can_see_ticket(me, ticket_of(2, 10)));
  me.organisation_shares_tickets = true;
  EXPECT_TRUE(can_see_ticket(me, ticket_of(2, 10)));
  EXPECT_FALSE(can_see_ticket(me, ticket_of(2, 11)));
  EXPECT_FALSE(can_see_ticket(me, ticket_of(2, std::nullopt)));
}

TEST(Permissions, StaffSeeEverything) {
  for (auto r : {Role::agent, Role::supervisor, Role::admin}) {
    Actor a = Actor::user(5, r);
    EXPECT_TRUE(can_see_ticket(a, ticket_of(1, 10))) << to_string(r);
    EXPECT_TRUE(can_see_internal(a)) << to_string(r);
    EXPECT_TRUE(can_escalate(a)) << to_string(r);
  }
  Actor req = Actor::user(1, Role::requester);
  EXPECT_FALSE(can_see_internal(req));
  EXPECT_FALSE(can_write_internal(req));
  EXPECT_FALSE(can_escalate(req));
  EXPECT_FALSE(can_edit_ticket_fields(req));
}

TEST(Permissions, StaffByRoleAndByActor) {
  struct Case {
    Role role;
    bool staff;
  };
  const Case cases[] = {
      {Role::requester, false},
      {Role::agent, true},
      {Role::supervisor, true},
      {Role::admin, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(is_staff(c.role), c.staff) << to_string(c.role);
    const Actor a = Actor::user(7, c.role);
    EXPECT_EQ(is_staff(a), c.staff) << to_string(c.role);
    EXPECT_EQ(can_edit_ticket_fields(a), c.staff) << to_string(c.role);
    EXPECT_EQ(can_assign(a), c.staff) << to_string(c.role);
    EXPECT_EQ(can_escalate(a), c.staff) << to_string(c.role);
    EXPECT_EQ(can_write_internal(a), c.staff) << to_string(c.role);
    EXPECT_EQ(can_see_internal(a), c.staff) << to_string(c.role);
  }
}

TEST(Permissions, RequesterTransitions) {
  Actor me = Actor::user(1, Role::requester);
  auto resolved = ticket_of(1, std::nullopt, TicketStatus::resolved);
  EXPECT_TRUE(can_transition_as(me, resolved, TicketStatus::closed));
  EXPECT_TRUE(can_transition_as(me, resolved, TicketStatus::in_progress));
  EXPECT_FALSE(can_transition_as(me, resolved, TicketStatus::cancelled));
  auto fresh = ticket_of(1, std::nullopt, TicketStatus::new_);
  EXPECT_TRUE(can_transition_as(me, fresh, TicketStatus::cancelled));
  EXPECT_FALSE(can_transition_as(me, fresh, TicketStatus::in_progress));
  auto working = ticket_of(1, std::nullopt, TicketStatus::in_progress);
  EXPECT_FALSE(can_transition_as(me, working, TicketStatus::resolved));
  EXPECT_FALSE(can_transition_as(me, working, TicketStatus::cancelled));
  EXPECT_FALSE(can_transition_as(me, ticket_of(2, std::nullopt, TicketStatus::resolved),
                                 TicketStatus::closed));
}

TEST(Permissions, DirectoryByRole) {
  Actor req = Actor::user(1, Role::requester);
  Actor agent = Actor::user(2, Role::agent);
  Actor sup = Actor::user(3, Role::supervisor);
  Actor admin = Actor::user(4, Role::admin);
  EXPECT_FALSE(can_list_users(req));
  EXPECT_TRUE(can_list_users(agent));
  EXPECT_TRUE(can_create_user_with_role(agent, Role::requester));
  EXPECT_FALSE(can_create_user_with_role(agent, Role::agent));
  EXPECT_TRUE(can_create_user_with_role(sup, Role::agent));
  EXPECT_FALSE(can_create_user_with_role(sup, Role::admin));
  EXPECT_TRUE(can_create_user_with_role(admin, Role::admin));
  EXPECT_FALSE(can_create_user_with_role(req, Role::requester));
  EXPECT_FALSE(can_manage_organisations(agent));
  EXPECT_TRUE(can_manage_organisations(sup));
  EXPECT_TRUE(can_manage_groups(sup)) << "supervisors manage groups (issue 7)";
  EXPECT_FALSE(can_manage_groups(agent));
  EXPECT_TRUE(can_manage_groups(admin));
  EXPECT_FALSE(can_manage_categories(sup));
  EXPECT_FALSE(can_manage_settings(sup));
  EXPECT_TRUE(can_manage_settings(admin));
  User self;
  self.id = 1;
  EXPECT_TRUE(can_update_user(req, self));
  User other;
  other.id = 9;
  other.role = Role::requester;
  EXPECT_FALSE(can_update_user(req, other));
  EXPECT_TRUE(can_update_user(agent, other));
  EXPECT_FALSE(can_change_role(sup));
}

TEST(Permissions, SystemActorIsTheDesk) {
  const Actor sys = Actor::system("auto_close");
  EXPECT_TRUE(sys.is_system());
  EXPECT_EQ(sys.kind, ActorKind::system);
  EXPECT_EQ(sys.id, 0);
  EXPECT_EQ(sys.name, "auto_close");
  EXPECT_FALSE(Actor::user(4, Role::admin).is_system());
}

TEST(Permissions, SystemActorSeesEveryTicket) {
  const Actor sys = Actor::system("x");
  const Ticket tickets[] = {
      ticket_of(1, std::nullopt),
      ticket_of(2, 10),
      ticket_of(3, 11),
      ticket_of(0, std::nullopt),
      ticket_of(4, 10, TicketStatus::closed),
  };
  for (const auto& t : tickets)
    EXPECT_TRUE(can_see_ticket(sys, t)) << "requester " << t.requester_id;
}

TEST(Permissions, SystemActorMayMakeAnyLegalMove) {
  const Actor sys = Actor::system("x");
  for (std::size_t f = 0; f < enum_count<TicketStatus>(); ++f)
    for (auto to : allowed_transitions(static_cast<TicketStatus>(f))) {
      const auto from = static_cast<TicketStatus>(f);
      EXPECT_TRUE(can_transition_as(sys, ticket_of(9, 10, from), to))
          << to_string(from) << " -> " << to_string(to);
    }
}

TEST(Permissions, SystemActorIsStaff) {
  const Actor sys = Actor::system("x");
  EXPECT_TRUE(is_staff(sys));
  EXPECT_TRUE(can_edit_ticket_fields(sys));
  EXPECT_TRUE(can_assign(sys));
  EXPECT_TRUE(can_escalate(sys));
  EXPECT_TRUE(can_write_internal(sys));
  EXPECT_TRUE(can_see_internal(sys));
}

// The system may do what an admin may, and no more (actor.hpp).
TEST(Permissions, SystemActorFollowsRoleAdmin) {
  const Actor sys = Actor::system("x");
  const Actor admin = Actor::user(4, Role::admin);
  EXPECT_TRUE(can_change_role(sys));
  EXPECT_TRUE(can_manage_groups(sys));
  EXPECT_TRUE(can_manage_categories(sys));
  EXPECT_TRUE(can_manage_settings(sys));
  EXPECT_TRUE(can_manage_jobs(sys));
  EXPECT_TRUE(can_manage_organisations(sys));
  EXPECT_TRUE(can_list_users(sys));
  EXPECT_EQ(can_change_role(sys), can_change_role(admin));
  EXPECT_EQ(can_manage_groups(sys), can_manage_groups(admin));
  EXPECT_EQ(can_manage_categories(sys), can_manage_categories(admin));
  EXPECT_EQ(can_manage_settings(sys), can_manage_settings(admin));
  EXPECT_EQ(can_manage_jobs(sys), can_manage_jobs(admin));
  EXPECT_EQ(can_manage_organisations(sys), can_manage_organisations(admin));
  EXPECT_EQ(can_list_users(sys), can_list_users(admin));
  for (std::size_t i = 0; i < enum_count<Role>(); ++i) {
    const auto r = static_cast<Role>(i);
    EXPECT_TRUE(can_create_user_with_role(sys, r)) << to_string(r);
    User u;
    u.id = 9;
    u.role = r;
    EXPECT_TRUE(can_update_user(sys, u)) << to_string(r);
  }
}

TEST(Permissions, DirectoryTableByRole) {
  struct Case {
    Role role;
    bool list_users, organisations, groups, categories, settings, jobs, change_role;
  };
  const Case cases[] = {
      {Role::requester, false, false, false, false, false, false, false},
      {Role::agent, true, false, false, false, false, false, false},
      {Role::supervisor, true, true, true, false, false, false, false},
      {Role::admin, true, true, true, true, true, true, true},
  };
  for (const auto& c : cases) {
    const Actor a = Actor::user(5, c.role);
    EXPECT_EQ(can_list_users(a), c.list_users) << to_string(c.role);
    EXPECT_EQ(can_manage_organisations(a), c.organisations) << to_string(c.role);
    EXPECT_EQ(can_manage_groups(a), c.groups) << to_string(c.role);
    EXPECT_EQ(can_manage_categories(a), c.categories) << to_string(c.role);
    EXPECT_EQ(can_manage_settings(a), c.settings) << to_string(c.role);
    EXPECT_EQ(can_manage_jobs(a), c.jobs) << to_string(c.role);
    EXPECT_EQ(can_change_role(a), c.change_role) << to_string(c.role);
  }
}

TEST(Permissions, WhoCreatesWhichRole) {
  using R = Role;
  struct Case {
    R actor, target;
    bool allowed;
  };
  const Case cases[] = {
      {R::requester, R::requester, false},   {R::requester, R::agent, false},
      {R::requester, R::supervisor, false},  {R::requester, R::admin, false},
      {R::agent, R::requester, true},        {R::agent, R::agent, false},
      {R::agent, R::supervisor, false},      {R::agent, R::admin, false},
      {R::supervisor, R::requester, true},   {R::supervisor, R::agent, true},
      {R::supervisor, R::supervisor, false}, {R::supervisor, R::admin, false},
      {R::admin, R::requester, true},        {R::admin, R::agent, true},
      {R::admin, R::supervisor, true},       {R::admin, R::admin, true},
  };
  for (const auto& c : cases) {
    const Actor a = Actor::user(5, c.actor);
    EXPECT_EQ(can_create_user_with_role(a, c.target), c.allowed)
        << to_string(c.actor) << " creating " << to_string(c.target);
    User u;
    u.id = 9;
    u.role = c.target;
    EXPECT_EQ(can_update_user(a, u), c.allowed)
        << to_string(c.actor) << " updating " << to_string(c.target);
  }
}

}  // namespace
}  // namespace sd
