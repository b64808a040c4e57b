// Service-level clocks per ticket (domain/sla_clock.hpp's TicketSla).
#pragma once

#include <optional>
#include <unordered_map>
#include <vector>

#include "domain/sla_clock.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

class TicketSlaRepo : Repo {
 public:
  explicit TicketSlaRepo(Tx& tx) : Repo(tx) {}
  // Unset for a ticket whose clocks were never kept (made before them).
  std::optional<TicketSla> find(Id ticket_id);
  std::unordered_map<Id, TicketSla> find_many(const std::vector<Id>& ticket_ids);
  // Inserts or replaces.
  void save(const TicketSla& s);
};

inline TicketSlaRepo Tx::ticket_slas() { return TicketSlaRepo(*this); }

}  // namespace sd::store
