#include "domain/priority.hpp"

#include <gtest/gtest.h>

namespace sd {
namespace {

struct Case {
  Impact impact;
  Criticality crit;
  Priority priority;
  int level;
};

TEST(Priority, DefaultMatrixAndLevels) {
  using I = Impact;
  using C = Criticality;
  using P = Priority;
  const Case cases[] = {
      {I::not_critical, C::low, P::low, 1},
      {I::not_critical, C::medium, P::low, 2},
      {I::not_critical, C::high, P::medium, 3},
      {I::critical, C::low, P::medium, 2},
      {I::critical, C::medium, P::high, 2},
      {I::critical, C::high, P::high, 3},
      {I::loss_of_functionality, C::low, P::high, 3},
      {I::loss_of_functionality, C::medium, P::critical, 3},
      {I::loss_of_functionality, C::high, P::critical, 3},
  };
  PriorityMatrix m;
  for (const auto& c : cases) {
    EXPECT_EQ(m.at(c.impact, c.crit), c.priority)
        << to_string(c.impact) << "/" << to_string(c.crit);
    EXPECT_EQ(default_support_level(c.impact, c.crit), c.level);
  }
}

TEST(Priority, MatrixIsConfigurable) {
  PriorityMatrix m;
  m.set(Impact::not_critical, Criticality::low, Priority::critical);
  EXPECT_EQ(m.at(Impact::not_critical, Criticality::low), Priority::critical);
  EXPECT_NE(m, PriorityMatrix{});
}

TEST(Priority, NamesRoundTrip) {
  for (auto p : {Priority::critical, Priority::high, Priority::medium, Priority::low})
    EXPECT_EQ(parse_enum<Priority>(to_string(p)), p);
  EXPECT_FALSE(parse_enum<Priority>("urgent"));
  EXPECT_TRUE(valid_support_level(1));
  EXPECT_TRUE(valid_support_level(3));
  EXPECT_FALSE(valid_support_level(0));
  EXPECT_FALSE(valid_support_level(4));
}

}  // namespace
}  // namespace sd
