// Every message the email channel took in, once per mailbox and message
// (the unique dedupe key), with what became of it.
#pragma once

#include <optional>
#include <vector>

#include "domain/mailbox.hpp"
#include "store/repo/page.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

struct InboundQuery {
  std::vector<InboundStatus> statuses;  // empty: any
  std::optional<Id> mailbox_key;
  std::optional<Id> before_id;  // newest first
  int limit = 50;
};

class InboundMailRepo : Repo {
 public:
  explicit InboundMailRepo(Tx& tx) : Repo(tx) {}
  // REQUIRES: no row with the same (mailbox_key, dedupe_key).
  Id insert(const InboundMessage& m, const InboundContent& content);
  std::optional<InboundContent> content(Id id);
  std::optional<InboundMessage> find(Id id);
  std::optional<InboundMessage> find_by_key(Id mailbox_key, const std::string& dedupe_key);
  // The message seen again: counted, nothing else changes.
  void count_duplicate(Id id, Instant now);
  // After a retry: its new outcome.
  void update_outcome(const InboundMessage& m);
  Page<InboundMessage> list(const InboundQuery& q);
  // What arrived by mail on a ticket, oldest first; with what each said
  // when `content` is given.
  std::vector<InboundMessage> of_ticket(Id ticket_id,
                                        std::vector<InboundContent>* content = nullptr);
  // The ticket a message of the desk's outgoing mail, or one taken in, belongs to.
  std::optional<Id> ticket_of_message_id(const std::string& message_id);
};

inline InboundMailRepo Tx::inbound_mail() { return InboundMailRepo(*this); }

}  // namespace sd::store
