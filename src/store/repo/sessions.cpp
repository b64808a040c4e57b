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

Id TokenRepo::insert(Id user_id, const std::string& token_name, const std::string& token_hash,
                     Instant now) {
  Id id = 0;
  conn().query(
      "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) "
      "RETURNING id",
      {user_id, token_name, token_hash, at(now)}, [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<Id> TokenRepo::find_user(const std::string& token_hash) {
  std::optional<Id> out;
  conn().query("SELECT user_id FROM api_tokens WHERE token_hash = $1", {token_hash},
               [&](const Row& r) { out = r.i64(0); });
  return out;
}

}  // namespace sd::store
