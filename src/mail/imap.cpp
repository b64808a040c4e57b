#include "mail/imap.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "mail/imap_wire.hpp"

// How libcurl 7.88 carries IMAP, which shapes this file:
//  - A CURLOPT_CUSTOMREQUEST command's untagged replies ("* SEARCH ...")
//    reach the write callback, one line each; every line the server sends
//    (greeting, CAPABILITY, tagged replies, a FETCH literal's bytes) reaches
//    the header callback.
//  - A URL fetch (;UID=n) sends "UID FETCH n BODY[]", which sets \Seen. So
//    fetch() sends "UID FETCH n (UID BODY.PEEK[])" as a custom command and
//    reads the literal off the header callback. That path sees the literal
//    as lines: a line longer than half of CURLOPT_BUFFERSIZE is clipped, and
//    a line that happens to start with the command's tag ends the reply
//    early. Both show as a literal that did not arrive whole; then the
//    connection is dropped and the message fetched by URL, which reads the
//    literal by its length, and \Seen is taken off again if it was not set.
//  - A URL with a mailbox path makes libcurl SELECT it first unless it
//    already has on this connection; ;UIDVALIDITY=v in that URL makes that
//    SELECT fail (CURLE_REMOTE_FILE_NOT_FOUND) when the value changed.
//  - CURLOPT_BUFFERSIZE cannot change once the handle has transferred
//    (and curl_easy_reset would bring back the 16 KiB default), so it is
//    set once per handle, and the handle is never reset.

namespace sd::mail {

namespace {

using namespace imap_wire;

constexpr std::chrono::milliseconds max_connect_timeout{10000};
constexpr long buffer_size = 2L << 20;       // lines up to 1 MiB come through whole
constexpr std::uint64_t uid_window = 20000;  // UIDs per SEARCH: its reply line stays short
constexpr std::size_t max_reply = std::size_t{16} << 20;  // untagged bytes of one command
constexpr std::uint64_t max_uid = 4294967295ULL;          // UIDs are 32-bit (RFC 3501 nz-number)
constexpr std::size_t max_line_kept = 300;

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

// What one command brought back.
struct Capture {
  std::string untagged;  // the write callback: untagged replies of a custom command, or a URL fetch
  std::size_t cap = max_reply;
  bool overflow = false;
  // For errors: the header callback's last NO or BAD reply, else its last
  // line (not the LOGOUT that libcurl sends when it drops a connection).
  std::string last_line, refusal;
  LiteralReader* literal = nullptr;

  const std::string& server_said() const { return refusal.empty() ? last_line : refusal; }
};

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto* c = static_cast<Capture*>(user);
  std::size_t n = size * count;
  if (c->untagged.size() + n > c->cap) {
    c->overflow = true;
    return 0;
  }
  c->untagged.append(data, n);
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* c = static_cast<Capture*>(user);
  std::size_t n = size * count;
  std::string_view line(data, n);
  bool literal = false;
  if (c->literal && !c->literal->feed(line, literal)) return 0;
  if (!literal) {
    std::string_view l = trim_crlf(line).substr(0, max_line_kept);
    if (is_refusal(l))
      c->refusal.assign(l);
    else if (!l.empty() && !l.starts_with("* BYE") && ifind(l, " OK Logout") == std::string::npos)
      c->last_line.assign(l);
  }
  return n;
}

bool is_imap_url(std::string_view url, bool& implicit_tls) {
  implicit_tls = istarts_with(url, "imaps://");
  return implicit_tls || istarts_with(url, "imap://");
}

}  // namespace

struct ImapClient::Impl {
  ImapSettings settings;
  Easy easy;
  char errbuf[CURL_ERROR_SIZE] = {};
  std::uint64_t uidvalidity = 0, uidnext = 0;

  explicit Impl(ImapSettings s) : settings(std::move(s)) {}

  // A handle with the options that hold for every call; a new one drops
  // the old one's connection.
  bool open_handle() {
    easy.reset(curl_easy_init());
    CURL* h = easy.get();
    if (!h) return false;
    bool implicit_tls = false;
    (void)is_imap_url(settings.url, implicit_tls);
    long use_ssl = settings.tls == ImapSettings::Tls::required ? CURLUSESSL_ALL
                   : settings.tls == ImapSettings::Tls::none   ? CURLUSESSL_NONE
                                                               : CURLUSESSL_TRY;
    if (implicit_tls) use_ssl = CURLUSESSL_ALL;
    auto total = settings.timeout;
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min(total, max_connect_timeout).count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
    curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT,
                     static_cast<long>((total.count() + 999) / 1000));
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl);
    if (!settings.verify_peer) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(h, CURLOPT_USERNAME, settings.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, settings.password.c_str());
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, buffer_size);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    return true;
  }

  std::string base_url() const {
    std::string u = settings.url;
    while (!u.empty() && u.back() == '/') u.pop_back();
    return u;
  }

  Result<std::string> folder_wire() const { return utf7_folder(settings.folder); }

  // The folder's URL; libcurl SELECTs it when this connection has not.
  Result<std::string> folder_url() const {
    auto wire = folder_wire();
    if (!wire) return wire.error();
    char* escaped = curl_easy_escape(easy.get(), wire->data(), static_cast<int>(wire->size()));
    if (!escaped) return internal_error("curl_easy_escape failed");
    std::string u = base_url() + "/" + escaped;
    curl_free(escaped);
    if (uidvalidity) u += ";UIDVALIDITY=" + std::to_string(uidvalidity);
    return u;
  }

  Status check_settings() {
    bool implicit_tls = false;
    if (!is_imap_url(settings.url, implicit_tls))
      return make_error(ErrorCode::invalid_input,
                        "the IMAP URL must start with imap:// or imaps://");
    if (!easy && !open_handle()) return internal_error("curl_easy_init failed");
    return {};
  }

  // Runs one command (`custom` empty: a plain URL transfer). A command on a
  // reused connection that finds it dead is sent once more on a new one;
  // all the desk's commands may be repeated.
  CURLcode perform(const std::string& url, const std::string& custom, Capture& c) {
    for (int attempt = 0;; ++attempt) {
      CURL* h = easy.get();
      errbuf[0] = '\0';
      curl_easy_setopt(h, CURLOPT_URL, url.c_str());
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, custom.empty() ? nullptr : custom.c_str());
      curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
      curl_easy_setopt(h, CURLOPT_HEADERDATA, &c);
      CURLcode rc = curl_easy_perform(h);
      long new_connections = 0;
      curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &new_connections);
      bool dead = rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING;
      if (!dead || new_connections > 0 || attempt > 0) return rc;
      c.untagged.clear();
      c.last_line.clear();
      c.refusal.clear();
      if (c.literal) {
        std::size_t max_bytes = c.literal->max_bytes;
        *c.literal = LiteralReader();
        c.literal->max_bytes = max_bytes;
      }
    }
  }

  // `refused`: what a NO or BAD to the command itself means.
  Error to_error(CURLcode rc, const Capture& c, std::string_view what,
                 ErrorCode refused = ErrorCode::unavailable) const {
    std::string curl_says = errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc);
    std::string detail = std::string(what) + ": " + curl_says;
    if (!c.server_said().empty() && rc != CURLE_REMOTE_FILE_NOT_FOUND)
      detail += "; the server said \"" + c.server_said() + "\"";
    ErrorCode code = ErrorCode::unavailable;
    std::string reason;
    switch (rc) {
      case CURLE_LOGIN_DENIED:
        if (curl_says.find("Select failed") != std::string::npos) {
          code = ErrorCode::not_found;
          detail = "the IMAP folder '" + settings.folder + "' cannot be selected; " + detail;
        } else {
          code = ErrorCode::unauthorized;
          detail = "the IMAP server refused the login of '" + settings.username + "'; " + detail;
        }
        break;
      case CURLE_REMOTE_FILE_NOT_FOUND:
        code = ErrorCode::conflict;
        reason = "uidvalidity_changed";
        detail = "the IMAP folder's UIDVALIDITY changed; select it again; " + detail;
        break;
      case CURLE_QUOTE_ERROR:  // the server answered NO or BAD to the command
        code = ifind(c.server_said(), "[NONEXISTENT]") != std::string::npos ? ErrorCode::not_found
                                                                            : refused;
        break;
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        code = ErrorCode::invalid_input;
        break;
      case CURLE_WRITE_ERROR:
        if (c.overflow) code = ErrorCode::internal;
        break;
      default:
        break;
    }
    Error e = make_error(code, std::move(detail));
    e.reason = std::move(reason);
    e.cause = "curl " + std::to_string(static_cast<int>(rc)) + ": " + curl_says;
    return e;
  }

  Result<FolderState> select() {
    if (auto s = check_settings(); !s) return s.error();
    auto wire = folder_wire();
    if (!wire) return wire.error();
    Capture c;
    // No mailbox in the URL: libcurl sends our SELECT as it is, and we read
    // its untagged replies. The server then has the folder selected, as
    // the later commands (with the folder in their URL) want.
    CURLcode rc = perform(base_url() + "/", custom_escape("SELECT " + quoted(*wire)), c);
    if (rc != CURLE_OK)
      return to_error(rc, c, "IMAP SELECT " + settings.folder, ErrorCode::not_found);
    FolderState st = parse_select(c.untagged);
    if (st.uidvalidity == 0)
      return internal_error("IMAP SELECT " + settings.folder + ": no UIDVALIDITY in the reply");
    uidvalidity = st.uidvalidity;
    uidnext = st.uidnext;
    return st;
  }

  Result<std::vector<std::uint64_t>> uids_after(std::uint64_t after, std::string_view skip_flag,
                                                int limit) {
    if (limit <= 0) return make_error(ErrorCode::invalid_input, "the limit must be positive");
    if (!skip_flag.empty() && !valid_flag(skip_flag))
      return make_error(ErrorCode::invalid_input, "not an IMAP flag: " + std::string(skip_flag));
    if (auto s = check_settings(); !s) return s.error();
    if (uidvalidity == 0) {
      auto st = select();
      if (!st) return st.error();
    }
    auto url = folder_url();
    if (!url) return url.error();
    std::string filter = skip_flag.empty() ? std::string() : " " + without_flag(skip_flag);
    std::vector<std::uint64_t> uids;
    // UID ranges of uid_window at most, so that no reply line is long; the
    // last one is open ("lo:*") for the messages that came after select().
    for (std::uint64_t lo = after + 1; lo <= max_uid;) {
      bool last = uidnext == 0 || lo + uid_window >= uidnext;
      std::uint64_t hi = lo + uid_window - 1;
      std::string range = std::to_string(lo) + ":" + (last ? "*" : std::to_string(hi));
      Capture c;
      CURLcode rc = perform(*url, custom_escape("UID SEARCH UID " + range + filter), c);
      if (rc != CURLE_OK) return to_error(rc, c, "IMAP UID SEARCH");
      for (std::uint64_t n : parse_search(c.untagged))
        if (n > after && n >= lo && (last || n <= hi)) uids.push_back(n);
      if (last || uids.size() >= static_cast<std::size_t>(limit)) break;
      lo = hi + 1;
    }
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    if (uids.size() > static_cast<std::size_t>(limit)) uids.resize(static_cast<std::size_t>(limit));
    return uids;
  }

  // The message's flags, or nullopt when no message has that UID.
  Result<std::optional<std::vector<std::string>>> flags_of(const std::string& url,
                                                           std::uint64_t uid) {
    Capture c;
    CURLcode rc = perform(url, "UID FETCH " + std::to_string(uid) + " (UID FLAGS)", c);
    if (rc != CURLE_OK) return to_error(rc, c, "IMAP UID FETCH FLAGS");
    for (std::string_view line : split_lines(c.untagged)) {
      auto r = parse_fetch_reply(line);
      if (r && r->uid == uid && r->flags)
        return std::optional<std::vector<std::string>>(std::move(*r->flags));
    }
    return std::optional<std::vector<std::string>>();
  }

  Error too_big(std::uint64_t uid, std::size_t max_bytes, std::size_t size) const {
    std::string d = "the message with UID " + std::to_string(uid) + " is over the limit of " +
                    std::to_string(max_bytes) + " bytes";
    if (size) d += " (" + std::to_string(size) + " bytes)";
    return make_error(ErrorCode::payload_too_large, d);
  }

  // libcurl passes a custom command's reply through its header callback,
  // and refuses a transfer whose headers pass 300 KB: a message is fetched
  // in pieces of kPiece bytes (BODY.PEEK[]<offset.length>), never marking it
  // \Seen, until a piece comes back short.
  static constexpr std::size_t kPiece = 192 * 1024;

  Result<std::string> fetch(std::uint64_t uid, std::size_t max_bytes) {
    if (uid == 0 || uid > max_uid)
      return make_error(ErrorCode::invalid_input, "not an IMAP UID: " + std::to_string(uid));
    if (auto s = check_settings(); !s) return s.error();
    auto url = folder_url();
    if (!url) return url.error();
    std::string message;
    for (std::size_t offset = 0;; offset += kPiece) {
      LiteralReader reader;
      reader.max_bytes = kPiece;
      Capture c;
      c.literal = &reader;
      CURLcode rc = perform(*url,
                            "UID FETCH " + std::to_string(uid) + " (UID BODY.PEEK[]<" +
                                std::to_string(offset) + "." + std::to_string(kPiece) + ">)",
                            c);
      using State = LiteralReader::State;
      if (reader.state == State::done) {
        if (rc != CURLE_OK) return to_error(rc, c, "IMAP UID FETCH");
        if (auto got = number_after(reader.around, "UID "); got && *got != uid)
          return internal_error("IMAP UID FETCH " + std::to_string(uid) + " answered for UID " +
                                std::to_string(*got));
        if (message.size() + reader.data.size() > max_bytes)
          return too_big(uid, max_bytes, message.size() + reader.data.size());
        message += reader.data;
        if (reader.data.size() < kPiece) return message;
        continue;
      }
      if (reader.state == State::before) {
        if (rc != CURLE_OK) return to_error(rc, c, "IMAP UID FETCH");
        for (std::string_view line : split_lines(c.untagged))
          if (auto r = parse_fetch_reply(line); r && r->uid == uid) {
            // Past the end of the message: some servers answer with no literal.
            if (offset > 0) return message;
            return internal_error("IMAP UID FETCH " + std::to_string(uid) +
                                  ": no literal for BODY[] in the reply");
          }
        if (offset > 0) return message;
        return make_error(ErrorCode::not_found,
                          "no message with UID " + std::to_string(uid) + " in " + settings.folder);
      }
      // Cut off by the transport (a timeout, a dropped connection): an
      // error, tried again by the next poll.
      if (rc != CURLE_OK) {
        open_handle();
        return to_error(rc, c, "IMAP UID FETCH");
      }
      // The piece did not come whole through the line reader although the
      // command ended well (a line libcurl clips or takes for the end): drop
      // this connection (it may still hold the rest) and fetch by URL.
      return fetch_by_url(uid, max_bytes);
    }
  }

  Result<std::string> fetch_by_url(std::uint64_t uid, std::size_t max_bytes) {
    if (!open_handle()) return internal_error("curl_easy_init failed");
    auto url = folder_url();
    if (!url) return url.error();
    auto flags = flags_of(*url, uid);
    if (!flags) return flags.error();
    if (!*flags)
      return make_error(ErrorCode::not_found,
                        "no message with UID " + std::to_string(uid) + " in " + settings.folder);
    bool was_seen = std::any_of((*flags)->begin(), (*flags)->end(),
                                [](const std::string& f) { return iequals(f, "\\Seen"); });
    Capture c;
    c.cap = max_bytes;
    CURLcode rc = perform(*url + ";UID=" + std::to_string(uid), "", c);
    if (c.overflow) return too_big(uid, max_bytes, 0);
    if (rc != CURLE_OK) return to_error(rc, c, "IMAP FETCH by URL");
    if (!was_seen) {
      Capture u;
      CURLcode urc =
          perform(*url, "UID STORE " + std::to_string(uid) + " -FLAGS.SILENT (\\Seen)", u);
      if (urc != CURLE_OK) return to_error(urc, u, "IMAP UID STORE -FLAGS \\Seen");
    }
    return std::move(c.untagged);
  }

  Status add_flag(std::uint64_t uid, std::string_view flag) {
    if (uid == 0 || uid > max_uid)
      return make_error(ErrorCode::invalid_input, "not an IMAP UID: " + std::to_string(uid));
    if (!valid_flag(flag))
      return make_error(ErrorCode::invalid_input, "not an IMAP flag: " + std::string(flag));
    if (auto s = check_settings(); !s) return s.error();
    auto url = folder_url();
    if (!url) return url.error();
    Capture c;
    CURLcode rc = perform(
        *url, "UID STORE " + std::to_string(uid) + " +FLAGS (" + std::string(flag) + ")", c);
    if (rc != CURLE_OK) return to_error(rc, c, "IMAP UID STORE");
    for (std::string_view line : split_lines(c.untagged)) {
      auto r = parse_fetch_reply(line);
      if (r && r->uid == uid && r->flags && has_flag(*r->flags, flag)) return {};
    }
    // No FETCH reply came back with the flag (a server may leave it out when
    // nothing changed): ask.
    auto flags = flags_of(*url, uid);
    if (!flags) return flags.error();
    if (!*flags)
      return make_error(ErrorCode::not_found,
                        "no message with UID " + std::to_string(uid) + " in " + settings.folder);
    for (const auto& f : **flags)
      if (iequals(f, flag)) return {};
    return make_error(ErrorCode::unavailable, "the IMAP server did not keep the flag " +
                                                  std::string(flag) + " (PERMANENTFLAGS?)");
  }
};

ImapClient::ImapClient(ImapSettings s) : m_impl(std::make_unique<Impl>(std::move(s))) {}
ImapClient::~ImapClient() = default;
ImapClient::ImapClient(ImapClient&&) noexcept = default;
ImapClient& ImapClient::operator=(ImapClient&&) noexcept = default;

Result<FolderState> ImapClient::select() { return m_impl->select(); }

Result<std::vector<std::uint64_t>> ImapClient::uids_after(std::uint64_t after,
                                                          std::string_view skip_flag, int limit) {
  return m_impl->uids_after(after, skip_flag, limit);
}

Result<std::string> ImapClient::fetch(std::uint64_t uid, std::size_t max_bytes) {
  return m_impl->fetch(uid, max_bytes);
}

Status ImapClient::add_flag(std::uint64_t uid, std::string_view flag) {
  return m_impl->add_flag(uid, flag);
}

}  // namespace sd::mail
