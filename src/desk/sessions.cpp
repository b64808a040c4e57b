#include "desk/sessions.hpp"

#include "auth/crypto.hpp"
#include "domain/text.hpp"
#include "store/repo/organisations.hpp"
#include "store/repo/sessions.hpp"
#include "store/repo/users.hpp"

namespace sd::desk {

std::optional<Credential> find_credential(store::Tx& tx, CredentialKind kind,
                                          const std::string& token_hash, Instant now) {
  Credential out;
  std::optional<Id> uid;
  if (kind == CredentialKind::token) {
    uid = tx.tokens().find_user(token_hash);
  } else if (auto s = tx.sessions().find(token_hash); s && s->expires_at > now) {
    uid = s->user_id;
    out.csrf_token = s->csrf_token;
    out.expires_at = s->expires_at;
  }
  if (!uid) return std::nullopt;
  auto u = tx.users().find(*uid);
  if (!u || !u->active) return std::nullopt;
  bool shares = false;
  if (u->organisation_id)
    if (auto o = tx.organisations().find(*u->organisation_id)) shares = o->shared_tickets;
  out.actor = Actor::user(u->id, u->role, u->organisation_id, shares);
  out.actor.name = u->name;
  return out;
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
  const Duration wait = std::max(guard.by_account.retry_after(account_key, now),
                                 guard.by_address.retry_after(address_key, now));
  if (wait > Duration{0}) return SignInResult{Throttled{wait}};

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
  if (!ok) {
    guard.by_account.record_failure(account_key, now);
    guard.by_address.record_failure(address_key, now);
    return SignInResult{WrongCredentials{}};
  }
  guard.by_account.reset(account_key);

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

Result<Outcome<CreatedToken>> create_api_token(store::Tx& tx, const Actor& a, const CreateToken& c,
                                               Instant now) {
  std::vector<FieldError> errors;
  check_text(errors, "name", c.name, kMaxName, TextKind::single_line, true);
  if (!errors.empty()) {
    Error e = make_error(ErrorCode::invalid_input, "the input is not valid");
    e.fields = std::move(errors);
    return e;
  }
  const Id user_id = c.user_id.value_or(a.id);
  if (user_id != a.id && !a.is_system())
    return make_error(ErrorCode::forbidden, "tokens are created for oneself");
  if (!tx.users().find(user_id)) return make_error(ErrorCode::not_found, "no such user");
  CreatedToken t{0, user_id, c.name, auth::random_token(), now};
  t.id = tx.tokens().insert(user_id, t.name, auth::token_hash(t.token), now);
  Effects fx(tx);
  return fx.done(std::move(t));
}

}  // namespace sd::desk
