// Service-level policies (issue 8): which policy a ticket is under, and what
// a policy may not say.
#include "domain/sla.hpp"

#include <gtest/gtest.h>

namespace sd {
namespace {

SlaPolicy policy(Id id, std::int64_t rank, SlaMatch m = {}) {
  SlaPolicy p;
  p.id = id;
  p.name = "P" + std::to_string(id);
  p.calendar_id = 1;
  p.rank = rank;
  p.match = std::move(m);
  p.first_response_minutes = 60;
  p.resolution_minutes = 480;
  return p;
}

Ticket ticket(TicketType type, Priority pr, std::optional<Id> org) {
  Ticket t;
  t.type = type;
  t.priority = pr;
  t.organisation_id = org;
  return t;
}

TEST(Sla, TheFirstMatchingPolicyByRankIsTheTickets) {
  const std::vector<SlaPolicy> ps = {
      policy(1, 100),                                                 // any ticket
      policy(2, 10, {{}, {Priority::critical, Priority::high}, {}}),  // urgent ones
      policy(3, 5,
             {{TicketType::incident}, {Priority::critical}, {7}}),  // org 7's critical incidents
      policy(4, 10, {{TicketType::complaint}, {}, {}}),
  };
  struct Case {
    Ticket t;
    std::optional<Id> want;
  } cases[] = {
      {ticket(TicketType::incident, Priority::critical, 7), 3},
      {ticket(TicketType::incident, Priority::critical, 8), 2},
      {ticket(TicketType::incident, Priority::critical, std::nullopt), 2},
      {ticket(TicketType::change_request, Priority::high, 7), 2},
      {ticket(TicketType::complaint, Priority::high, 7), 2},  // rank 10 both: the lower id
      {ticket(TicketType::complaint, Priority::low, 7), 4},
      {ticket(TicketType::observation, Priority::low, std::nullopt), 1},
  };
  for (const auto& c : cases) {
    const auto got = select_sla_policy(ps, c.t);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->id, *c.want) << to_string(c.t.type) << " " << to_string(c.t.priority);
  }
  EXPECT_FALSE(select_sla_policy({ps[2]}, ticket(TicketType::incident, Priority::low, 7)))
      << "no policy fits: none applies";
  EXPECT_FALSE(select_sla_policy({}, ticket(TicketType::incident, Priority::low, 7)));
}

TEST(Sla, AnOrganisationMatchNeedsAnOrganisation) {
  const SlaMatch m{{}, {}, {3, 4}};
  EXPECT_TRUE(sla_matches(m, ticket(TicketType::incident, Priority::low, 4)));
  EXPECT_FALSE(sla_matches(m, ticket(TicketType::incident, Priority::low, 5)));
  EXPECT_FALSE(sla_matches(m, ticket(TicketType::incident, Priority::low, std::nullopt)));
  EXPECT_TRUE(sla_matches({}, ticket(TicketType::incident, Priority::low, std::nullopt)));
}

TEST(Sla, ChecksRefuseWhatCannotRun) {
  EXPECT_TRUE(check_sla_policy(policy(1, 0)).empty());
  SlaPolicy p = policy(1, 0, {{TicketType::incident, TicketType::incident}, {}, {}});
  p.name = " ";
  p.first_response_minutes = 0;
  p.resolution_minutes = kMaxSlaMinutes + 1;
  p.first_response_warning_percent = 100;
  p.resolution_warning_percent = 0;
  p.pause_statuses = {TicketStatus::pending, TicketStatus::resolved, TicketStatus::pending};
  std::vector<std::string> got;
  for (const auto& e : check_sla_policy(p)) got.push_back(e.field + ":" + e.code);
  EXPECT_EQ(
      got,
      (std::vector<std::string>{
          "name:required", "first_response_minutes:out_of_range", "resolution_minutes:out_of_range",
          "first_response_warning_percent:out_of_range", "resolution_warning_percent:out_of_range",
          "pause_statuses:not_pausable", "pause_statuses:duplicate", "match.types:duplicate"}));
  p = policy(1, 0);
  p.pause_statuses = {TicketStatus::cancelled};
  EXPECT_EQ(check_sla_policy(p).size(), 1u) << "cancelled is a closed status";
  p.pause_statuses = {};
  EXPECT_TRUE(check_sla_policy(p).empty()) << "a policy may pause on nothing";
}

}  // namespace
}  // namespace sd
