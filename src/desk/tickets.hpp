// Every change to a ticket, one function each, of the form
//   (Tx&, const Actor&, Command, Instant now) -> Result<Outcome>.
// The HTTP api, the demo loader, the command line, jobs (and later mail
// intake and automation) all call these; nothing else writes tickets or
// their events. Rules come from domain/; the store is reached through the
// caller's transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "desk/outcome.hpp"
#include "domain/actor.hpp"
#include "domain/enums.hpp"
#include "domain/error.hpp"
#include "domain/model.hpp"
#include "store/tx.hpp"

namespace sd::desk {

struct CreateTicket {
  TicketType type = TicketType::incident;
  std::string subject;
  std::string description;
  Impact impact = Impact::not_critical;
  Criticality criticality = Criticality::low;
  Channel arrived_by = Channel::web;  // how the request reached the desk
  std::optional<Channel> channel;     // staff may record another (a phone call)
  std::optional<Id> requester_id;     // staff may open it for someone; default the actor
  std::optional<Id> category_id;
  std::optional<Id> follow_up_of;  // a ticket the actor can see, recorded on both
  std::vector<Id> attachment_ids;  // the actor's uploads, sent with it
};
Result<Outcome<Ticket>> create_ticket(store::Tx& tx, const Actor& a, const CreateTicket& c,
                                      Instant now);

// Only the fields that are set change. An assignee or group of nullopt
// inside a set optional clears it.
// Every change to an existing ticket may name the version its author last
// saw (If-Match): when the ticket has changed since, nothing is done and the
// answer is precondition_failed, so that two agents never overwrite each
// other unawares.
using IfVersion = std::optional<std::int64_t>;

struct UpdateTicket {
  Id ticket_id = 0;
  IfVersion if_version;
  std::optional<TicketType> type;
  std::optional<std::string> subject;
  std::optional<std::string> description;
  std::optional<Impact> impact;
  std::optional<Criticality> criticality;
  std::optional<std::optional<Id>> category_id;
  std::optional<std::optional<Id>> assignee_id;
  std::optional<std::optional<Id>> group_id;
};
Result<Outcome<Ticket>> update_ticket(store::Tx& tx, const Actor& a, const UpdateTicket& c,
                                      Instant now);

struct TransitionTicket {
  Id ticket_id = 0;
  TicketStatus to = TicketStatus::in_progress;
  IfVersion if_version;
};
Result<Outcome<Ticket>> transition_ticket(store::Tx& tx, const Actor& a, const TransitionTicket& c,
                                          Instant now);

// A public reply, or an internal note (staff only).
struct CommentOnTicket {
  Id ticket_id = 0;
  std::string body;
  bool internal = false;
  IfVersion if_version;
  std::vector<Id> attachment_ids;  // the actor's uploads, sent with it
  // Mail intake only: the text answers one of the desk's signed Message-IDs,
  // so its sender may write on the ticket without seeing it.
  bool answers_desk_mail = false;
};
// An event written on a ticket, and the ticket after it.
struct TicketEvent {
  Event event;
  Ticket ticket;
};
Result<Outcome<TicketEvent>> comment_on_ticket(store::Tx& tx, const Actor& a,
                                               const CommentOnTicket& c, Instant now);

// Functional escalation to another support level, with a reason.
struct EscalateTicket {
  Id ticket_id = 0;
  SupportLevel to_level = 2;
  std::string reason;
  IfVersion if_version;
};
Result<Outcome<TicketEvent>> escalate_ticket(store::Tx& tx, const Actor& a, const EscalateTicket& c,
                                             Instant now);

// Moves `t` (read for update, in memory) to support level `to`, recording
// why, and to a group serving that level; an assignee outside that group
// hands it over. The caller stores `t`. Shared by escalate_ticket and the
// escalation rules.
Status move_to_level(store::Tx& tx, Effects& fx, Ticket& t, const Actor& a, SupportLevel to,
                     const std::string& reason, Instant now, Id* event_id = nullptr);

// Closes a ticket nobody confirmed or reopened since the resolution at
// `resolved_at` (the job ticket.auto_close). Does nothing, successfully,
// when that resolution no longer stands.
struct AutoCloseTicket {
  Id ticket_id = 0;
  Instant resolved_at{};
};
Result<Outcome<std::optional<Ticket>>> auto_close_ticket(store::Tx& tx, const Actor& a,
                                                         const AutoCloseTicket& c, Instant now);

// Enqueues the auto-close of a resolved ticket under the policy in force
// (a ticket resolved while auto-close was off, say). The id of the job, or
// nullopt when none applies or it is already queued.
Result<Outcome<std::optional<Id>>> schedule_auto_close(store::Tx& tx, const Actor& a, Id ticket_id,
                                                       Instant now);

// An event on `t` by `a` at `now`, of `kind`, the rest empty: what every use
// case that writes on a ticket's timeline starts from.
Event event_for(const Ticket& t, const Actor& a, EventKind kind, Instant now);

// The job kind of auto_close_ticket; its payload is
// {"ticket_id": N, "resolved_at": epoch milliseconds}.
inline constexpr const char* kAutoCloseJob = "ticket.auto_close";

}  // namespace sd::desk
