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

// The mailbox a message reached: the one named, else the first of its
// Delivered-To, X-Original-To, To and Cc addresses that is a mailbox.
Result<std::optional<Id>> mailbox_for(store::Store& store, const InboundMail* m,
                                      std::string_view named_address);

Result<InboundMessage> take_in(store::Store& store, const store::BlobStore& blobs,
                               std::string_view raw, std::optional<Id> mailbox_id,
                               const std::string& source, Instant now);

}  // namespace sd::mail
