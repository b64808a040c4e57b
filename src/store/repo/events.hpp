// Ticket timelines: append-only events, written in the same transaction as
// the change they record. Each append is announced to the live channel once
// the transaction commits (Store::open_feed reads them in commit order).
#pragma once

#include <optional>
#include <vector>

#include "domain/model.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

enum class Internal { include, exclude };

class EventRepo : Repo {
 public:
  explicit EventRepo(Tx& tx) : Repo(tx) {}
  // Stores the event and returns its id.
  Id append(const Event& e);
  std::vector<Event> list(Id ticket_id, Internal internal);
  std::optional<Event> find(Id event_id);
  // The user has read the ticket's timeline up to `event_id`.
  void mark_read(Id user_id, Id ticket_id, Id event_id);
};

inline EventRepo Tx::events() { return EventRepo(*this); }

}  // namespace sd::store
