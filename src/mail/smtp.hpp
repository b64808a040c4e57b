// Sending mail over SMTP with libcurl: the desk's one way out to a mail
// server (smtp:// with STARTTLS, or smtps://). A small function, no state:
// each call opens its own connection, so any thread may call it at once.
// Never throws; every call is bounded by the settings' timeout.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "domain/error.hpp"

namespace sd::mail {

// Initialises libcurl for the whole process (curl_global_init), once,
// however many threads call it. Call it before the first send_mail or
// ImapClient, before other threads start.
void init_curl();

struct SmtpSettings {
  // smtp://host:port or smtps://host:port; credentials may be in it
  // (smtp://user:pass@host:587); a path names the EHLO domain.
  std::string url;
  std::string username, password;  // optional; when username is set, they override the URL's
  // For smtp:// only: STARTTLS if offered (opportunistic; required when
  // there are credentials, so that a password never goes out in clear), or
  // refuse to go on without it (required), or never (none). smtps:// is
  // always TLS.
  enum class Tls { opportunistic, required, none } tls = Tls::opportunistic;
  bool verify_peer = true;                   // false only for tests with self-signed certificates
  std::chrono::milliseconds timeout{30000};  // the whole call; connecting gets at most 10 s of it
};

// Why a message was not sent. `permanent` when the server refused it for
// good (a 5xx reply to MAIL, RCPT or DATA: a bad recipient, a message too
// big) or the input cannot be sent at all; else a temporary failure worth
// retrying (connect, TLS, timeout, 4xx, a refused login: the message is not
// at fault there, the settings are). `reply_code` is the server's last SMTP
// reply code, 0 when none came.
struct SmtpFailure {
  bool permanent = false;
  int reply_code = 0;
  std::string detail;  // curl's message and the server's last reply line
};

// Sends `message` (RFC 5322 bytes with CRLF line ends; libcurl does the
// dot-stuffing) to `recipients` with envelope sender `from` (empty: the
// null sender <>). All or nothing: if the server refuses any recipient,
// nothing is sent and the failure names the refusal (we do not set
// CURLOPT_MAIL_RCPT_ALLLOWFAILS, which would drop refused recipients
// silently); callers that want independent outcomes send one per recipient.
// REQUIRES: init_curl() has been called.
boost::system::result<void, SmtpFailure> send_mail(const SmtpSettings& settings,
                                                   std::string_view from,
                                                   const std::vector<std::string>& recipients,
                                                   std::string_view message);

// Reads SERVICEDESK_SMTP_URL-style text into settings: the scheme is smtp
// or smtps, a host is required, the port (default 25 or 465) is 1-65535;
// credentials are percent-decoded into username/password and taken out of
// `url`; no query or fragment. tls and verify_peer keep their defaults.
// Pure; the error's detail never holds the password.
Result<SmtpSettings> parse_smtp_url(std::string_view url);

}  // namespace sd::mail
