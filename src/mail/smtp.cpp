#include "mail/smtp.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cstring>
#include <memory>
#include <mutex>

namespace sd::mail {

namespace {

constexpr std::chrono::milliseconds max_connect_timeout{10000};
constexpr std::size_t max_reply_line = 512;

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// What one send saw of the conversation, to explain a failure.
struct Exchange {
  std::string_view message;  // the bytes still to upload
  std::string last_reply;    // the server's last reply line
  std::string last_command;  // the last command we sent (credentials masked)
  bool data_sent = false;    // DATA went out: a refusal now is about the message
  bool quitting = false;     // QUIT went out: what follows explains nothing
};

std::size_t read_message(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::size_t n = std::min(size * count, ex->message.size());
  std::memcpy(buffer, ex->message.data(), n);
  ex->message.remove_prefix(n);
  return n;
}

std::string trim_line(const char* data, std::size_t size) {
  std::string_view line(data, size);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return std::string(line.substr(0, max_reply_line));
}

std::size_t on_reply(char* data, std::size_t size, std::size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::size_t n = size * count;
  std::string line = trim_line(data, n);
  if (!line.empty() && !ex->quitting) ex->last_reply = std::move(line);
  return n;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != prefix[i]) return false;
  }
  return true;
}

// Sees the commands going out (CURLOPT_VERBOSE routes them here, not to
// stderr), to tell which step the server refused. AUTH lines and their
// continuations carry credentials: only "AUTH" is kept.
int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type != CURLINFO_HEADER_OUT) return 0;
  auto* ex = static_cast<Exchange*>(user);
  std::string line = trim_line(data, size);
  if (ex->quitting) return 0;
  if (starts_with_nocase(line, "QUIT")) {
    ex->quitting = true;
    return 0;
  }
  for (std::string_view known : {"MAIL", "RCPT", "DATA", "EHLO", "HELO", "STARTTLS"}) {
    if (starts_with_nocase(line, known)) {
      if (known == "DATA") ex->data_sent = true;
      ex->last_command = std::move(line);
      return 0;
    }
  }
  ex->last_command = "AUTH";
  return 0;
}

boost::system::result<void, SmtpFailure> refuse_input(std::string detail) {
  return SmtpFailure{true, 0, std::move(detail)};
}

// An envelope address goes into a command line between angle brackets.
bool valid_envelope_address(std::string_view a) {
  return a.find_first_of(std::string_view("\r\n\0<> ", 6)) == std::string_view::npos;
}

bool is_smtp_scheme(std::string_view s, bool& implicit_tls) {
  if (s.size() == 4 && starts_with_nocase(s, "SMTP")) {
    implicit_tls = false;
    return true;
  }
  if (s.size() == 5 && starts_with_nocase(s, "SMTPS")) {
    implicit_tls = true;
    return true;
  }
  return false;
}

bool valid_host_name(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
  });
}

// Credentials in the settings, or in the URL's userinfo.
bool has_credentials(const SmtpSettings& s) {
  if (!s.username.empty()) return true;
  std::size_t start = s.url.find("://");
  if (start == std::string::npos) return false;
  std::size_t end = s.url.find_first_of("/?#", start + 3);
  return s.url.substr(start + 3, end == std::string::npos ? end : end - start - 3).find('@') !=
         std::string::npos;
}

Error url_error(std::string why) {
  return make_error(ErrorCode::invalid_input, "SMTP URL: " + std::move(why));
}

}  // namespace

void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

boost::system::result<void, SmtpFailure> send_mail(const SmtpSettings& settings,
                                                   std::string_view from,
                                                   const std::vector<std::string>& recipients,
                                                   std::string_view message) {
  if (recipients.empty()) return refuse_input("no recipients");
  if (!valid_envelope_address(from)) return refuse_input("the envelope sender is not valid");
  for (const auto& r : recipients) {
    if (r.empty() || !valid_envelope_address(r))
      return refuse_input("the recipient '" + trim_line(r.data(), r.size()) + "' is not valid");
  }
  if (message.empty()) return refuse_input("the message is empty");

  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) return SmtpFailure{false, 0, "curl_easy_init failed"};
  CURL* h = curl.get();

  std::unique_ptr<curl_slist, SlistDeleter> rcpt;
  for (const auto& r : recipients) {
    std::string bracketed = "<" + r + ">";
    curl_slist* next = curl_slist_append(rcpt.get(), bracketed.c_str());
    if (!next) return SmtpFailure{false, 0, "out of memory"};
    (void)rcpt.release();
    rcpt.reset(next);
  }
  std::string mail_from = "<" + std::string(from) + ">";

  Exchange ex;
  ex.message = message;
  char errbuf[CURL_ERROR_SIZE] = {};
  long connect_ms = static_cast<long>(std::min(settings.timeout, max_connect_timeout).count());
  long use_ssl = settings.tls == SmtpSettings::Tls::required ? CURLUSESSL_ALL
                 : settings.tls == SmtpSettings::Tls::none   ? CURLUSESSL_NONE
                                                             : CURLUSESSL_TRY;
  // A password never goes out in clear because STARTTLS was not offered (or
  // was stripped on the way): with credentials, opportunistic is required.
  if (use_ssl == CURLUSESSL_TRY && has_credentials(settings)) use_ssl = CURLUSESSL_ALL;

  curl_easy_setopt(h, CURLOPT_URL, settings.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeout.count()));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl);
  if (!settings.verify_peer) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!settings.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, settings.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, settings.password.c_str());
  }
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_message);
  curl_easy_setopt(h, CURLOPT_READDATA, &ex);
  // Known size: libcurl announces it (MAIL FROM ... SIZE=n) where the server
  // supports SIZE, so a message too big is refused before it is uploaded.
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_reply);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &ex);

  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) return {};

  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  SmtpFailure failure;
  failure.reply_code = static_cast<int>(code);
  // 5xx to MAIL, RCPT or DATA (CURLE_SEND_ERROR), or to the message's end
  // (CURLE_WEIRD_SERVER_REPLY once DATA went out): the server will not take
  // this message. A 5xx to the greeting, EHLO or AUTH is about the settings.
  bool refused_step = rc == CURLE_SEND_ERROR || (rc == CURLE_WEIRD_SERVER_REPLY && ex.data_sent);
  failure.permanent = code >= 500 && code < 600 && refused_step;
  failure.detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  if (code >= 400 && !ex.last_reply.empty()) {
    failure.detail += "; the server said \"" + ex.last_reply + "\"";
    if (!ex.last_command.empty() && ex.last_command != "AUTH")
      failure.detail += " to \"" + ex.last_command + "\"";
  }
  return failure;
}

Result<SmtpSettings> parse_smtp_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return url_error("not a URL (expected smtp://host:port or smtps://host:port)");
  const boost::urls::url_view& u = *parsed;

  bool implicit_tls = false;
  if (!is_smtp_scheme(u.scheme(), implicit_tls))
    return url_error("the scheme must be smtp or smtps");
  if (!u.has_authority()) return url_error("a host is required");
  if (u.has_fragment()) return url_error("a fragment (#...) is not allowed");

  std::string host;
  switch (u.host_type()) {
    case boost::urls::host_type::name:
      host = u.host();
      if (!valid_host_name(host)) return url_error("the host name is not valid");
      break;
    case boost::urls::host_type::ipv4:
      host = u.encoded_host();
      break;
    case boost::urls::host_type::ipv6:
      host = "[" + std::string(u.host_address()) + "]";
      break;
    default:
      return url_error("the host is not valid");
  }

  unsigned port = implicit_tls ? 465 : 25;
  if (u.has_port()) {
    std::string_view p = u.port();
    if (p.empty() || p.size() > 5 ||
        !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return url_error("the port must be a number from 1 to 65535");
    port = static_cast<unsigned>(std::stoul(std::string(p)));
    if (port < 1 || port > 65535) return url_error("the port must be a number from 1 to 65535");
  }

  SmtpSettings s;
  if (u.has_userinfo()) {
    s.username = u.user();
    s.password = u.password();
    if (s.username.empty()) return url_error("credentials in the URL need a user name");
  }

  // A path is the name the desk gives in EHLO; libcurl sends the local host
  // name when there is none.
  std::string path = u.path();
  if (!path.empty() && path != "/") {
    std::string_view domain = std::string_view(path).substr(1);
    if (path[0] != '/' || !valid_host_name(domain))
      return url_error("the path may only name the EHLO domain");
  }

  // TLS and verification are settings of their own (the caller's), not
  // parameters of the URL.
  if (u.has_query()) return url_error("a query (?...) is not allowed");

  s.url = (implicit_tls ? "smtps://" : "smtp://") + host + ":" + std::to_string(port);
  if (path.size() > 1) s.url += path;
  return s;
}

}  // namespace sd::mail
