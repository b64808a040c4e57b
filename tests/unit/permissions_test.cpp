#include "domain/permissions.hpp"

#include <gtest/gtest.h>

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
  Actor me{1, Role::requester, 10, false};
  EXPECT_TRUE(can_see_ticket(me, ticket_of(1, 10)));
  EXPECT_FALSE(can_see_ticket(me, ticket_of(2, 10)));
  me.organisation_shares_tickets = true;
  EXPECT_TRUE(can_see_ticket(me, ticket_of(2, 10)));
  EXPECT_FALSE(can_see_ticket(me, ticket_of(2, 11)));
  EXPECT_FALSE(can_see_ticket(me, ticket_of(2, std::nullopt)));
}

TEST(Permissions, StaffSeeEverything) {
  for (auto r : {Role::agent, Role::supervisor, Role::admin}) {
    Actor a{5, r, std::nullopt, false};
    EXPECT_TRUE(can_see_ticket(a, ticket_of(1, 10)));
    EXPECT_TRUE(can_see_internal(a));
    EXPECT_TRUE(can_escalate(a));
  }
  Actor req{1, Role::requester, std::nullopt, false};
  EXPECT_FALSE(can_see_internal(req));
  EXPECT_FALSE(can_write_internal(req));
  EXPECT_FALSE(can_escalate(req));
  EXPECT_FALSE(can_edit_ticket_fields(req));
}

TEST(Permissions, RequesterTransitions) {
  Actor me{1, Role::requester, std::nullopt, false};
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
  Actor req{1, Role::requester, std::nullopt, false};
  Actor agent{2, Role::agent, std::nullopt, false};
  Actor sup{3, Role::supervisor, std::nullopt, false};
  Actor admin{4, Role::admin, std::nullopt, false};
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
  EXPECT_FALSE(can_manage_groups(sup));
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

}  // namespace
}  // namespace sd
