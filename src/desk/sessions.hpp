// Signing in and out, API tokens, and finding who a credential belongs to.
// Secrets are random tokens stored only as hashes (auth/crypto.hpp).
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "auth/rate_limiter.hpp"
#include "desk/outcome.hpp"
#include "domain/actor.hpp"
#include "domain/error.hpp"
#include "domain/model.hpp"
#include "store/store.hpp"

namespace sd::desk {

enum class CredentialKind { session, token };

// Who a valid credential acts as.
struct Credential {
  Actor actor;
  std::string csrf_token;  // sessions only
  Instant expires_at = Instant::max();
};
// nullopt when the credential is unknown, expired, or its user inactive.
std::optional<Credential> find_credential(store::Tx& tx, CredentialKind kind,
                                          const std::string& token_hash, Instant now);

// The brakes on guessing passwords, per node (in memory): 5 failures per
// account and 20 per address in 5 minutes. Thread-safe.
struct SignInGuard {
  auth::RateLimiter by_account{5, std::chrono::minutes(5)};
  auth::RateLimiter by_address{20, std::chrono::minutes(5)};
};

struct SignIn {
  std::string email;
  std::string password;
  std::string address;  // the client's, for the per-address brake
};
struct SignedIn {
  User user;
  std::string token;  // the session secret, for the cookie
  std::string csrf_token;
  Instant expires_at{};
};
struct Throttled {
  Duration retry_after{};
};
struct WrongCredentials {};
using SignInResult = std::variant<SignedIn, Throttled, WrongCredentials>;

// Checks the password (outside any transaction: it is slow on purpose),
// then opens a session that lasts `lifetime`.
Result<SignInResult> sign_in(store::Store& store, SignInGuard& guard, const SignIn& in, Instant now,
                             Duration lifetime);

Result<Outcome<bool>> sign_out(store::Tx& tx, const std::string& session_hash, Instant now);

struct CreateToken {
  std::optional<Id> user_id;  // default: the actor; another user only for the system
  std::string name;
};
struct CreatedToken {
  Id id = 0;
  Id user_id = 0;
  std::string name;
  std::string token;  // shown once, stored only as its hash
  Instant created_at{};
};
Result<Outcome<CreatedToken>> create_api_token(store::Tx& tx, const Actor& a, const CreateToken& c,
                                               Instant now);

}  // namespace sd::desk
