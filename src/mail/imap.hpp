// Reading a mailbox over IMAP with libcurl, by UID: what the desk's mail
// intake polls. One ImapClient keeps one connection open across its calls
// (libcurl reuses it; it reconnects by itself when the server dropped it).
// An ImapClient is not thread-safe: one thread at a time, one per poller.
// Never throws; every call is bounded by the settings' timeout.
//
// Errors: unauthorized (login refused), unavailable (connect, TLS, timeout,
// the server failing a command), not_found (no such folder or UID),
// conflict with reason "uidvalidity_changed" (select() again and start the
// UID cursor over), payload_too_large (fetch over max_bytes),
// invalid_input (settings, flag names), internal (a reply we cannot read).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "domain/error.hpp"

namespace sd::mail {

struct ImapSettings {
  std::string url;  // imap://host:port or imaps://host:port (no path)
  std::string username, password;
  std::string folder = "INBOX";  // UTF-8; sent as modified UTF-7, escaped in URLs
  // For imap:// only: STARTTLS, refusing to go on without it (required),
  // if offered (opportunistic: else the password goes in clear), or never
  // (none). imaps:// is always TLS.
  enum class Tls { opportunistic, required, none } tls = Tls::required;
  bool verify_peer = true;                   // false only for tests with self-signed certificates
  std::chrono::milliseconds timeout{30000};  // each call; connecting gets at most 10 s of it
};

struct FolderState {
  std::uint64_t uidvalidity = 0, uidnext = 0;
  std::uint64_t exists = 0;  // messages in the folder
};

class ImapClient {
 public:
  // REQUIRES: init_curl() (mail/smtp.hpp) has been called.
  explicit ImapClient(ImapSettings s);
  ~ImapClient();
  ImapClient(ImapClient&&) noexcept;
  ImapClient& operator=(ImapClient&&) noexcept;
  ImapClient(const ImapClient&) = delete;
  ImapClient& operator=(const ImapClient&) = delete;

  // SELECTs the folder (read-write: add_flag needs it) and reports its
  // UIDVALIDITY, UIDNEXT and size. Later calls check that UIDVALIDITY still
  // holds whenever libcurl has to SELECT again (after a reconnect).
  Result<FolderState> select();

  // UIDs greater than `after` of messages that do NOT carry `skip_flag`
  // (a keyword such as "$SDIngested", or a system flag such as "\\Seen";
  // empty: no filter), ascending, at most `limit`. Calls select() first if
  // it has not been called.
  Result<std::vector<std::uint64_t>> uids_after(std::uint64_t after, std::string_view skip_flag,
                                                int limit);

  // The raw message (RFC 5322 bytes) by UID, fetched with BODY.PEEK[] so
  // that fetching does not set \Seen; payload_too_large (and nothing kept
  // in memory beyond max_bytes) when it is bigger than max_bytes.
  Result<std::string> fetch(std::uint64_t uid, std::size_t max_bytes);

  // UID STORE +FLAGS (flag): marks a message once the desk has committed
  // it. Idempotent; not_found when no message has that UID.
  Status add_flag(std::uint64_t uid, std::string_view flag);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace sd::mail
