// What every handler needs: the store, the clock, the sign-in brakes, and
// the caller once authenticated. Built once at start-up, shared by all
// worker threads (everything in it is thread-safe).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "api/message.hpp"
#include "desk/sessions.hpp"
#include "domain/actor.hpp"
#include "domain/time.hpp"
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
  bool secure_cookies = false;  // set when served behind HTTPS
  Services(store::Store& s, const Clock& c) : store(s), clock(c) {}
};

enum class AuthVia { session, token };

// The authenticated caller of one request.
struct Caller {
  Actor actor;
  AuthVia via = AuthVia::session;
  std::string session_hash;  // when via == session
};

// Authenticates a request by its Bearer token or session cookie, checking the
// CSRF header on cookie-authenticated writes.
Result<Caller> authenticate(Services& s, const Request& req);

// Reads one cookie from the Cookie header; empty if absent.
std::string cookie_value(const Request& req, std::string_view name);

constexpr std::string_view kSessionCookie = "sd_session";

}  // namespace sd::api
