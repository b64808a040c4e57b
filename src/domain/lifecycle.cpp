#include "domain/lifecycle.hpp"

#include <string>

namespace sd {

bool can_transition(TicketStatus from, TicketStatus to) {
  using S = TicketStatus;
  switch (from) {
    case S::new_:
      return to == S::assigned || to == S::in_progress || to == S::cancelled;
    case S::assigned:
      return to == S::in_progress || to == S::new_ || to == S::cancelled;
    case S::in_progress:
      return to == S::pending || to == S::resolved || to == S::cancelled;
    case S::pending:
      return to == S::in_progress || to == S::resolved || to == S::cancelled;
    case S::resolved:
      return to == S::closed || to == S::in_progress;
    case S::closed:
    case S::cancelled:
      return false;
  }
  return false;
}

std::vector<TicketStatus> allowed_transitions(TicketStatus from) {
  std::vector<TicketStatus> out;
  for (std::size_t i = 0; i < enum_count<TicketStatus>(); ++i) {
    auto to = static_cast<TicketStatus>(i);
    if (can_transition(from, to)) out.push_back(to);
  }
  return out;
}

Status apply_transition(Ticket& t, TicketStatus to, Instant now) {
  if (!can_transition(t.status, to)) {
    std::string allowed;
    for (auto s : allowed_transitions(t.status)) {
      if (!allowed.empty()) allowed += ", ";
      allowed += to_string(s);
    }
    return make_error(ErrorCode::conflict,
                      "cannot move a ticket from " + std::string(to_string(t.status)) + " to " +
                          std::string(to_string(to)) +
                          "; allowed: " + (allowed.empty() ? "none" : allowed));
  }
  if (category_of(to) == StatusCategory::resolved) t.resolved_at = now;
  if (category_of(t.status) == StatusCategory::resolved && is_open(to)) t.resolved_at.reset();
  if (category_of(to) == StatusCategory::closed) t.closed_at = now;
  t.status = to;
  t.updated_at = now;
  return {};
}

}  // namespace sd
