// People: requesters, agents, supervisors and admins, with their password
// hashes (never read except to verify a sign-in).
#pragma once

#include <optional>
#include <string>

#include "domain/model.hpp"
#include "store/repo/page.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

struct UserQuery {
  std::optional<Role> role;
  std::optional<Id> organisation_id;
  // In name, email or phone, accents and case aside; typed like a phone
  // number, by its digits whatever their spacing.
  std::string text;
  std::optional<Id> after_id;
  int limit = 50;
};

class UserRepo : Repo {
 public:
  explicit UserRepo(Tx& tx) : Repo(tx) {}
  Id insert(const User& u, const std::optional<std::string>& password_hash);
  std::optional<User> find(Id id);
  // By the email's case-folded key: "Ana@Example.com" finds ana@example.com.
  std::optional<User> find_by_email(const std::string& email);
  std::optional<std::string> password_hash(Id user_id);
  void update(const User& u);
  void set_password_hash(Id user_id, const std::string& hash);
  // A user with this name and phone (folded, digits) and no email: the
  // caller of a phone call entered before.
  std::optional<User> find_caller(const std::string& name, const std::string& phone);
  // Computes the search key of up to `limit` users stored without one;
  // returns how many.
  int fill_search_keys(int limit);
  Page<User> list(const UserQuery& q);
};

inline UserRepo Tx::users() { return UserRepo(*this); }

}  // namespace sd::store
