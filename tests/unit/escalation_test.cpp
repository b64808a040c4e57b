// Escalation rules (issue 8): which rules a cause sets off, what they do
// together (raise only, never lower), and which rules are refused.
#include "domain/escalation.hpp"

#include <gtest/gtest.h>

namespace sd {
namespace {

EscalationRule rule(const char* name, EscalationTrigger trig, std::string target = {}) {
  EscalationRule r;
  r.name = name;
  r.trigger = trig;
  r.target = std::move(target);
  return r;
}

Ticket ticket(Impact impact = Impact::not_critical, TicketType type = TicketType::incident) {
  Ticket t;
  t.impact = impact;
  t.type = type;
  t.priority = Priority::medium;
  t.support_level = 1;
  return t;
}

// The source document's defaults, as migration 8 ships them.
std::vector<EscalationRule> defaults() {
  auto fr = rule("fr", EscalationTrigger::sla_breach, "first_response");
  fr.directory_level = 2;
  auto res = rule("res", EscalationTrigger::sla_breach, "resolution");
  res.support_level = 3;
  res.directory_level = 3;
  auto loss = rule("loss", EscalationTrigger::created);
  loss.impacts = {Impact::loss_of_functionality};
  loss.directory_level = 4;
  return {fr, res, loss};
}

TEST(Escalation, TheDefaultsFollowTheSourceDocument) {
  const auto rules = defaults();
  struct Case {
    const char* what;
    EscalationCause cause;
    Ticket t;
    std::vector<int> directory;
    std::optional<SupportLevel> level;
  };
  const Case cases[] = {
      {"first response missed", cause_of(SlaMoment::first_response_breach, 7), ticket(), {2}, {}},
      {"resolution missed", cause_of(SlaMoment::resolution_breach, 7), ticket(), {3}, 3},
      {"a warning sets nothing off", cause_of(SlaMoment::resolution_warning, 7), ticket(), {}, {}},
      {"loss of functionality at once",
       {EscalationTrigger::created, {}, {}},
       ticket(Impact::loss_of_functionality),
       {4},
       {}},
      {"an ordinary ticket at creation", {EscalationTrigger::created, {}, {}}, ticket(), {}, {}},
  };
  for (const auto& c : cases) {
    const auto p = plan_escalation(rules, c.cause, c.t);
    EXPECT_EQ(p.directory_levels, c.directory) << c.what;
    EXPECT_EQ(p.support_level, c.level) << c.what;
    EXPECT_EQ(p.empty(), c.directory.empty() && !c.level) << c.what;
  }
}

TEST(Escalation, RulesRaiseAndNeverLower) {
  auto to2 = rule("to2", EscalationTrigger::sla_breach);
  to2.support_level = 2;
  to2.priority = Priority::low;  // lower than medium: not applied
  auto to3 = rule("to3", EscalationTrigger::sla_breach);
  to3.support_level = 3;
  to3.priority = Priority::high;
  Ticket t = ticket();
  auto p = plan_escalation({to2, to3}, cause_of(SlaMoment::resolution_breach, 1), t);
  EXPECT_EQ(p.support_level, 3);
  EXPECT_EQ(p.priority, Priority::high);
  EXPECT_EQ(p.rule_names, (std::vector<std::string>{"to2", "to3"}));
  t.support_level = 3;
  t.priority = Priority::critical;
  p = plan_escalation({to2, to3}, cause_of(SlaMoment::resolution_breach, 1), t);
  EXPECT_FALSE(p.support_level) << "already at level 3";
  EXPECT_FALSE(p.priority) << "already more urgent";
  EXPECT_FALSE(p.empty()) << "the rules still applied";
}

TEST(Escalation, APolicyATargetATypeAndActivityNarrowARule) {
  auto r = rule("r", EscalationTrigger::sla_warning, "resolution");
  r.policy_id = 5;
  r.types = {TicketType::complaint};
  r.directory_level = 1;
  const Ticket complaint = ticket(Impact::not_critical, TicketType::complaint);
  EXPECT_TRUE(rule_applies(r, cause_of(SlaMoment::resolution_warning, 5), complaint));
  EXPECT_FALSE(rule_applies(r, cause_of(SlaMoment::resolution_warning, 6), complaint));
  EXPECT_FALSE(rule_applies(r, cause_of(SlaMoment::first_response_warning, 5), complaint));
  EXPECT_FALSE(rule_applies(r, cause_of(SlaMoment::resolution_breach, 5), complaint));
  EXPECT_FALSE(rule_applies(r, cause_of(SlaMoment::resolution_warning, 5), ticket()));
  r.active = false;
  EXPECT_FALSE(rule_applies(r, cause_of(SlaMoment::resolution_warning, 5), complaint));
}

TEST(Escalation, RulesThatCannotBeAreRefused) {
  auto good = rule("ok", EscalationTrigger::sla_breach, "resolution");
  good.directory_level = 2;
  EXPECT_TRUE(check_escalation_rule(good).empty());
  auto field_of = [](const EscalationRule& r) {
    auto e = check_escalation_rule(r);
    return e.empty() ? std::string() : e.front().field;
  };
  auto nothing = good;
  nothing.directory_level.reset();
  EXPECT_EQ(field_of(nothing), "actions");
  auto level5 = good;
  level5.directory_level = 5;
  EXPECT_EQ(field_of(level5), "directory_level");
  auto support4 = good;
  support4.support_level = 4;
  EXPECT_EQ(field_of(support4), "support_level");
  auto target = good;
  target.target = "soon";
  EXPECT_EQ(field_of(target), "target");
  auto created = good;
  created.trigger = EscalationTrigger::created;
  EXPECT_EQ(field_of(created), "target") << "a rule on creation has no target";
  auto unnamed = good;
  unnamed.name = "";
  EXPECT_EQ(field_of(unnamed), "name");
  auto twice = good;
  twice.types = {TicketType::incident, TicketType::incident};
  EXPECT_EQ(field_of(twice), "types");
}

TEST(Escalation, TheReasonSaysWhatHappenedAndWhichRules) {
  EXPECT_EQ(escalation_reason(cause_of(SlaMoment::first_response_breach, 1), {"a", "b"}),
            "first_response breached (rules: a, b)");
  EXPECT_EQ(escalation_reason({EscalationTrigger::created, {}, {}}, {"loss"}),
            "on creation (rules: loss)");
}

}  // namespace
}  // namespace sd
