// Files on tickets: uploads (stored before the ticket or comment they go
// with, claimed by it in its transaction), what a viewer may list and
// download. Mail intake attaches its files itself (desk/mail.hpp).
#pragma once

#include <string>
#include <vector>

#include "desk/outcome.hpp"
#include "domain/actor.hpp"
#include "domain/mailbox.hpp"
#include "store/blobs.hpp"
#include "store/tx.hpp"

namespace sd::desk {

inline constexpr std::size_t kMaxUploadBytes = 25 * 1024 * 1024;
inline constexpr int kMaxFilesPerMessage = 20;
// Uploads not sent with a ticket or comment are removed after this.
inline constexpr Duration kKeepUnusedUploads = std::chrono::hours(24);

struct NewUpload {
  store::BlobRef blob;  // already stored
  std::string filename, declared_type, sniffed_type;
};
Result<Outcome<std::vector<Attachment>>> record_uploads(store::Tx& tx, const Actor& a,
                                                        const std::vector<NewUpload>& files,
                                                        Instant now);

// Gives the actor's unused uploads to an event of a ticket; a field error
// on "attachment_ids" when one is unknown, someone else's or already used.
Status attach_uploads(store::Tx& tx, const Actor& a, const std::vector<Id>& ids, Id ticket_id,
                      Id event_id, bool internal);

// A ticket's attachments the actor may see (an internal note's only for staff).
Result<std::vector<Attachment>> ticket_attachments(store::Tx& tx, const Actor& a, Id ticket_id);
// One attachment, when the actor may see its ticket (and its note), or
// their own unused upload.
Result<Attachment> get_attachment(store::Tx& tx, const Actor& a, Id id);

// The safe form of a file name a client or a mail gave: no path, no
// control characters, at most 200 bytes; "file" when nothing is left.
std::string safe_filename(std::string_view name);

}  // namespace sd::desk
