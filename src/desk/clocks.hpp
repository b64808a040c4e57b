// Service-level clocks, from the desk's side (issue 8): every change to a
// ticket brings its clocks in line (desk/tickets.cpp calls keep_clocks
// before storing the ticket); the job sla.check writes the warnings and
// breaches, each once, when they are due; the job sla.sweep brings every
// open ticket in line after a policy or calendar changed.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "desk/outcome.hpp"
#include "desk/sla_config.hpp"
#include "domain/calendar.hpp"
#include "domain/contract.hpp"
#include "domain/sla.hpp"
#include "domain/sla_clock.hpp"
#include "store/tx.hpp"

namespace sd::desk {

// The policies and calendars (desk/sla_config.hpp), and the contracts a
// transaction asks for.
class SlaContext {
 public:
  explicit SlaContext(store::Tx& tx);
  const std::vector<SlaPolicy>& policies() const { return m_config->policies; }
  // The policies a ticket under `contract_id` may fall under: the
  // contract's, when it names some; every policy otherwise.
  std::vector<SlaPolicy> policies_for(std::optional<Id> contract_id);
  const SlaPolicy* policy(Id id) const;
  // The calendar of a policy, ready for counting; the built-in 24x7 when
  // it is missing.
  const BusinessClock& calendar(Id id);

 private:
  store::Tx& m_tx;
  std::shared_ptr<const SlaConfig> m_config;
  std::map<Id, std::optional<Contract>> m_contracts;
};

// What happened to the ticket, as far as its clocks care.
struct ClockChange {
  bool first_response = false;  // a public reply by staff was just written
  // Set when the ticket is opened: its coverage, kept from then on.
  std::optional<CoverageDecision> coverage;
};

// The clocks after the change, as they are to be stored.
struct Clocks {
  TicketSla record;
  std::optional<SlaView> view;  // unset when no policy applies
  bool changed = true;          // differs from what is stored
};

// Brings the clocks of `t` in line with it at `now` and sets t.sla_due_at.
// Call after every other change to t, before storing it; then save_clocks
// once t has its id.
Clocks keep_clocks(store::Tx& tx, SlaContext& ctx, Ticket& t, const ClockChange& c, Instant now);
// Stores them (when they changed) and enqueues the check of their next moment.
void save_clocks(store::Tx& tx, Effects& fx, const Ticket& t, Clocks& clocks, Instant now);

// Stores a changed ticket (tx.tickets().update) with its clocks brought in line.
void store_with_clocks(store::Tx& tx, Effects& fx, Ticket& t, Instant now,
                       const ClockChange& c = {});

inline constexpr const char* kSlaCheckJob = "sla.check";
inline constexpr const char* kSlaSweepJob = "sla.sweep";

// The job sla.check, payload {"ticket_id": N}: writes the moments due.
Status check_clocks(store::Tx& tx, Id ticket_id, Instant now);
// The job sla.sweep, payload {"after_id": N}: one batch of open tickets,
// then the next batch's job.
Status sweep_clocks(store::Tx& tx, Id after_id, Instant now);
// Enqueues a sweep from the first ticket (a policy or calendar changed).
void schedule_sweep(Effects& fx, Instant now);

}  // namespace sd::desk
