// Files on ticket events, and the record of every stored file (blobs): a
// file's bytes live in the BlobStore under its hash, once.
#pragma once

#include <optional>
#include <vector>

#include "domain/mailbox.hpp"
#include "store/blobs.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

class AttachmentRepo : Repo {
 public:
  explicit AttachmentRepo(Tx& tx) : Repo(tx) {}
  // Records that a file is stored (once per hash).
  void record_blob(const BlobRef& b, Instant now);
  Id insert(const Attachment& a);
  std::optional<Attachment> find(Id id);
  // Oldest first.
  std::vector<Attachment> of_ticket(Id ticket_id);
  // Those written with the events `event_ids`.
  std::vector<Attachment> of_events(const std::vector<Id>& event_ids);
  // Gives `uploader`'s unused uploads among `ids` to an event; how many.
  std::int64_t claim_uploads(const std::vector<Id>& ids, Id uploader, Id ticket_id, Id event_id,
                             bool internal);
  // Removes uploads never sent with a ticket or comment, made before `before`.
  std::int64_t purge_unused(Instant before);
};

inline AttachmentRepo Tx::attachments() { return AttachmentRepo(*this); }

}  // namespace sd::store
