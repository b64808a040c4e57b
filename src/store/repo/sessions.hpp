// Signed-in sessions and API tokens, each stored by the hash of its secret.
#pragma once

#include <optional>
#include <string>

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
};

class TokenRepo : Repo {
 public:
  explicit TokenRepo(Tx& tx) : Repo(tx) {}
  Id insert(Id user_id, const std::string& name, const std::string& token_hash, Instant now);
  std::optional<Id> find_user(const std::string& token_hash);
};

inline SessionRepo Tx::sessions() { return SessionRepo(*this); }
inline TokenRepo Tx::tokens() { return TokenRepo(*this); }

}  // namespace sd::store
