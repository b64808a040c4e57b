// A ticket's service-level clocks (issue 8): how much business time each
// target has used, when it is (or was) due, when to warn, and what the
// desk still owes the ticket's timeline. Pure: the state is what the store
// keeps per ticket, the view what it shows at a given instant.
//
// Both clocks count business time of the policy's calendar from the
// ticket's creation. The first-response clock stops at the first public
// reply by staff and stands still while the ticket is resolved or closed.
// The resolution clock also stands still in the policy's pause statuses.
// Pauses are kept as intervals, so that a policy chosen later (or a
// calendar that changed) counts the same history again from creation.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "domain/calendar.hpp"
#include "domain/contract.hpp"
#include "domain/enums.hpp"
#include "domain/sla.hpp"
#include "domain/time.hpp"

namespace sd {

// Why a clock stands still: a pause status of the policy (the resolution
// clock only), or the ticket being resolved or closed (both clocks).
enum class SlaPauseKind : std::uint8_t { status, resolved };

struct SlaPause {
  Instant from{};
  std::optional<Instant> to;  // unset while it lasts
  SlaPauseKind kind = SlaPauseKind::status;
  friend bool operator==(const SlaPause&, const SlaPause&) = default;
};

// The four moments the desk writes on the timeline, once each per ticket:
// the warning and the breach of each target.
enum class SlaMoment : std::uint8_t {
  first_response_warning,
  first_response_breach,
  resolution_warning,
  resolution_breach,
};
constexpr std::size_t kSlaMoments = 4;

// What the store keeps per ticket.
struct SlaState {
  std::optional<Id> policy_id;
  std::optional<Instant> first_response_at;  // the first public reply by staff
  std::vector<SlaPause> pauses;              // in time order; only the last may be open
  // When the desk wrote each moment's event, indexed by SlaMoment.
  std::array<std::optional<Instant>, kSlaMoments> written{};
  friend bool operator==(const SlaState&, const SlaState&) = default;
};

// The pause a ticket in `status` is in under pause statuses `pause`
// (nullopt: both clocks run).
std::optional<SlaPauseKind> pause_for(TicketStatus status, const std::vector<TicketStatus>& pause);

// Closes the open pause and opens the one `want` names, at `now`, unless
// the open one is already that. Returns whether anything changed.
bool set_pause(SlaState& s, std::optional<SlaPauseKind> want, Instant now);

// Chooses `policy` (nullopt: none applies). Its targets count from creation
// over the same pauses. What was written stays written: each warning and
// breach is written once per ticket and target, whatever the policy.
// Returns whether the policy changed.
bool set_policy(SlaState& s, std::optional<Id> policy);

// One target at an instant.
struct SlaTargetView {
  Duration target{0};
  // When the clock reaches (or reached) the target; unset while it stands
  // still short of it. For a first response given, the moment it was due.
  std::optional<Instant> due_at;
  std::optional<Instant> warning_at;  // likewise for the warning threshold
  Duration elapsed{0};                // business time on the clock at the instant
  bool running = false;               // counting at the instant
  bool met = false;                   // a first response in time; a resolution within target
  bool breached = false;              // the clock reached the target before it was met
};

struct SlaView {
  SlaTargetView first_response, resolution;
  bool paused = false;  // the resolution clock stands still
  // The next due of a clock still to be met (a breached one included): what
  // queues sort by. Unset when both stand still or are met.
  std::optional<Instant> next_due;
  // The first moment not yet written whose instant is known: when the
  // desk's check must run next (perhaps already past).
  std::optional<Instant> next_check;
};

// REQUIRES: check_calendar(cal) empty; s.pauses in order.
SlaView sla_view(const SlaPolicy& p, const BusinessClock& cal, Instant created_at,
                 const SlaState& s, Instant now);
SlaView sla_view(const SlaPolicy& p, const Calendar& cal, Instant created_at, const SlaState& s,
                 Instant now);

// The instant of a moment in a view, if known.
std::optional<Instant> moment_at(const SlaView& v, SlaMoment m);

// The moments due at `now` and not yet written, in the order to write them.
std::vector<SlaMoment> moments_due(const SlaView& v, const SlaState& s, Instant now);

// A ticket's clocks as the store keeps them: the state, and the view as
// computed at the ticket's last change (its dues change only when the
// ticket, its policy or the policy's calendar does), so that reads and
// queues need no calendar.
struct TicketSla {
  Id ticket_id = 0;
  SlaState state;
  std::optional<Instant> first_response_due_at, first_response_warning_at;
  std::optional<Instant> resolution_due_at, resolution_warning_at;
  bool paused = false;
  // The business time the resolution clock has left while it stands still.
  std::optional<Duration> resolution_left;
  // Decided when the ticket was opened, and kept.
  Coverage coverage = Coverage::none;
  std::optional<Id> contract_id;
  Instant updated_at{};
};

// The record of `s` under its view `v` at `now`.
TicketSla ticket_sla(Id ticket_id, const SlaState& s, const std::optional<SlaView>& v, Instant now);

// "first_response" or "resolution": the event's field.
const char* moment_target(SlaMoment m);
bool moment_is_breach(SlaMoment m);

}  // namespace sd
