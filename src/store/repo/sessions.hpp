// Signed-in sessions and API tokens, each stored by the hash of its secret.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/model.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

struct SessionRecord {
  Id user_id = 0;
  std::string csrf_token;
  Instant expires_at{};
};

class SessionRepo : Repo {
 public:
  explicit SessionRepo(Tx& tx) : Repo(tx) {}
  void insert(const std::string& token_hash, const SessionRecord& s, Instant now);
  std::optional<SessionRecord> find(const std::string& token_hash);
  void remove(const std::string& token_hash);
  // Returns how many were removed.
  std::int64_t remove_expired(Instant now);
  // Every session of the user but `keep` (a hash; empty: all); returns the
  // hashes removed, for the caches that hold them.
  std::vector<std::string> remove_for_user(Id user_id, const std::string& keep = {});
};

struct TokenRecord {
  Id id = 0;
  Id user_id = 0;
  std::string name;
  std::string token_hash;
  Instant created_at{};
  std::optional<Instant> expires_at;
  std::optional<Instant> last_used_at;
};

class TokenRepo : Repo {
 public:
  explicit TokenRepo(Tx& tx) : Repo(tx) {}
  Id insert(Id user_id, const std::string& name, const std::string& token_hash, Instant now,
            std::optional<Instant> expires_at = std::nullopt);
  std::optional<TokenRecord> find_by_hash(const std::string& token_hash);
  std::optional<TokenRecord> find(Id id);
  std::vector<TokenRecord> list_for_user(Id user_id);
  void remove(Id id);
  void touch(Id id, Instant now);
};

inline SessionRepo Tx::sessions() { return SessionRepo(*this); }
inline TokenRepo Tx::tokens() { return TokenRepo(*this); }

}  // namespace sd::store
