#include "desk/clocks.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "desk/escalation.hpp"
#include "store/repo/contracts.hpp"
#include "store/repo/sla_policies.hpp"
#include "store/repo/ticket_slas.hpp"
#include "store/repo/tickets.hpp"

namespace sd::desk {
namespace {

using store::Tx;

// Sweeps take open tickets this many at a time, one transaction each.
constexpr int kSweepBatch = 500;

// The clocks of a ticket from before clocks were kept: no first response
// known, and standing still since its resolution if it is resolved.
SlaState state_before_clocks(const Ticket& t) {
  SlaState s;
  if (auto k = pause_for(t.status, {}); k == SlaPauseKind::resolved)
    s.pauses.push_back({t.resolved_at.value_or(t.updated_at), std::nullopt, *k});
  return s;
}

bool same_record(TicketSla a, const TicketSla& b) {
  a.updated_at = b.updated_at;
  return a.ticket_id == b.ticket_id && a.state == b.state &&
         a.first_response_due_at == b.first_response_due_at &&
         a.first_response_warning_at == b.first_response_warning_at &&
         a.resolution_due_at == b.resolution_due_at &&
         a.resolution_warning_at == b.resolution_warning_at && a.paused == b.paused &&
         a.resolution_left == b.resolution_left && a.coverage == b.coverage &&
         a.contract_id == b.contract_id;
}

void enqueue_check(Effects& fx, Id ticket_id, std::optional<Instant> at, Instant now) {
  if (!at) return;
  JobSpec job;
  job.kind = kSlaCheckJob;
  job.payload = boost::json::serialize(boost::json::object{{"ticket_id", ticket_id}});
  job.due_at = std::max(*at, now);
  // One check per ticket and moment, however many changes led to it.
  job.dedupe_key = std::string(kSlaCheckJob) + ":" + std::to_string(ticket_id) + ":" +
                   std::to_string(to_unix_ms(*at));
  fx.job(job, now);
}

Event moment_event(const Ticket& t, SlaMoment m, Instant at, Instant now) {
  Event e;
  e.ticket_id = t.id;
  e.kind = moment_is_breach(m) ? EventKind::sla_breach : EventKind::sla_warning;
  e.actor_kind = ActorKind::system;
  e.actor_name = "service_level";
  e.internal = true;
  e.field = moment_target(m);
  e.new_value = to_iso8601(at);  // when the threshold or target was reached
  e.created_at = now;
  return e;
}

}  // namespace

SlaContext::SlaContext(Tx& tx) : m_tx(tx), m_config(sla_config(tx)) {}

std::vector<SlaPolicy> SlaContext::policies_for(std::optional<Id> contract_id) {
  const auto& all = m_config->policies;
  if (!contract_id) return all;
  auto it = m_contracts.find(*contract_id);
  if (it == m_contracts.end())
    it = m_contracts.emplace(*contract_id, m_tx.contracts().find(*contract_id)).first;
  if (!it->second || it->second->policy_ids.empty()) return all;
  std::vector<SlaPolicy> out;
  for (const auto& p : all)
    if (std::find(it->second->policy_ids.begin(), it->second->policy_ids.end(), p.id) !=
        it->second->policy_ids.end())
      out.push_back(p);
  return out;
}

const SlaPolicy* SlaContext::policy(Id id) const {
  for (const auto& p : m_config->policies)
    if (p.id == id) return &p;
  return nullptr;
}

const BusinessClock& SlaContext::calendar(Id id) {
  auto it = m_config->calendars.find(id);
  if (it != m_config->calendars.end()) return it->second;
  static const BusinessClock always(calendar_24x7());
  return always;
}

Clocks keep_clocks(Tx& tx, SlaContext& ctx, Ticket& t, const ClockChange& c, Instant now) {
  const auto stored = t.id ? tx.ticket_slas().find(t.id) : std::nullopt;
  SlaState s = stored ? stored->state : t.id ? state_before_clocks(t) : SlaState{};
  if (c.first_response && !s.first_response_at) s.first_response_at = now;
  // Coverage is decided when the ticket is opened (create_ticket) and kept.
  Coverage coverage = stored ? stored->coverage : Coverage::none;
  std::optional<Id> contract_id = stored ? stored->contract_id : std::nullopt;
  if (c.coverage) {
    coverage = c.coverage->coverage;
    contract_id = c.coverage->contract ? std::optional<Id>(c.coverage->contract->id) : std::nullopt;
  }
  const auto policy = select_sla_policy(
      ctx.policies_for(coverage == Coverage::covered ? contract_id : std::nullopt), t);
  set_policy(s, policy ? std::optional<Id>(policy->id) : std::nullopt);
  // With no policy, the default pause statuses: a policy chosen later counts
  // the same history.
  set_pause(s, pause_for(t.status, policy ? policy->pause_statuses : SlaPolicy{}.pause_statuses),
            now);
  Clocks out;
  if (policy) out.view = sla_view(*policy, ctx.calendar(policy->calendar_id), t.created_at, s, now);
  out.record = ticket_sla(t.id, s, out.view, now);
  out.record.coverage = coverage;
  out.record.contract_id = contract_id;
  out.changed = !stored || !same_record(out.record, *stored);
  t.sla_due_at = out.view ? out.view->next_due : std::nullopt;
  return out;
}

void save_clocks(Tx& tx, Effects& fx, const Ticket& t, Clocks& clocks, Instant now) {
  clocks.record.ticket_id = t.id;
  if (!clocks.changed) return;
  tx.ticket_slas().save(clocks.record);
  if (clocks.view) enqueue_check(fx, t.id, clocks.view->next_check, now);
}

void store_with_clocks(Tx& tx, Effects& fx, Ticket& t, Instant now, const ClockChange& c) {
  SlaContext ctx(tx);
  Clocks clocks = keep_clocks(tx, ctx, t, c, now);
  tx.tickets().update(t);
  save_clocks(tx, fx, t, clocks, now);
}

Status check_clocks(Tx& tx, Id ticket_id, Instant now) {
  auto t = tx.tickets().find(ticket_id, TicketScope::everything(), store::Lock::for_update);
  if (!t) return {};
  Effects fx(tx);
  SlaContext ctx(tx);
  const auto due_before = t->sla_due_at;
  Clocks clocks = keep_clocks(tx, ctx, *t, {}, now);
  std::vector<SlaMoment> due;
  if (clocks.view) due = moments_due(*clocks.view, clocks.record.state, now);
  for (SlaMoment m : due) {
    fx.event(moment_event(*t, m, *moment_at(*clocks.view, m), now));
    clocks.record.state.written[static_cast<std::size_t>(m)] = now;
  }
  if (!due.empty()) {
    // Written moments are no longer next.
    const SlaPolicy* p = ctx.policy(*clocks.record.state.policy_id);
    clocks.view =
        sla_view(*p, ctx.calendar(p->calendar_id), t->created_at, clocks.record.state, now);
    clocks.changed = true;
  }
  save_clocks(tx, fx, *t, clocks, now);
  // Then the rules, which may change the ticket (its level, priority, group).
  bool changed = false;
  for (SlaMoment m : due) {
    auto r = escalate_on_moment(tx, fx, *t, m, clocks.record.state.policy_id, now);
    if (!r) return r.error();
    changed = changed || *r;
  }
  if (changed) {
    t->updated_at = now;
    store_with_clocks(tx, fx, *t, now);
  } else if (t->sla_due_at != due_before) {
    tx.tickets().set_sla_due(t->id, t->sla_due_at);
  }
  return {};
}

Status sweep_clocks(Tx& tx, Id after_id, Instant now) {
  const auto ids = tx.tickets().open_ids_after(after_id, kSweepBatch);
  Effects fx(tx);
  SlaContext ctx(tx);
  for (Id id : ids) {
    auto t = tx.tickets().find(id, TicketScope::everything(), store::Lock::for_update);
    if (!t) continue;
    const auto due_before = t->sla_due_at;
    Clocks clocks = keep_clocks(tx, ctx, *t, {}, now);
    save_clocks(tx, fx, *t, clocks, now);
    if (t->sla_due_at != due_before) tx.tickets().set_sla_due(t->id, t->sla_due_at);
  }
  if (static_cast<int>(ids.size()) == kSweepBatch) {
    JobSpec next;
    next.kind = kSlaSweepJob;
    next.payload = boost::json::serialize(boost::json::object{{"after_id", ids.back()}});
    next.due_at = now;
    tx.jobs().enqueue(next, now);
  }
  return {};
}

void schedule_sweep(Effects& fx, Instant now) {
  JobSpec job;
  job.kind = kSlaSweepJob;
  job.payload = boost::json::serialize(boost::json::object{{"after_id", 0}});
  job.due_at = now;
  fx.job(job, now);
}

}  // namespace sd::desk
