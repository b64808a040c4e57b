#include "domain/ticket_rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "domain/lifecycle.hpp"

namespace sd {
namespace {

using namespace std::chrono_literals;
using S = TicketStatus;

std::string show(const std::optional<S>& s) {
  return s ? std::string(to_string(*s)) : std::string("nullopt");
}

TEST(TicketRules, StatusAfterAssignment) {
  struct Case {
    S current;
    bool assignee_set;
    std::optional<S> want;
  };
  const Case cases[] = {
      {S::new_, true, S::assigned},         {S::new_, false, std::nullopt},
      {S::assigned, true, std::nullopt},    {S::assigned, false, S::new_},
      {S::in_progress, true, std::nullopt}, {S::in_progress, false, std::nullopt},
      {S::pending, true, std::nullopt},     {S::pending, false, std::nullopt},
      {S::resolved, true, std::nullopt},    {S::resolved, false, std::nullopt},
      {S::closed, true, std::nullopt},      {S::closed, false, std::nullopt},
      {S::cancelled, true, std::nullopt},   {S::cancelled, false, std::nullopt},
  };
  ASSERT_EQ(std::size(cases), 2 * enum_count<S>()) << "a status is missing from the table";
  for (const auto& c : cases) {
    const std::optional<Id> assignee = c.assignee_set ? std::optional<Id>(42) : std::nullopt;
    const auto got = status_after_assignment(c.current, assignee);
    EXPECT_EQ(got, c.want) << to_string(c.current)
                           << (c.assignee_set ? " + assignee" : " - assignee") << " gave "
                           << show(got) << ", want " << show(c.want);
    if (got) {
      EXPECT_TRUE(can_transition(c.current, *got))
          << "the implied move " << to_string(c.current) << " -> " << show(got) << " is illegal";
    }
  }
}

TEST(TicketRules, StatusAfterRequesterReply) {
  struct Case {
    S current;
    std::optional<S> want;
  };
  const Case cases[] = {
      {S::new_, std::nullopt},
      {S::assigned, std::nullopt},
      {S::in_progress, std::nullopt},
      // A requester's answer to a resolution they have not confirmed reopens it.
      {S::pending, S::in_progress},
      {S::resolved, S::in_progress},
      {S::closed, std::nullopt},
      {S::cancelled, std::nullopt},
  };
  ASSERT_EQ(std::size(cases), enum_count<S>()) << "a status is missing from the table";
  for (const auto& c : cases) {
    const auto got = status_after_requester_reply(c.current);
    EXPECT_EQ(got, c.want) << to_string(c.current) << " gave " << show(got) << ", want "
                           << show(c.want);
    if (got) {
      EXPECT_TRUE(can_transition(c.current, *got)) << to_string(c.current);
    }
  }
}

Group group(Id id, SupportLevel level) {
  Group g;
  g.id = id;
  g.name = "g" + std::to_string(id);
  g.support_level = level;
  return g;
}

TEST(TicketRules, GroupForLevel) {
  // In list order: 1 and 3 serve level 1, 2 and 4 serve level 2, 5 serves level 3.
  const std::vector<Group> groups = {group(1, 1), group(2, 2), group(3, 1), group(4, 2),
                                     group(5, 3)};
  struct Case {
    const char* why;
    std::vector<Group> groups;
    std::optional<Id> current;
    SupportLevel level;
    std::optional<Id> want;
  };
  const Case cases[] = {
      {"current serves the level: kept", groups, 4, 2, 4},
      {"current serves the level and is first: kept", groups, 2, 2, 2},
      {"current is the only one of its level: kept", groups, 5, 3, 5},
      {"no current: first serving in list order", groups, std::nullopt, 2, 2},
      {"no current, level 1: first serving in list order", groups, std::nullopt, 1, 1},
      {"current serves another level: first serving", groups, 3, 2, 2},
      {"current serves another level, later in the list: first serving", groups, 5, 1, 1},
      {"current is not among the groups: first serving", groups, 99, 2, 2},
      {"none serves the level", groups, std::nullopt, 4, std::nullopt},
      {"none serves the level, current kept nowhere", groups, 1, 4, std::nullopt},
      {"no groups at all", {}, 1, 1, std::nullopt},
      {"order decides, not id", {group(9, 2), group(2, 2)}, std::nullopt, 2, 9},
  };
  for (const auto& c : cases) {
    const auto got = group_for_level(c.groups, c.current, c.level);
    EXPECT_EQ(got, c.want) << c.why << ": got " << (got ? std::to_string(*got) : "nullopt");
  }
}

Ticket base_ticket() {
  Ticket t;
  t.id = 7;
  t.type = TicketType::incident;
  t.impact = Impact::not_critical;
  t.criticality = Criticality::low;
  t.priority = Priority::low;
  t.category_id = 3;
  t.assignee_id = std::nullopt;
  t.group_id = 1;
  t.subject = "Printer jammed";
  t.description = "Third floor";
  return t;
}

TEST(TicketRules, FieldChangesNoneWhenNothingChanged) {
  const Ticket t = base_ticket();
  EXPECT_TRUE(field_changes(t, t).empty());
  EXPECT_TRUE(field_changes(Ticket{}, Ticket{}).empty());
}

TEST(TicketRules, FieldChangesOneFieldAtATime) {
  struct Case {
    std::function<void(Ticket&)> change;
    EventKind kind;
    std::string field, old_value, new_value;
    bool internal;
  };
  const auto F = EventKind::field_change;
  const auto A = EventKind::assignment;
  const Case cases[] = {
      {[](Ticket& t) { t.type = TicketType::complaint; }, F, "type", "incident", "complaint",
       false},
      {[](Ticket& t) { t.subject = "Printer fixed?"; }, F, "subject", "Printer jammed",
       "Printer fixed?", false},
      {[](Ticket& t) { t.description = ""; }, F, "description", "Third floor", "", false},
      {[](Ticket& t) { t.impact = Impact::critical; }, F, "impact", "not_critical", "critical",
       false},
      {[](Ticket& t) { t.criticality = Criticality::high; }, F, "criticality", "low", "high",
       false},
      {[](Ticket& t) { t.priority = Priority::critical; }, F, "priority", "low", "critical", false},
      {[](Ticket& t) { t.category_id = 12; }, F, "category_id", "3", "12", false},
      {[](Ticket& t) { t.category_id.reset(); }, F, "category_id", "3", "", false},
      {[](Ticket& t) { t.assignee_id = 42; }, A, "assignee_id", "", "42", true},
      {[](Ticket& t) { t.group_id = 2; }, A, "group_id", "1", "2", true},
      {[](Ticket& t) { t.group_id.reset(); }, A, "group_id", "1", "", true},
  };
  for (const auto& c : cases) {
    const Ticket before = base_ticket();
    Ticket after = before;
    c.change(after);
    const auto got = field_changes(before, after);
    ASSERT_EQ(got.size(), 1u) << c.field;
    EXPECT_EQ(got[0].kind, c.kind) << c.field;
    EXPECT_EQ(got[0].field, c.field);
    EXPECT_EQ(got[0].old_value, c.old_value) << c.field;
    EXPECT_EQ(got[0].new_value, c.new_value) << c.field;
    EXPECT_EQ(got[0].internal, c.internal) << c.field;
  }
}

TEST(TicketRules, FieldChangesInFixedOrder) {
  const Ticket before = base_ticket();
  Ticket after = before;
  // Changed in an order unlike the fixed one, to show the order is not ours.
  after.group_id = 2;
  after.subject = "New subject";
  after.assignee_id = 42;
  after.priority = Priority::high;
  after.type = TicketType::change_request;
  after.category_id = 4;
  after.description = "New description";
  after.criticality = Criticality::medium;
  after.impact = Impact::critical;
  const std::vector<std::string> want = {"type",        "subject",     "description",
                                         "impact",      "criticality", "priority",
                                         "category_id", "assignee_id", "group_id"};
  const auto got = field_changes(before, after);
  std::vector<std::string> fields;
  for (const auto& c : got) fields.push_back(c.field);
  EXPECT_EQ(fields, want);
  for (const auto& c : got) {
    const bool assignment = c.field == "assignee_id" || c.field == "group_id";
    EXPECT_EQ(c.internal, assignment) << c.field;
    EXPECT_EQ(c.kind, assignment ? EventKind::assignment : EventKind::field_change) << c.field;
  }
}

Instant at(int y, int mo, int d, int h = 0) {
  return std::chrono::sys_days{std::chrono::year{y} / mo / d} + std::chrono::hours{h};
}

TEST(TicketRules, AutoCloseDue) {
  const Instant resolved = at(2027, 2, 8, 9);
  const AutoClosePolicy on{};  // enabled, 72 h
  const AutoClosePolicy off{false, std::chrono::hours(72)};
  const AutoClosePolicy hour{true, 1h};
  struct Case {
    const char* why;
    S status;
    std::optional<Instant> resolved_at;
    AutoClosePolicy policy;
    std::optional<Instant> want;
  };
  const Case cases[] = {
      {"resolved, default policy", S::resolved, resolved, on, resolved + 72h},
      {"resolved, one hour", S::resolved, resolved, hour, resolved + 1h},
      {"policy disabled", S::resolved, resolved, off, std::nullopt},
      {"resolved_at missing", S::resolved, std::nullopt, on, std::nullopt},
      {"new", S::new_, resolved, on, std::nullopt},
      {"assigned", S::assigned, resolved, on, std::nullopt},
      {"in_progress", S::in_progress, resolved, on, std::nullopt},
      {"pending", S::pending, resolved, on, std::nullopt},
      {"closed", S::closed, resolved, on, std::nullopt},
      {"cancelled", S::cancelled, resolved, on, std::nullopt},
  };
  for (const auto& c : cases) {
    Ticket t;
    t.status = c.status;
    t.resolved_at = c.resolved_at;
    const auto got = auto_close_due(t, c.policy);
    EXPECT_EQ(got.has_value(), c.want.has_value()) << c.why;
    if (got && c.want) {
      EXPECT_EQ(to_unix_ms(*got), to_unix_ms(*c.want)) << c.why;
    }
  }
}

TEST(TicketRules, AutoCloseDefaults) {
  const AutoClosePolicy p;
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.after, std::chrono::hours(72));
}

TEST(TicketRules, AutoCloseAppliesOnlyToTheSameResolution) {
  const Instant first = at(2027, 2, 8, 9);
  const Instant second = at(2027, 2, 9, 9);
  Ticket t;
  t.status = S::in_progress;
  EXPECT_FALSE(auto_close_applies(t, first)) << "not resolved yet";

  ASSERT_TRUE(apply_transition(t, S::resolved, first));
  EXPECT_TRUE(auto_close_applies(t, first));
  EXPECT_FALSE(auto_close_applies(t, second)) << "another resolution";
  EXPECT_FALSE(auto_close_applies(t, first + 1ms)) << "another resolution, a millisecond apart";

  ASSERT_TRUE(apply_transition(t, S::in_progress, first + 1h));  // reopened
  EXPECT_FALSE(auto_close_applies(t, first));

  ASSERT_TRUE(apply_transition(t, S::resolved, second));  // resolved again
  EXPECT_FALSE(auto_close_applies(t, first)) << "the first resolution's close is stale";
  EXPECT_TRUE(auto_close_applies(t, second));

  ASSERT_TRUE(apply_transition(t, S::closed, second + 1h));  // confirmed by the requester
  ASSERT_EQ(t.resolved_at, second);
  EXPECT_FALSE(auto_close_applies(t, second)) << "already closed";
}

TEST(TicketRules, AutoCloseAppliesNeedsAResolutionTime) {
  Ticket t;
  t.status = S::resolved;
  t.resolved_at.reset();
  EXPECT_FALSE(auto_close_applies(t, at(2027, 2, 8)));
  EXPECT_FALSE(auto_close_applies(t, Instant{}));
}

TEST(TicketRules, AssignedIsOfferedOnlyWithAnAssignee) {
  Ticket t;
  t.status = S::new_;
  auto has = [](const std::vector<S>& v, S s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  EXPECT_FALSE(has(possible_transitions(t), S::assigned));
  EXPECT_TRUE(has(possible_transitions(t), S::in_progress));
  t.assignee_id = 7;
  EXPECT_TRUE(has(possible_transitions(t), S::assigned));
}

TEST(TicketRules, RequestersAnswerUntilClosed) {
  for (std::size_t i = 0; i < enum_count<S>(); ++i) {
    const auto s = static_cast<S>(i);
    EXPECT_EQ(requester_may_reply(s), category_of(s) != StatusCategory::closed) << to_string(s);
  }
}

TEST(TicketRules, MovesBetweenLevelsAndGroups) {
  EXPECT_EQ(level_change_kind(1, 2), EventKind::escalation);
  EXPECT_EQ(level_change_kind(1, 3), EventKind::escalation);
  EXPECT_EQ(level_change_kind(3, 1), EventKind::level_return);
  EXPECT_EQ(level_change_kind(2, 1), EventKind::level_return);
  EXPECT_TRUE(transition_needs_assignee(S::assigned));
  EXPECT_FALSE(transition_needs_assignee(S::in_progress));
  EXPECT_TRUE(assignee_stays(std::nullopt, {}));
  EXPECT_TRUE(assignee_stays(7, {3, 7}));
  EXPECT_FALSE(assignee_stays(7, {3, 8}));
  EXPECT_FALSE(assignee_stays(7, {}));
}

// The policy in force when the job runs decides, not the one it was
// scheduled under.
TEST(TicketRules, DecideAutoCloseFollowsThePolicyInForce) {
  using K = AutoCloseDecision::Kind;
  const Instant resolved = at(2027, 2, 8);
  Ticket t;
  t.status = S::resolved;
  t.resolved_at = resolved;
  struct Case {
    bool enabled;
    Duration after;
    Instant now;
    K kind;
    Instant later_at;
  };
  const Case cases[] = {
      {true, 72h, resolved + 72h, K::close, {}},
      {true, 72h, resolved + 100h, K::close, {}},
      {true, 96h, resolved + 72h, K::later, resolved + 96h},  // the delay grew
      {true, 24h, resolved + 72h, K::close, {}},              // it shrank: close now
      {false, 72h, resolved + 72h, K::nothing, {}},           // turned off meanwhile
  };
  for (const auto& c : cases) {
    const auto d = decide_auto_close(t, resolved, AutoClosePolicy{c.enabled, c.after}, c.now);
    EXPECT_EQ(d.kind, c.kind) << c.after.count() << " " << c.enabled;
    if (c.kind == K::later) {
      EXPECT_EQ(d.later_at, c.later_at);
    }
  }
  t.status = S::in_progress;  // reopened
  EXPECT_EQ(decide_auto_close(t, resolved, AutoClosePolicy{}, resolved + 72h).kind, K::nothing);
}

}  // namespace
}  // namespace sd
