// Signing in and out, API tokens, and finding who a credential belongs to.
// Secrets are random tokens stored only as hashes (auth/crypto.hpp).
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "auth/rate_limiter.hpp"
#include "desk/outcome.hpp"
#include "domain/actor.hpp"
#include "domain/error.hpp"
#include "domain/model.hpp"
#include "store/repo/sessions.hpp"
#include "store/store.hpp"

namespace sd::desk {

enum class CredentialKind { session, token };

// Who a valid credential acts as.
struct Credential {
  Actor actor;
  std::string csrf_token;  // sessions only
  Instant expires_at = Instant::max();
  // Tokens only: which, and when it was last used (see note_token_use).
  std::optional<Id> token_id;
  std::optional<Instant> token_last_used;
  bool must_change_password = false;
};
// nullopt when the credential is unknown, expired, or its user inactive.
// The actor a user acts as: their role, organisation and whether it shares
// tickets, and their name. REQUIRES: the user is active.
Actor actor_of(store::Tx& tx, const User& u);

std::optional<Credential> find_credential(store::Tx& tx, CredentialKind kind,
                                          const std::string& token_hash, Instant now);

// The brakes on guessing passwords, per node (in memory): 5 failed
// attempts per account and 20 per address in 5 minutes. Thread-safe.
struct SignInGuard {
  auth::RateLimiter by_account{5, std::chrono::minutes(5)};
  auth::RateLimiter by_address{20, std::chrono::minutes(5)};
};

struct SignIn {
  std::string email;
  std::string password;
  std::string address;  // the client's (see api::client_address), for the per-address brake
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

// Records that a token was used, at most once a minute (it is a write).
inline constexpr Duration kTokenUseResolution = std::chrono::minutes(1);
bool token_use_worth_noting(const Credential& c, Instant now);
Status note_token_use(store::Tx& tx, Id token_id, Instant now);

// Checks a user's current password, outside any transaction (it is slow on
// purpose), counting the attempt against the same brake as sign-ins.
// Throttled, or false when it is not the password.
Result<SignInResult> check_current_password(store::Store& store, SignInGuard& guard, Id user_id,
                                            const std::string& password, Instant now);

struct CreateToken {
  std::optional<Id> user_id;  // default: the actor; another user only for the system
  std::string name;
  std::optional<Instant> expires_at;  // none: it does not expire
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

// The actor's own tokens (never their secrets).
Result<std::vector<store::TokenRecord>> list_api_tokens(store::Tx& tx, const Actor& a);
// Revokes one of the actor's tokens (admins: anyone's). The outcome is the
// revoked token, whose hash the caller drops from its caches.
Result<Outcome<store::TokenRecord>> revoke_api_token(store::Tx& tx, const Actor& a, Id token_id,
                                                     Instant now);

// Who may create API tokens: "staff" (the default) or "everyone".
enum class TokenPolicy { staff, everyone };
TokenPolicy token_policy(store::Tx& tx);
Result<Outcome<TokenPolicy>> set_token_policy(store::Tx& tx, const Actor& a, TokenPolicy p,
                                              Instant now);

}  // namespace sd::desk
