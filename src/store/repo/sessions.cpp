#include "store/repo/sessions.hpp"

#include "store/repo/sql.hpp"

namespace sd::store {

using namespace sql;

void SessionRepo::insert(const std::string& token_hash, const SessionRecord& s, Instant now) {
  conn().exec(
      "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES "
      "($1, $2, $3, $4, $5)",
      {token_hash, s.user_id, s.csrf_token, at(now), at(s.expires_at)});
}

std::optional<SessionRecord> SessionRepo::find(const std::string& token_hash) {
  std::optional<SessionRecord> out;
  conn().query("SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = $1",
               {token_hash}, [&](const Row& r) {
                 out = SessionRecord{r.i64(0), r.text(1), instant(r, 2)};
               });
  return out;
}

void SessionRepo::remove(const std::string& token_hash) {
  conn().exec("DELETE FROM sessions WHERE token_hash = $1", {token_hash});
}

std::int64_t SessionRepo::remove_expired(Instant now) {
  return conn().exec("DELETE FROM sessions WHERE expires_at < $1", {at(now)});
}

std::vector<std::string> SessionRepo::remove_for_user(Id user_id, const std::string& keep) {
  std::vector<std::string> out;
  conn().query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2 RETURNING token_hash",
               {user_id, keep}, [&](const Row& r) { out.push_back(r.text(0)); });
  return out;
}

namespace {
constexpr const char* kTokenCols =
    "SELECT id, user_id, name, token_hash, created_at, expires_at, last_used_at FROM api_tokens";
TokenRecord token_from(const Row& r) {
  return TokenRecord{r.i64(0),      r.i64(1),          r.text(2),        r.text(3),
                     instant(r, 4), opt_instant(r, 5), opt_instant(r, 6)};
}
}  // namespace

Id TokenRepo::insert(Id user_id, const std::string& token_name, const std::string& token_hash,
                     Instant now, std::optional<Instant> expires_at) {
  Id id = 0;
  conn().query(
      "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, "
      "$3, $4, $5) RETURNING id",
      {user_id, token_name, token_hash, at(now), opt_at(expires_at)},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<TokenRecord> TokenRepo::find_by_hash(const std::string& token_hash) {
  std::optional<TokenRecord> out;
  conn().query(std::string(kTokenCols) + " WHERE token_hash = $1", {token_hash},
               [&](const Row& r) { out = token_from(r); });
  return out;
}

std::optional<TokenRecord> TokenRepo::find(Id id) {
  std::optional<TokenRecord> out;
  conn().query(std::string(kTokenCols) + " WHERE id = $1", {id},
               [&](const Row& r) { out = token_from(r); });
  return out;
}

std::vector<TokenRecord> TokenRepo::list_for_user(Id user_id) {
  std::vector<TokenRecord> out;
  conn().query(std::string(kTokenCols) + " WHERE user_id = $1 ORDER BY id", {user_id},
               [&](const Row& r) { out.push_back(token_from(r)); });
  return out;
}

void TokenRepo::remove(Id id) { conn().exec("DELETE FROM api_tokens WHERE id = $1", {id}); }

void TokenRepo::touch(Id id, Instant now) {
  conn().exec("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1", {id, at(now)});
}

}  // namespace sd::store
