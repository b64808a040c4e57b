#include "domain/sla_clock.hpp"

#include <algorithm>

#include "domain/lifecycle.hpp"

namespace sd {
namespace {

// An interval in which a clock counts; `to` unset: it counts on.
struct Segment {
  Instant from{};
  std::optional<Instant> to;
};

// The intervals a clock counts in: from creation, less the pauses that stop
// it, cut at `stop` (a first response). After a stop, one open interval
// from it projects when the target would have been due.
struct Run {
  std::vector<Segment> counted;  // where the clock really counted
  std::optional<Instant> tail;   // where it counts on (or would have), if it does
};

Run run_of(Instant created, const std::vector<SlaPause>& pauses, bool status_pauses_stop,
           std::optional<Instant> stop) {
  Run r;
  std::optional<Instant> cursor = created;
  for (const SlaPause& p : pauses) {
    if (p.kind == SlaPauseKind::status && !status_pauses_stop) continue;
    if (!cursor) break;
    if (p.from > *cursor) r.counted.push_back({*cursor, p.from});
    cursor = p.to ? std::optional<Instant>(std::max(*cursor, *p.to)) : std::nullopt;
  }
  if (cursor) r.counted.push_back({*cursor, std::nullopt});
  if (stop) {
    std::vector<Segment> cut;
    for (const Segment& s : r.counted) {
      if (s.from >= *stop) break;
      cut.push_back({s.from, s.to ? std::min(*s.to, *stop) : *stop});
    }
    r.counted = std::move(cut);
    r.tail = *stop;
    return r;
  }
  if (!r.counted.empty() && !r.counted.back().to) {
    r.tail = r.counted.back().from;
    r.counted.pop_back();
  }
  return r;
}

// When the clock has counted `amount`: within the counted intervals, or
// on the tail; unset when it stands still short of it.
std::optional<Instant> reach(const BusinessClock& cal, const Run& r, Duration amount) {
  Duration used{0};
  for (const Segment& s : r.counted) {
    const Duration b = cal.between(s.from, *s.to);
    if (used + b >= amount) return cal.add(s.from, amount - used);
    used += b;
  }
  if (r.tail) return cal.add(*r.tail, amount - used);
  return std::nullopt;
}

Duration elapsed_at(const BusinessClock& cal, const Run& r, bool tail_counts, Instant now) {
  Duration used{0};
  for (const Segment& s : r.counted) used += cal.between(s.from, std::min(*s.to, now));
  if (tail_counts && r.tail) used += cal.between(*r.tail, now);
  return used;
}

Duration warning_of(std::int64_t minutes, int percent) {
  return Duration{minutes * 60'000 * percent / 100};
}

// Whether a moment of the first-response target still concerns the
// ticket: not when the response came before it.
bool eligible(const SlaState& s, SlaMoment m, Instant at) {
  if (m == SlaMoment::first_response_warning || m == SlaMoment::first_response_breach)
    return !s.first_response_at || at <= *s.first_response_at;
  return true;
}

}  // namespace

std::optional<SlaPauseKind> pause_for(TicketStatus status, const std::vector<TicketStatus>& pause) {
  const StatusCategory c = category_of(status);
  if (c == StatusCategory::resolved || c == StatusCategory::closed) return SlaPauseKind::resolved;
  if (std::find(pause.begin(), pause.end(), status) != pause.end()) return SlaPauseKind::status;
  return std::nullopt;
}

bool set_pause(SlaState& s, std::optional<SlaPauseKind> want, Instant now) {
  SlaPause* open = !s.pauses.empty() && !s.pauses.back().to ? &s.pauses.back() : nullptr;
  if (open && want && open->kind == *want) return false;
  if (!open && !want) return false;
  if (open) {
    open->to = std::max(open->from, now);
    // A pause that lasted no time leaves no trace.
    if (*open->to == open->from) s.pauses.pop_back();
  }
  if (want) s.pauses.push_back({now, std::nullopt, *want});
  return true;
}

bool set_policy(SlaState& s, std::optional<Id> policy) {
  if (s.policy_id == policy) return false;
  s.policy_id = policy;
  return true;
}

SlaView sla_view(const SlaPolicy& p, const Calendar& cal, Instant created_at, const SlaState& s,
                 Instant now) {
  return sla_view(p, BusinessClock(cal), created_at, s, now);
}

SlaView sla_view(const SlaPolicy& p, const BusinessClock& cal, Instant created_at,
                 const SlaState& s, Instant now) {
  SlaView v;
  const bool open_pause = !s.pauses.empty() && !s.pauses.back().to;
  const bool resolved_now = open_pause && s.pauses.back().kind == SlaPauseKind::resolved;
  v.paused = open_pause;

  {
    SlaTargetView& t = v.first_response;
    t.target = std::chrono::minutes(p.first_response_minutes);
    const Run r = run_of(created_at, s.pauses, false, s.first_response_at);
    t.due_at = reach(cal, r, t.target);
    t.warning_at =
        reach(cal, r, warning_of(p.first_response_minutes, p.first_response_warning_percent));
    t.running = !s.first_response_at && !resolved_now;
    t.elapsed = elapsed_at(cal, r, !s.first_response_at, now);
    const Instant until = s.first_response_at.value_or(now);
    t.breached = t.due_at && *t.due_at <= until;
    t.met = s.first_response_at && !t.breached;
  }
  {
    SlaTargetView& t = v.resolution;
    t.target = std::chrono::minutes(p.resolution_minutes);
    const Run r = run_of(created_at, s.pauses, true, std::nullopt);
    t.due_at = reach(cal, r, t.target);
    t.warning_at = reach(cal, r, warning_of(p.resolution_minutes, p.resolution_warning_percent));
    t.running = !open_pause;
    t.elapsed = elapsed_at(cal, r, true, now);
    t.breached = t.due_at && *t.due_at <= now;
    t.met = resolved_now && !t.breached;
  }
  auto consider = [](std::optional<Instant>& best, std::optional<Instant> at) {
    if (at && (!best || *at < *best)) best = at;
  };
  if (!s.first_response_at && !resolved_now) consider(v.next_due, v.first_response.due_at);
  if (!resolved_now) consider(v.next_due, v.resolution.due_at);
  for (std::size_t i = 0; i < kSlaMoments; ++i) {
    const auto m = static_cast<SlaMoment>(i);
    const auto at = moment_at(v, m);
    if (!s.written[i] && at && eligible(s, m, *at)) consider(v.next_check, at);
  }
  return v;
}

std::optional<Instant> moment_at(const SlaView& v, SlaMoment m) {
  switch (m) {
    case SlaMoment::first_response_warning:
      return v.first_response.warning_at;
    case SlaMoment::first_response_breach:
      return v.first_response.due_at;
    case SlaMoment::resolution_warning:
      return v.resolution.warning_at;
    case SlaMoment::resolution_breach:
      return v.resolution.due_at;
  }
  return std::nullopt;
}

std::vector<SlaMoment> moments_due(const SlaView& v, const SlaState& s, Instant now) {
  std::vector<std::pair<Instant, SlaMoment>> due;
  for (std::size_t i = 0; i < kSlaMoments; ++i) {
    const auto m = static_cast<SlaMoment>(i);
    const auto at = moment_at(v, m);
    if (!s.written[i] && at && *at <= now && eligible(s, m, *at)) due.push_back({*at, m});
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<SlaMoment> out;
  for (const auto& [at, m] : due) out.push_back(m);
  return out;
}

TicketSla ticket_sla(Id ticket_id, const SlaState& s, const std::optional<SlaView>& v,
                     Instant now) {
  TicketSla r;
  r.ticket_id = ticket_id;
  r.state = s;
  r.updated_at = now;
  if (!v) return r;
  r.first_response_due_at = v->first_response.due_at;
  r.first_response_warning_at = v->first_response.warning_at;
  r.resolution_due_at = v->resolution.due_at;
  r.resolution_warning_at = v->resolution.warning_at;
  r.paused = v->paused;
  if (v->paused && !v->resolution.breached)
    r.resolution_left = v->resolution.target - v->resolution.elapsed;
  return r;
}

const char* moment_target(SlaMoment m) {
  return m == SlaMoment::first_response_warning || m == SlaMoment::first_response_breach
             ? "first_response"
             : "resolution";
}

bool moment_is_breach(SlaMoment m) {
  return m == SlaMoment::first_response_breach || m == SlaMoment::resolution_breach;
}

}  // namespace sd
