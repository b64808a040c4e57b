// The closed vocabularies of the desk (see DESIGN.md's table) and their
// names on the wire. Every enum here has to_string() and a parse function
// that returns false for a name it does not know.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sd {

enum class TicketType : std::uint8_t {
  complaint,
  incident,
  information_request,
  change_request,
  observation,
};

enum class Channel : std::uint8_t { web, email, phone, api, on_site };

// What a mailbox does with mail from an address no user has.
enum class UnknownSenders : std::uint8_t { create, refuse };

// What became of a message the email channel took in: it opened a ticket,
// joined one as a reply, was set aside with a reason (an auto-reply, a
// loop, a refused sender...) or could not be taken in (kept to retry).
enum class InboundStatus : std::uint8_t { ticket, comment, set_aside, failed };

enum class Impact : std::uint8_t { not_critical, critical, loss_of_functionality };

enum class Criticality : std::uint8_t { low, medium, high };

// Lower number, more urgent: p1 critical .. p4 low. Stored as 1..4.
enum class Priority : std::uint8_t { critical = 1, high = 2, medium = 3, low = 4 };

enum class TicketStatus : std::uint8_t {
  new_,
  assigned,
  in_progress,
  pending,
  resolved,
  closed,
  cancelled,
};

// Each status belongs to one fixed category. Queues, counts, indexes,
// permissions and service-level pauses look at the category only, so that
// statuses can become configuration without touching any of them.
enum class StatusCategory : std::uint8_t { new_, open, waiting, resolved, closed };

enum class Role : std::uint8_t { requester, agent, supervisor, admin };

// Who acts: a person signed in, or the desk itself (automation, jobs).
enum class ActorKind : std::uint8_t { user, system };

// A durable job's state: waiting to be due, leased by a node, given up on
// after its last attempt, or done.
enum class JobStatus : std::uint8_t { queued, running, failed, done };

enum class EventKind : std::uint8_t {
  created,
  reply,
  note,
  field_change,
  status_change,
  assignment,
  escalation,
  level_return,     // a ticket sent back down to a lower support level
  sla_warning,      // a service-level target at its warning threshold (field: the target)
  sla_breach,       // a service-level target missed (field: the target)
  mail_failed,      // mail the desk sent was refused for good (body: to whom, and why)
  solution_linked,  // a knowledge-base article given as the solution (new_value: its id)
};

// Knowledge-base articles: who may read one, and whether it is out yet.
enum class ArticleVisibility : std::uint8_t { public_, internal };
enum class ArticleStatus : std::uint8_t { draft, published };

// Support levels are 1..3 (functional escalation).
using SupportLevel = int;
constexpr SupportLevel kMinSupportLevel = 1;
constexpr SupportLevel kMaxSupportLevel = 3;

template <class E>
struct EnumNames;  // specialised below: static constexpr std::array names

#define SD_ENUM_NAMES(E, ...)                       \
  template <>                                       \
  struct EnumNames<E> {                             \
    static constexpr std::array names{__VA_ARGS__}; \
  };

SD_ENUM_NAMES(TicketType, std::string_view{"complaint"}, std::string_view{"incident"},
              std::string_view{"information_request"}, std::string_view{"change_request"},
              std::string_view{"observation"})
SD_ENUM_NAMES(Channel, std::string_view{"web"}, std::string_view{"email"},
              std::string_view{"phone"}, std::string_view{"api"}, std::string_view{"on_site"})
SD_ENUM_NAMES(Impact, std::string_view{"not_critical"}, std::string_view{"critical"},
              std::string_view{"loss_of_functionality"})
SD_ENUM_NAMES(Criticality, std::string_view{"low"}, std::string_view{"medium"},
              std::string_view{"high"})
SD_ENUM_NAMES(TicketStatus, std::string_view{"new"}, std::string_view{"assigned"},
              std::string_view{"in_progress"}, std::string_view{"pending"},
              std::string_view{"resolved"}, std::string_view{"closed"},
              std::string_view{"cancelled"})
SD_ENUM_NAMES(StatusCategory, std::string_view{"new"}, std::string_view{"open"},
              std::string_view{"waiting"}, std::string_view{"resolved"}, std::string_view{"closed"})
SD_ENUM_NAMES(ActorKind, std::string_view{"user"}, std::string_view{"system"})
SD_ENUM_NAMES(JobStatus, std::string_view{"queued"}, std::string_view{"running"},
              std::string_view{"failed"}, std::string_view{"done"})
SD_ENUM_NAMES(Role, std::string_view{"requester"}, std::string_view{"agent"},
              std::string_view{"supervisor"}, std::string_view{"admin"})
SD_ENUM_NAMES(EventKind, std::string_view{"created"}, std::string_view{"reply"},
              std::string_view{"note"}, std::string_view{"field_change"},
              std::string_view{"status_change"}, std::string_view{"assignment"},
              std::string_view{"escalation"}, std::string_view{"return"},
              std::string_view{"sla_warning"}, std::string_view{"sla_breach"},
              std::string_view{"mail_failed"}, std::string_view{"solution_linked"})
SD_ENUM_NAMES(ArticleVisibility, std::string_view{"public"}, std::string_view{"internal"})
SD_ENUM_NAMES(ArticleStatus, std::string_view{"draft"}, std::string_view{"published"})
SD_ENUM_NAMES(UnknownSenders, std::string_view{"create"}, std::string_view{"refuse"})
SD_ENUM_NAMES(InboundStatus, std::string_view{"ticket"}, std::string_view{"comment"},
              std::string_view{"set_aside"}, std::string_view{"failed"})
#undef SD_ENUM_NAMES

// Priority is numbered from 1, so it has its own pair.
constexpr std::array<std::string_view, 4> kPriorityNames{"critical", "high", "medium", "low"};

template <class E>
constexpr std::string_view to_string(E e) {
  return EnumNames<E>::names[static_cast<std::size_t>(e)];
}
constexpr std::string_view to_string(Priority p) {
  return kPriorityNames[static_cast<std::size_t>(p) - 1];
}

template <class E>
constexpr std::optional<E> parse_enum(std::string_view s) {
  const auto& names = EnumNames<E>::names;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == s) return static_cast<E>(i);
  return std::nullopt;
}
template <>
constexpr std::optional<Priority> parse_enum<Priority>(std::string_view s) {
  for (std::size_t i = 0; i < kPriorityNames.size(); ++i)
    if (kPriorityNames[i] == s) return static_cast<Priority>(i + 1);
  return std::nullopt;
}

// All values of an enum, for tables and tests.
template <class E>
constexpr std::size_t enum_count() {
  return EnumNames<E>::names.size();
}

}  // namespace sd
