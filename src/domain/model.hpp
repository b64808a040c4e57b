// The records of the desk as plain values. No I/O; the store fills them and
// the api turns them into JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/enums.hpp"
#include "domain/error.hpp"
#include "domain/time.hpp"

namespace sd {

struct Organisation {
  Id id = 0;
  std::string name;
  // When true, requesters of this organisation see each other's tickets.
  bool shared_tickets = false;
  Instant created_at{};
};

struct User {
  Id id = 0;
  std::string email;  // the login; empty for a caller known by name and phone only
  std::string name;
  std::string phone;
  Role role = Role::requester;
  std::optional<Id> organisation_id;
  std::string language = "es-MX";
  std::string timezone = "America/Mexico_City";
  bool active = true;
  // Set when someone else set the password: the user is to choose their own.
  bool must_change_password = false;
  Instant created_at{};
};

struct Group {
  Id id = 0;
  std::string name;
  SupportLevel support_level = 1;
  Instant created_at{};
};

struct Category {
  Id id = 0;
  std::string name;
  std::optional<Id> parent_id;
  Instant created_at{};
};

// One contact of the escalation directory (hierarchical escalation, levels
// 1-4 of the source document).
struct EscalationContact {
  Id id = 0;
  int level = 1;
  std::string role, name, office_phone, email, mobile;
  Instant created_at{};
};

constexpr int kMinEscalationLevel = 1;
constexpr int kMaxEscalationLevel = 4;

struct Ticket {
  Id id = 0;
  TicketType type = TicketType::incident;
  Channel channel = Channel::web;
  Impact impact = Impact::not_critical;
  Criticality criticality = Criticality::low;
  Priority priority = Priority::low;
  SupportLevel support_level = 1;
  TicketStatus status = TicketStatus::new_;  // its category: category_of(status)
  Id requester_id = 0;
  std::optional<Id> organisation_id;  // the requester's, at creation
  std::optional<Id> assignee_id;
  std::optional<Id> group_id;
  std::optional<Id> category_id;
  std::string subject;
  std::string description;
  Instant created_at{};
  Instant updated_at{};
  std::optional<Instant> resolved_at;
  std::optional<Instant> closed_at;
  // Grows by one at every change: the ETag clients send back in If-Match.
  std::int64_t version = 1;
  // The ticket this one follows up (a requester's answer to a closed one).
  std::optional<Id> follow_up_of;
  // The next due of its service-level clocks still to be met (a past one
  // when breached); unset when none runs. Kept by desk/ with the clocks.
  std::optional<Instant> sla_due_at;
  // Not a property of the ticket but of who looks: a list that names its
  // viewer says whether someone else wrote on it since they last read it.
  std::optional<bool> unread_by_viewer;
};

// A change made to someone's account by someone else (their password, their
// email), kept for whoever has to find out later who did it.
struct AuditEvent {
  Id id = 0;
  ActorKind actor_kind = ActorKind::user;
  std::optional<Id> actor_id;
  std::string action;  // e.g. "user.password_set", "user.email_changed"
  std::optional<Id> target_user_id;
  std::string detail;
  Instant created_at{};
};

// Something a member of staff is to know of (the bell of the web app):
// kind sla_warning, sla_breach (detail: the target) or escalation (detail:
// the directory level, or "support_level:N").
struct Notification {
  Id id = 0;
  Id user_id = 0;
  std::optional<Id> ticket_id;
  std::string kind;
  std::string detail;
  Instant created_at{};
  std::optional<Instant> read_at;
};

// Mail the desk means to send, kept until the email channel sends it.
// status: pending (a mail.send job will send it), sent, failed (refused for
// good, or out of attempts: last_error says why) or held (no SMTP server is
// configured; kept for the record).
struct OutboxMessage {
  Id id = 0;
  std::string kind;  // e.g. escalation_notice, acknowledgement, reply
  std::optional<Id> ticket_id;
  std::optional<Id> user_id;  // the recipient, when a user
  std::string to_address, to_name, language = "es-MX";
  std::string subject, body;
  std::string status = "pending";
  // Threading: its own Message-ID, and those it answers (without brackets;
  // references space-separated, oldest first).
  std::string message_id, in_reply_to, references;
  std::string auto_submitted;  // RFC 3834 value, empty for a person's mail
  int attempts = 0;
  std::string last_error;
  Instant created_at{};
  std::optional<Instant> sent_at;
};

// The human number of a ticket: SD-000123. Display only; the id is the key.
std::string ticket_number(Id id);
// Accepts "SD-000123" (any zero padding) and returns its id.
std::optional<Id> parse_ticket_number(std::string_view text);

// One entry of a ticket's append-only timeline.
struct Event {
  Id id = 0;
  Id ticket_id = 0;
  EventKind kind = EventKind::created;
  ActorKind actor_kind = ActorKind::user;
  std::optional<Id> actor_id;  // the user; none when the desk itself acted
  bool internal = false;       // never shown to requesters
  std::string body;            // text of a reply or note, reason of an escalation
  std::string field;           // for field_change, status_change, assignment, escalation
  std::string old_value;
  std::string new_value;
  Instant created_at{};
  std::string actor_name;  // for display: the user's name, or the automation's
};

}  // namespace sd
