// Mail in, from either door (the MTA pipe, an IMAP poll): parses the bytes
// and takes the message in, committed before this returns. A message the
// desk refuses (its use cases said no) is still kept, as failed with the
// reason; only a store that cannot commit is an error, so that the MTA or
// the next poll brings the message again. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "desk/mail.hpp"
#include "store/blobs.hpp"
#include "store/store.hpp"

namespace sd::mail {

// The message reached `mailbox_id` (an IMAP poll), or else the mailbox of
// `mailbox_address` (the pipe's --mailbox), or else the first of its
// Delivered-To, X-Original-To, To and Cc addresses that is a mailbox.
Result<InboundMessage> take_in(store::Store& store, const store::BlobStore& blobs,
                               std::string_view raw, std::optional<Id> mailbox_id,
                               std::string_view mailbox_address, const std::string& source,
                               Instant now);

}  // namespace sd::mail
