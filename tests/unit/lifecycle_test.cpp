#include "domain/lifecycle.hpp"

#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace sd {
namespace {

using S = TicketStatus;

TEST(Lifecycle, AllowsExactlyTheDocumentedMoves) {
  const std::set<std::pair<S, S>> allowed = {
      {S::new_, S::assigned},        {S::new_, S::in_progress},     {S::new_, S::cancelled},
      {S::assigned, S::in_progress}, {S::assigned, S::new_},        {S::assigned, S::cancelled},
      {S::in_progress, S::pending},  {S::in_progress, S::resolved}, {S::in_progress, S::cancelled},
      {S::pending, S::in_progress},  {S::pending, S::resolved},     {S::pending, S::cancelled},
      {S::resolved, S::closed},      {S::resolved, S::in_progress},
  };
  for (std::size_t f = 0; f < enum_count<S>(); ++f)
    for (std::size_t t = 0; t < enum_count<S>(); ++t) {
      auto from = static_cast<S>(f), to = static_cast<S>(t);
      EXPECT_EQ(can_transition(from, to), allowed.count({from, to}) == 1)
          << to_string(from) << " -> " << to_string(to);
    }
}

TEST(Lifecycle, ClosedAndCancelledAreFinal) {
  EXPECT_TRUE(allowed_transitions(S::closed).empty());
  EXPECT_TRUE(allowed_transitions(S::cancelled).empty());
}

TEST(Lifecycle, ApplyStampsTimesAndRefusesIllegalMoves) {
  Ticket t;
  ASSERT_TRUE(apply_transition(t, S::in_progress, 100));
  ASSERT_TRUE(apply_transition(t, S::resolved, 200));
  EXPECT_EQ(t.resolved_at, 200);
  // Reopen clears the resolution time.
  ASSERT_TRUE(apply_transition(t, S::in_progress, 300));
  EXPECT_FALSE(t.resolved_at.has_value());
  ASSERT_TRUE(apply_transition(t, S::resolved, 400));
  ASSERT_TRUE(apply_transition(t, S::closed, 500));
  EXPECT_EQ(t.closed_at, 500);
  EXPECT_EQ(t.updated_at, 500);
  auto r = apply_transition(t, S::in_progress, 600);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::conflict);
  EXPECT_EQ(t.status, S::closed);
  EXPECT_EQ(t.updated_at, 500);
}

TEST(Lifecycle, OpenStatuses) {
  EXPECT_TRUE(is_open(S::new_));
  EXPECT_TRUE(is_open(S::pending));
  EXPECT_FALSE(is_open(S::resolved));
  EXPECT_FALSE(is_open(S::closed));
  EXPECT_FALSE(is_open(S::cancelled));
}

}  // namespace
}  // namespace sd
