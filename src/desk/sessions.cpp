#include "desk/sessions.hpp"

#include "auth/crypto.hpp"
#include "domain/permissions.hpp"
#include "domain/text.hpp"
#include "store/repo/organisations.hpp"
#include "store/repo/sessions.hpp"
#include "store/repo/settings.hpp"
#include "store/repo/users.hpp"

namespace sd::desk {

Actor actor_of(store::Tx& tx, const User& u) {
  bool shares = false;
  if (u.organisation_id)
    if (auto o = tx.organisations().find(*u.organisation_id)) shares = o->shared_tickets;
  Actor a = Actor::user(u.id, u.role, u.organisation_id, shares);
  a.name = u.name;
  return a;
}

std::optional<Credential> find_credential(store::Tx& tx, CredentialKind kind,
                                          const std::string& token_hash, Instant now) {
  Credential out;
  std::optional<Id> uid;
  if (kind == CredentialKind::token) {
    if (auto t = tx.tokens().find_by_hash(token_hash);
        t && (!t->expires_at || *t->expires_at > now)) {
      uid = t->user_id;
      out.token_id = t->id;
      out.token_last_used = t->last_used_at;
      if (t->expires_at) out.expires_at = *t->expires_at;
    }
  } else if (auto s = tx.sessions().find(token_hash); s && s->expires_at > now) {
    uid = s->user_id;
    out.csrf_token = s->csrf_token;
    out.expires_at = s->expires_at;
  }
  if (!uid) return std::nullopt;
  auto u = tx.users().find(*uid);
  if (!u || !u->active) return std::nullopt;
  out.actor = actor_of(tx, *u);
  out.must_change_password = u->must_change_password;
  return out;
}

bool token_use_worth_noting(const Credential& c, Instant now) {
  return c.token_id && (!c.token_last_used || *c.token_last_used + kTokenUseResolution <= now);
}

Status note_token_use(store::Tx& tx, Id token_id, Instant now) {
  tx.tokens().touch(token_id, now);
  return {};
}

namespace {
// A hash to verify against when the account does not exist, so that a wrong
// email takes as long as a wrong password.
const std::string& decoy_hash() {
  static const std::string h = auth::hash_password(auth::random_token());
  return h;
}
}  // namespace

Result<SignInResult> sign_in(store::Store& store, SignInGuard& guard, const SignIn& in, Instant now,
                             Duration lifetime) {
  const std::string login = to_lower_ascii(in.email);
  const std::string account_key = "account:" + login;
  const std::string address_key = "address:" + in.address;
  // Counted before the password is checked: simultaneous guesses cannot all
  // pass the check before any of them is counted.
  const Duration account_wait = guard.by_account.acquire(account_key, now);
  if (account_wait > Duration{0}) return SignInResult{Throttled{account_wait}};
  const Duration address_wait = guard.by_address.acquire(address_key, now);
  if (address_wait > Duration{0}) return SignInResult{Throttled{address_wait}};

  auto found =
      store.read([&](store::Tx& tx) -> Result<std::optional<std::pair<User, std::string>>> {
        auto u = tx.users().find_by_email(login);
        if (!u) return std::nullopt;
        auto h = tx.users().password_hash(u->id);
        return std::make_pair(*u, h.value_or(""));
      });
  if (!found) return found.error();
  bool ok = false;
  if (*found && !(*found)->second.empty() && (*found)->first.active)
    ok = auth::verify_password((*found)->second, in.password);
  else
    auth::verify_password(decoy_hash(), in.password);
  if (!ok) return SignInResult{WrongCredentials{}};
  guard.by_account.reset(account_key);
  guard.by_address.release(address_key, now);

  SignedIn out{(*found)->first, auth::random_token(), auth::random_token(), now + lifetime};
  auto saved = store.write([&](store::Tx& tx) -> Result<bool> {
    tx.sessions().insert(auth::token_hash(out.token),
                         store::SessionRecord{out.user.id, out.csrf_token, out.expires_at}, now);
    return true;
  });
  if (!saved) return saved.error();
  return SignInResult{std::move(out)};
}

Result<Outcome<bool>> sign_out(store::Tx& tx, const std::string& session_hash, Instant) {
  tx.sessions().remove(session_hash);
  Effects fx(tx);
  return fx.done(true);
}

Result<SignInResult> check_current_password(store::Store& store, SignInGuard& guard, Id user_id,
                                            const std::string& password, Instant now) {
  const std::string key = "user:" + std::to_string(user_id);
  if (const Duration wait = guard.by_account.acquire(key, now); wait > Duration{0})
    return SignInResult{Throttled{wait}};
  auto hash = store.read([&](store::Tx& tx) -> Result<std::optional<std::string>> {
    return tx.users().password_hash(user_id);
  });
  if (!hash) return hash.error();
  const bool ok = *hash && auth::verify_password(**hash, password);
  if (!ok) return SignInResult{WrongCredentials{}};
  guard.by_account.reset(key);
  return SignInResult{SignedIn{}};
}

namespace {
constexpr const char* kTokenPolicyKey = "api_tokens";
}

TokenPolicy token_policy(store::Tx& tx) {
  auto v = tx.settings().get(kTokenPolicyKey);
  return v && *v == R"({"who":"everyone"})" ? TokenPolicy::everyone : TokenPolicy::staff;
}

Result<Outcome<TokenPolicy>> set_token_policy(store::Tx& tx, const Actor& a, TokenPolicy p,
                                              Instant) {
  if (!can_manage_settings(a))
    return make_error(ErrorCode::forbidden, "only admins say who may create tokens");
  tx.settings().put(kTokenPolicyKey,
                    p == TokenPolicy::everyone ? R"({"who":"everyone"})" : R"({"who":"staff"})");
  Effects fx(tx);
  return fx.done(p);
}

Result<Outcome<CreatedToken>> create_api_token(store::Tx& tx, const Actor& a, const CreateToken& c,
                                               Instant now) {
  std::vector<FieldError> errors;
  check_text(errors, "name", c.name, kMaxName, TextKind::single_line, true);
  if (c.expires_at && *c.expires_at <= now)
    errors.push_back({"expires_at", "must be in the future", "out_of_range"});
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  if (!a.is_system() && !is_staff(a) && token_policy(tx) == TokenPolicy::staff)
    return make_error(ErrorCode::forbidden, "only staff create API tokens on this desk");
  const Id user_id = c.user_id.value_or(a.id);
  if (user_id != a.id && !a.is_system())
    return make_error(ErrorCode::forbidden, "tokens are created for oneself");
  if (!tx.users().find(user_id)) return make_error(ErrorCode::not_found, "no such user");
  CreatedToken t{0, user_id, c.name, auth::random_token(), now};
  t.id = tx.tokens().insert(user_id, t.name, auth::token_hash(t.token), now, c.expires_at);
  Effects fx(tx);
  return fx.done(std::move(t));
}

Result<std::vector<store::TokenRecord>> list_api_tokens(store::Tx& tx, const Actor& a) {
  return tx.tokens().list_for_user(a.id);
}

Result<Outcome<store::TokenRecord>> revoke_api_token(store::Tx& tx, const Actor& a, Id token_id,
                                                     Instant) {
  auto t = tx.tokens().find(token_id);
  // Another user's token looks missing, except to admins.
  if (!t || (t->user_id != a.id && a.role != Role::admin && !a.is_system()))
    return make_error(ErrorCode::not_found, "no such token");
  tx.tokens().remove(token_id);
  Effects fx(tx);
  return fx.done(*t);
}

}  // namespace sd::desk
