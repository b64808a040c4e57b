#include "domain/lifecycle.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sd {
namespace {

using S = TicketStatus;
using C = StatusCategory;

Instant ms(std::int64_t v) { return from_unix_ms(v); }

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

TEST(Lifecycle, EveryStatusHasItsCategory) {
  struct Case {
    S status;
    C category;
  };
  const Case cases[] = {
      {S::new_, C::new_},        {S::assigned, C::open},     {S::in_progress, C::open},
      {S::pending, C::waiting},  {S::resolved, C::resolved}, {S::closed, C::closed},
      {S::cancelled, C::closed},
  };
  ASSERT_EQ(std::size(cases), enum_count<S>()) << "a status is missing from the table";
  for (const auto& c : cases)
    EXPECT_EQ(category_of(c.status), c.category)
        << to_string(c.status) << " should be " << to_string(c.category) << ", is "
        << to_string(category_of(c.status));
}

TEST(Lifecycle, OpenCategories) {
  struct Case {
    C category;
    bool open;
  };
  const Case cases[] = {
      {C::new_, true},      {C::open, true},    {C::waiting, true},
      {C::resolved, false}, {C::closed, false},
  };
  ASSERT_EQ(std::size(cases), enum_count<C>()) << "a category is missing from the table";
  std::vector<C> open;
  for (const auto& c : cases) {
    EXPECT_EQ(is_open(c.category), c.open) << to_string(c.category);
    if (c.open) open.push_back(c.category);
  }
  EXPECT_EQ(open_categories(), open);
}

TEST(Lifecycle, OpenStatuses) {
  EXPECT_TRUE(is_open(S::new_));
  EXPECT_TRUE(is_open(S::assigned));
  EXPECT_TRUE(is_open(S::in_progress));
  EXPECT_TRUE(is_open(S::pending));
  EXPECT_FALSE(is_open(S::resolved));
  EXPECT_FALSE(is_open(S::closed));
  EXPECT_FALSE(is_open(S::cancelled));
  // A status is open exactly when its category is.
  for (std::size_t i = 0; i < enum_count<S>(); ++i) {
    const auto s = static_cast<S>(i);
    EXPECT_EQ(is_open(s), is_open(category_of(s))) << to_string(s);
  }
}

TEST(Lifecycle, ApplyStampsTimesAndRefusesIllegalMoves) {
  Ticket t;
  ASSERT_TRUE(apply_transition(t, S::in_progress, ms(100)));
  EXPECT_EQ(t.status, S::in_progress);
  EXPECT_EQ(t.updated_at, ms(100));
  ASSERT_TRUE(apply_transition(t, S::resolved, ms(200)));
  EXPECT_EQ(t.resolved_at, ms(200));
  EXPECT_FALSE(t.closed_at.has_value());
  // Reopen clears the resolution time.
  ASSERT_TRUE(apply_transition(t, S::in_progress, ms(300)));
  EXPECT_FALSE(t.resolved_at.has_value());
  ASSERT_TRUE(apply_transition(t, S::resolved, ms(400)));
  EXPECT_EQ(t.resolved_at, ms(400));
  ASSERT_TRUE(apply_transition(t, S::closed, ms(500)));
  EXPECT_EQ(t.closed_at, ms(500));
  EXPECT_EQ(t.updated_at, ms(500));
  auto r = apply_transition(t, S::in_progress, ms(600));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::conflict);
  EXPECT_EQ(t.status, S::closed);
  EXPECT_EQ(t.updated_at, ms(500));
  EXPECT_EQ(t.closed_at, ms(500));
}

TEST(Lifecycle, ClosingKeepsTheResolutionTime) {
  Ticket t;
  t.status = S::in_progress;
  ASSERT_TRUE(apply_transition(t, S::resolved, ms(1000)));
  ASSERT_TRUE(apply_transition(t, S::closed, ms(2000)));
  EXPECT_EQ(t.status, S::closed);
  EXPECT_EQ(t.resolved_at, ms(1000)) << "closing a resolved ticket keeps when it was resolved";
  EXPECT_EQ(t.closed_at, ms(2000));
}

TEST(Lifecycle, ReopeningResetsTheResolutionTime) {
  Ticket t;
  t.status = S::pending;
  ASSERT_TRUE(apply_transition(t, S::resolved, ms(1000)));
  ASSERT_EQ(t.resolved_at, ms(1000));
  ASSERT_TRUE(apply_transition(t, S::in_progress, ms(2000)));
  EXPECT_EQ(t.status, S::in_progress);
  EXPECT_FALSE(t.resolved_at.has_value());
  EXPECT_FALSE(t.closed_at.has_value());
  EXPECT_EQ(t.updated_at, ms(2000));
}

TEST(Lifecycle, CancellingStampsTheClosingTime) {
  for (auto from : {S::new_, S::assigned, S::in_progress, S::pending}) {
    Ticket t;
    t.status = from;
    ASSERT_TRUE(apply_transition(t, S::cancelled, ms(700))) << to_string(from);
    EXPECT_EQ(t.status, S::cancelled);
    EXPECT_EQ(t.closed_at, ms(700)) << to_string(from);
    EXPECT_FALSE(t.resolved_at.has_value()) << to_string(from);
  }
}

TEST(Lifecycle, RefusalNamesTheAllowedMovesAndChangesNothing) {
  Ticket t;
  t.status = S::new_;
  t.updated_at = ms(10);
  auto r = apply_transition(t, S::resolved, ms(20));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::conflict);
  EXPECT_NE(r.error().detail.find("assigned, in_progress, cancelled"), std::string::npos)
      << r.error().detail;
  EXPECT_EQ(t.status, S::new_);
  EXPECT_EQ(t.updated_at, ms(10));
  EXPECT_FALSE(t.resolved_at.has_value());
}

}  // namespace
}  // namespace sd
