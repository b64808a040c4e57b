// The outbox: mail the desk means to send, each row sent by one mail.send
// job, kept with what became of it.
#pragma once

#include <optional>
#include <vector>

#include "domain/model.hpp"
#include "store/repo/page.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

class OutboxRepo : Repo {
 public:
  explicit OutboxRepo(Tx& tx) : Repo(tx) {}
  Id insert(const OutboxMessage& m);
  std::optional<OutboxMessage> find(Id id);
  // Newest first; `status` empty: any.
  Page<OutboxMessage> list(std::optional<Id> before_id, int limit, const std::string& status = {});
  // A ticket's mail, the newest `limit`, oldest first.
  std::vector<OutboxMessage> of_ticket(Id ticket_id, int limit);
  // Records an attempt's end: status sent, failed, held or still pending
  // (a temporary failure, tried again later).
  void record(Id id, const std::string& status, const std::string& error, Instant now);
  // How many automatic mails went to an address since `since` (the rate
  // limit of automatic replies).
  std::int64_t automatic_since(const std::string& to_address, Instant since);
};

inline OutboxRepo Tx::outbox() { return OutboxRepo(*this); }

}  // namespace sd::store
