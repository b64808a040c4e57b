// What every handler needs: the store, the clock, the sign-in brakes, and
// the caller once authenticated. Built once at start-up, shared by all
// worker threads (everything in it is thread-safe).
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/message.hpp"
#include "desk/sessions.hpp"
#include "domain/actor.hpp"
#include "domain/mail.hpp"
#include "domain/time.hpp"
#include "store/blobs.hpp"
#include "store/store.hpp"

namespace sd::api {

// Recently verified credentials, so that a burst of requests with one
// session or token does not look it up each time. An entry lives a few
// seconds; on this node, logout and changes to users drop entries at once
// (other nodes notice within the lifetime). Thread-safe.
class AuthCache {
 public:
  struct Entry {
    desk::Credential credential;
    Instant valid_until{};
  };
  static constexpr Duration kLifetime = std::chrono::seconds(5);
  static constexpr std::size_t kMaxEntries = 100'000;

  std::optional<Entry> find(const std::string& token_hash, Instant now);
  void put(const std::string& token_hash, Entry e);
  void erase(const std::string& token_hash);
  void clear();

 private:
  std::mutex m_mu;
  std::unordered_map<std::string, Entry> m_entries;
};

struct Services {
  store::Store& store;
  const Clock& clock;
  AuthCache auth_cache;
  desk::SignInGuard sign_in_guard;
  Duration session_lifetime = std::chrono::hours(12);
  // Served over HTTPS (SERVICEDESK_PUBLIC_URL is https://, or
  // SERVICEDESK_SECURE_COOKIES=on): the session cookie is Secure and named
  // with the __Host- prefix, and responses carry HSTS.
  bool secure_cookies = false;
  const char* session_cookie_name() const {
    return secure_cookies ? "__Host-sd_session" : "sd_session";
  }
  // Seals list cursors (desk::server_secret "cursor", the same on every node).
  std::string cursor_key;
  // Called when what a user's credentials carry changed (password, role,
  // active flag, organisation): their live channels close, on every node,
  // but those of `keep_session` (a session hash; empty: none).
  std::function<void(Id user_id, const std::string& keep_session)> on_credentials_changed;
  // Called when a session ends (sign-out): its live channels close, on
  // every node. (A change of an organisation's sharing needs no call: each
  // channel's rights are checked again before a delivery, at most a second
  // apart.)
  std::function<void(const std::string& session_hash)> on_session_ended;
  // Proxies whose X-Forwarded-For is believed (SERVICEDESK_TRUSTED_PROXIES).
  std::vector<std::string> trusted_proxies;
  // Stored files (attachments, mail as received), and the parser of mail for
  // an admin's retry (mail/ is outside the api layer).
  const store::BlobStore* blobs = nullptr;
  std::function<Result<InboundMail>(std::string_view raw)> parse_mail;
  Services(store::Store& s, const Clock& c) : store(s), clock(c) {}
};

enum class AuthVia { session, token };

// The authenticated caller of one request.
struct Caller {
  Actor actor;
  AuthVia via = AuthVia::session;
  std::string session_hash;     // when via == session
  std::string credential_hash;  // the session's or the token's
  bool must_change_password = false;
};

// Authenticates a request by its Bearer token or session cookie, checking the
// CSRF header on cookie-authenticated writes.
Result<Caller> authenticate(Services& s, const Request& req);

// The client's address: the peer's, or, when the peer is a trusted proxy,
// the last address of X-Forwarded-For that is not itself a trusted proxy.
std::string client_address(const Services& s, const Request& req);

// Reads one cookie from the Cookie header; empty if absent.
std::string cookie_value(const Request& req, std::string_view name);

}  // namespace sd::api
