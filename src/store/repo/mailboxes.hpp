// The mailboxes the desk receives on, with their IMAP polling state.
#pragma once

#include <optional>
#include <vector>

#include "domain/mailbox.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

class MailboxRepo : Repo {
 public:
  explicit MailboxRepo(Tx& tx) : Repo(tx) {}
  // REQUIRES: no other mailbox has the address (unique_violation otherwise).
  Id insert(const Mailbox& m);
  std::optional<Mailbox> find(Id id, Lock lock = Lock::none);
  std::optional<Mailbox> find_by_address(const std::string& address);
  // Settings only; the polling state is written by record_poll.
  void update(const Mailbox& m);
  void remove(Id id);
  // By address.
  std::vector<Mailbox> list();
  // After a poll: the folder's UIDVALIDITY, the last UID taken in, and the
  // failure if any (empty: it went well).
  void record_poll(Id id, std::int64_t uidvalidity, std::int64_t last_uid, const std::string& error,
                   Instant now);
};

inline MailboxRepo Tx::mailboxes() { return MailboxRepo(*this); }

}  // namespace sd::store
