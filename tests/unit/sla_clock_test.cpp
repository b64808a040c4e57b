// A ticket's service-level clocks (issue 8): targets in business time
// across weekends, holidays and daylight-saving changes, pauses that span
// closed hours, first responses, resolutions and reopenings, policy
// changes, and the moments the desk still owes the timeline.
#include "domain/sla_clock.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

namespace sd {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

Instant at(const char* iso) {
  auto t = parse_iso8601(iso);
  EXPECT_TRUE(t) << iso;
  return t.value_or(Instant{});
}

std::string iso(const std::optional<Instant>& t) { return t ? to_iso8601(*t) : "unset"; }

// Monday to Friday, 09:00-18:00 in `zone`, with one holiday.
Calendar office(const char* zone = "America/Mexico_City") {
  Calendar c;
  c.name = "Oficina";
  c.time_zone = zone;
  for (int d = 0; d < 5; ++d) c.hours[d] = {{9 * 60, 18 * 60}};
  c.holidays = {{"2027-02-01", "Día de la Constitución"}};
  return c;
}

SlaPolicy policy(std::int64_t first_response_minutes, std::int64_t resolution_minutes) {
  SlaPolicy p;
  p.id = 1;
  p.name = "p";
  p.first_response_minutes = first_response_minutes;
  p.resolution_minutes = resolution_minutes;
  return p;
}

// A ticket created at `created` that never changed: when each target is due.
struct DueCase {
  const char* what;
  Calendar cal;
  const char* created;
  std::int64_t minutes;
  const char* due;
};

TEST(SlaClock, TargetsCountBusinessTimeFromCreation) {
  const DueCase cases[] = {
      {"24x7 is elapsed time", calendar_24x7(), "2027-01-08T23:00:00Z", 90,
       "2027-01-09T00:30:00.000Z"},
      {"Friday 17:00 plus two hours waits for Monday", office(), "2027-01-08T23:00:00Z", 120,
       "2027-01-11T16:00:00.000Z"},
      {"created on Saturday counts from Monday's opening", office(), "2027-01-09T18:00:00Z", 30,
       "2027-01-11T15:30:00.000Z"},
      {"a holiday Monday is skipped", office(), "2027-01-29T23:00:00Z", 120,
       "2027-02-02T16:00:00.000Z"},
      {"exact to the second across a weekend", office(), "2027-01-08T23:59:59Z", 1,
       "2027-01-11T15:00:59.000Z"},
      // New York springs forward on Sunday 2027-03-14: four hours from
      // Friday 16:00 EST (21:00Z) end on Monday at 11:00 EDT (15:00Z).
      {"across a daylight-saving change", office("America/New_York"), "2027-03-12T21:00:00Z", 240,
       "2027-03-15T15:00:00.000Z"},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(check_calendar(c.cal).empty()) << c.what;
    const SlaState s;
    const auto v = sla_view(policy(c.minutes, c.minutes), c.cal, at(c.created), s, at(c.created));
    EXPECT_EQ(iso(v.first_response.due_at), c.due) << c.what;
    EXPECT_EQ(iso(v.resolution.due_at), c.due) << c.what;
    EXPECT_TRUE(v.first_response.running && v.resolution.running) << c.what;
    EXPECT_FALSE(v.paused) << c.what;
    EXPECT_EQ(iso(v.next_due), c.due) << c.what;
  }
}

TEST(SlaClock, WarningsComeAtTheirShareOfTheTarget) {
  const Instant t0 = at("2027-01-11T15:00:00Z");  // Monday 09:00 in Mexico City
  SlaPolicy p = policy(60, 8 * 60);
  p.resolution_warning_percent = 50;
  const auto v = sla_view(p, office(), t0, SlaState{}, t0);
  EXPECT_EQ(iso(v.first_response.warning_at), "2027-01-11T15:45:00.000Z");
  EXPECT_EQ(iso(v.resolution.warning_at), "2027-01-11T19:00:00.000Z");
  EXPECT_EQ(iso(v.next_check), "2027-01-11T15:45:00.000Z") << "the first moment is the next check";
}

TEST(SlaClock, PauseStatusesStopTheResolutionClockAcrossClosedHours) {
  const Calendar cal = office();
  const Instant t0 = at("2027-01-11T15:00:00Z");  // Monday 09:00
  const SlaPolicy p = policy(9 * 60, 10 * 60);
  SlaState s;
  // Pending from Monday 17:00 to Tuesday 10:00 (local): two business hours,
  // Monday 17-18 and Tuesday 9-10, with a closed night between.
  ASSERT_TRUE(set_pause(s, SlaPauseKind::status, at("2027-01-11T23:00:00Z")));
  const auto paused = sla_view(p, cal, t0, s, at("2027-01-12T06:00:00Z"));
  EXPECT_TRUE(paused.paused);
  EXPECT_FALSE(paused.resolution.running);
  EXPECT_EQ(iso(paused.resolution.due_at), "unset") << "a clock standing still is not due";
  EXPECT_EQ(paused.resolution.elapsed, hours(8));
  EXPECT_TRUE(paused.first_response.running) << "a pause status does not stop the first response";
  EXPECT_EQ(iso(paused.first_response.due_at), "2027-01-12T00:00:00.000Z");

  ASSERT_TRUE(set_pause(s, std::nullopt, at("2027-01-12T16:00:00Z")));
  const auto v = sla_view(p, cal, t0, s, at("2027-01-12T16:00:00Z"));
  EXPECT_FALSE(v.paused);
  // Eight hours counted on Monday, two left from Tuesday 10:00: 12:00 local.
  EXPECT_EQ(iso(v.resolution.due_at), "2027-01-12T18:00:00.000Z");
  EXPECT_EQ(v.resolution.elapsed, hours(8));
  // Without the pause it would have been due on Tuesday at 10:00.
  const auto unpaused = sla_view(p, cal, t0, SlaState{}, t0);
  EXPECT_EQ(iso(unpaused.resolution.due_at), "2027-01-12T16:00:00.000Z");
}

TEST(SlaClock, AResolvedTicketStandsStillAndAReopenedOneResumesWithTheSameTarget) {
  const Calendar cal = calendar_24x7();
  const Instant t0 = at("2027-05-03T12:00:00Z");
  const SlaPolicy p = policy(60, 10 * 60);
  SlaState s;
  s.first_response_at = t0 + minutes(20);
  set_pause(s, SlaPauseKind::resolved, t0 + hours(4));
  const auto resolved = sla_view(p, cal, t0, s, t0 + hours(20));
  EXPECT_TRUE(resolved.paused);
  EXPECT_TRUE(resolved.resolution.met);
  EXPECT_FALSE(resolved.resolution.breached);
  EXPECT_EQ(resolved.resolution.elapsed, hours(4));
  EXPECT_FALSE(resolved.next_due) << "nothing is due on a resolved ticket";
  EXPECT_FALSE(resolved.next_check);

  set_pause(s, std::nullopt, t0 + hours(30));  // reopened
  const auto reopened = sla_view(p, cal, t0, s, t0 + hours(30));
  EXPECT_FALSE(reopened.resolution.met);
  EXPECT_EQ(reopened.resolution.due_at, t0 + hours(36)) << "six hours were left";
  EXPECT_EQ(reopened.next_due, t0 + hours(36));
}

TEST(SlaClock, ResolvingWithoutAReplyStopsTheFirstResponseClockToo) {
  const Calendar cal = calendar_24x7();
  const Instant t0 = at("2027-05-03T12:00:00Z");
  const SlaPolicy p = policy(60, 600);
  SlaState s;
  set_pause(s, SlaPauseKind::resolved, t0 + minutes(10));
  const auto v = sla_view(p, cal, t0, s, t0 + hours(5));
  EXPECT_FALSE(v.first_response.breached);
  EXPECT_FALSE(v.first_response.running);
  EXPECT_EQ(iso(v.first_response.due_at), "unset");
  set_pause(s, std::nullopt, t0 + hours(2));
  const auto reopened = sla_view(p, cal, t0, s, t0 + hours(2));
  EXPECT_EQ(reopened.first_response.due_at, t0 + hours(2) + minutes(50));
}

TEST(SlaClock, TheFirstResponseStopsItsClockAndSettlesItsMoments) {
  const Calendar cal = calendar_24x7();
  const Instant t0 = at("2027-05-03T12:00:00Z");
  const SlaPolicy p = policy(60, 600);

  SlaState early;
  early.first_response_at = t0 + minutes(30);  // before the warning at 45 minutes
  const auto a = sla_view(p, cal, t0, early, t0 + hours(3));
  EXPECT_TRUE(a.first_response.met);
  EXPECT_FALSE(a.first_response.breached);
  EXPECT_FALSE(a.first_response.running);
  EXPECT_EQ(a.first_response.elapsed, minutes(30));
  EXPECT_EQ(a.first_response.due_at, t0 + minutes(60)) << "when it was due";
  EXPECT_TRUE(moments_due(a, early, t0 + hours(3)).empty());
  EXPECT_EQ(a.next_check, t0 + minutes(450)) << "the resolution warning is next";
  EXPECT_EQ(a.next_due, t0 + minutes(600));

  SlaState between;
  between.first_response_at = t0 + minutes(50);  // after the warning, before the breach
  const auto b = sla_view(p, cal, t0, between, t0 + hours(3));
  EXPECT_TRUE(b.first_response.met);
  const auto due = moments_due(b, between, t0 + hours(3));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0], SlaMoment::first_response_warning);

  SlaState late;
  late.first_response_at = t0 + minutes(61);
  const auto c = sla_view(p, cal, t0, late, t0 + hours(3));
  EXPECT_TRUE(c.first_response.breached);
  EXPECT_FALSE(c.first_response.met);
}

TEST(SlaClock, BreachesAreDueOnceEachInTheOrderTheyHappened) {
  const Calendar cal = calendar_24x7();
  const Instant t0 = at("2027-05-03T12:00:00Z");
  const SlaPolicy p = policy(60, 120);
  SlaState s;
  const auto v = sla_view(p, cal, t0, s, t0 + minutes(100));
  EXPECT_TRUE(v.first_response.breached);
  EXPECT_FALSE(v.resolution.breached);
  EXPECT_EQ(v.next_due, t0 + minutes(60)) << "a breached clock sorts first";
  const auto due = moments_due(v, s, t0 + minutes(100));
  ASSERT_EQ(due.size(), 3u);
  EXPECT_EQ(due[0], SlaMoment::first_response_warning);  // 45 minutes
  EXPECT_EQ(due[1], SlaMoment::first_response_breach);   // 60
  EXPECT_EQ(due[2], SlaMoment::resolution_warning);      // 90
  for (auto m : due) s.written[static_cast<std::size_t>(m)] = t0 + minutes(100);
  EXPECT_TRUE(moments_due(sla_view(p, cal, t0, s, t0 + minutes(100)), s, t0 + minutes(100)).empty())
      << "written moments are not due again";
  EXPECT_EQ(sla_view(p, cal, t0, s, t0 + minutes(100)).next_check, t0 + minutes(120));
}

TEST(SlaClock, ANewPolicyCountsTheSameHistoryFromCreationAndKeepsWhatWasWritten) {
  const Calendar cal = calendar_24x7();
  const Instant t0 = at("2027-05-03T12:00:00Z");
  SlaState s;
  s.policy_id = 1;
  set_pause(s, SlaPauseKind::status, t0 + hours(1));
  set_pause(s, std::nullopt, t0 + hours(3));
  s.written[static_cast<std::size_t>(SlaMoment::first_response_warning)] = t0;
  EXPECT_FALSE(set_policy(s, Id{1})) << "the same policy changes nothing";
  EXPECT_TRUE(s.written[0]);
  ASSERT_TRUE(set_policy(s, Id{2}));
  EXPECT_TRUE(s.written[0]) << "once per ticket and target, whatever the policy";
  ASSERT_EQ(s.pauses.size(), 1u) << "the pause is kept";
  SlaPolicy stricter = policy(30, 4 * 60);
  stricter.id = 2;
  const auto v = sla_view(stricter, cal, t0, s, t0 + hours(3));
  // Four hours of target, one counted before the pause: due three hours after it ended.
  EXPECT_EQ(v.resolution.due_at, t0 + hours(6));
  EXPECT_EQ(v.first_response.due_at, t0 + minutes(30)) << "counted from creation";
  EXPECT_TRUE(v.first_response.breached);
  const auto due = moments_due(v, s, t0 + hours(3));
  EXPECT_EQ(std::count(due.begin(), due.end(), SlaMoment::first_response_warning), 0)
      << "the warning written under the old policy is not due again";
  EXPECT_EQ(std::count(due.begin(), due.end(), SlaMoment::first_response_breach), 1);
}

TEST(SlaClock, PausesOpenAndCloseOnlyOnAChangeOfKind) {
  const Instant t0 = at("2027-05-03T12:00:00Z");
  SlaState s;
  EXPECT_FALSE(set_pause(s, std::nullopt, t0));
  EXPECT_TRUE(set_pause(s, SlaPauseKind::status, t0));
  EXPECT_FALSE(set_pause(s, SlaPauseKind::status, t0 + hours(1)));
  EXPECT_TRUE(set_pause(s, SlaPauseKind::resolved, t0 + hours(2)));
  ASSERT_EQ(s.pauses.size(), 2u);
  EXPECT_EQ(s.pauses[0].to, t0 + hours(2));
  EXPECT_EQ(s.pauses[1].kind, SlaPauseKind::resolved);
  // A pause that lasted no time leaves no trace.
  EXPECT_TRUE(set_pause(s, std::nullopt, t0 + hours(2)));
  ASSERT_EQ(s.pauses.size(), 1u);
  EXPECT_EQ(pause_for(TicketStatus::pending, {TicketStatus::pending}), SlaPauseKind::status);
  EXPECT_EQ(pause_for(TicketStatus::pending, {}), std::nullopt);
  EXPECT_EQ(pause_for(TicketStatus::closed, {}), SlaPauseKind::resolved);
  EXPECT_EQ(pause_for(TicketStatus::in_progress, {TicketStatus::pending}), std::nullopt);
}

TEST(SlaClock, AResolvedPauseInsideAStatusPauseCountsOnce) {
  // Pending, then resolved straight from pending, then reopened: the
  // resolution clock stood still throughout; the first response only
  // while resolved.
  const Calendar cal = calendar_24x7();
  const Instant t0 = at("2027-05-03T12:00:00Z");
  const SlaPolicy p = policy(600, 600);
  SlaState s;
  set_pause(s, SlaPauseKind::status, t0 + hours(1));
  set_pause(s, SlaPauseKind::resolved, t0 + hours(2));
  set_pause(s, std::nullopt, t0 + hours(4));
  const auto v = sla_view(p, cal, t0, s, t0 + hours(5));
  EXPECT_EQ(v.resolution.elapsed, hours(2));
  EXPECT_EQ(v.first_response.elapsed, hours(3));
  EXPECT_EQ(v.resolution.due_at, t0 + hours(13));
  EXPECT_EQ(v.first_response.due_at, t0 + hours(12));
}

}  // namespace
}  // namespace sd
