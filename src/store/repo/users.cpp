#include "store/repo/users.hpp"

#include "domain/email.hpp"
#include "domain/text.hpp"
#include "store/repo/sql.hpp"

namespace sd::store {
namespace {

using namespace sql;

constexpr const char* kUserCols =
    "id, email, name, phone, role, organisation_id, language, timezone, active, created_at, "
    "must_change_password";

// No email is stored as NULL, so that any number of users may lack one.
Value email_value(const std::string& email) {
  return email.empty() ? Value{nullptr} : Value{email};
}
// What a look-up of people matches: name, email and phone, folded
// (domain/text.hpp search_fold, digits_of).
std::string search_key_of(const User& u) {
  return search_fold(u.name) + " " + search_fold(u.email) + " " + digits_of(u.phone);
}
// Users stored before their key existed match by this until a job fills it.
constexpr const char* kSearchKeySql =
    "COALESCE(search_key, lower(name) || ' ' || COALESCE(email, '') || ' ' || phone)";

// What an email is unique by: its full case fold (domain/email.hpp).
Value email_key_value(const std::string& email) {
  return email.empty() ? Value{nullptr} : Value{email_key(email)};
}

User user_from(const Row& r) {
  User u;
  u.id = r.i64(0);
  u.email = r.text(1);
  u.name = r.text(2);
  u.phone = r.text(3);
  u.role = enum_col<Role>(r, 4, "users.role");
  u.organisation_id = opt_i64(r, 5);
  u.language = r.text(6);
  u.timezone = r.text(7);
  u.active = r.i64(8) != 0;
  u.created_at = instant(r, 9);
  u.must_change_password = r.i64(10) != 0;
  return u;
}

}  // namespace

Id UserRepo::insert(const User& u, const std::optional<std::string>& password_hash) {
  Id id = 0;
  conn().query(
      "INSERT INTO users (email, name, phone, role, organisation_id, language, timezone, active, "
      "password_hash, created_at, email_key, must_change_password, search_key) VALUES ($1, $2, $3, "
      "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
      {email_value(u.email), u.name, u.phone, name(u.role), opt(u.organisation_id), u.language,
       u.timezone, flag(u.active), password_hash ? Value{*password_hash} : Value{nullptr},
       at(u.created_at), email_key_value(u.email), flag(u.must_change_password), search_key_of(u)},
      [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<User> UserRepo::find(Id id) {
  std::optional<User> out;
  conn().query(std::string("SELECT ") + kUserCols + " FROM users WHERE id = $1", {id},
               [&](const Row& r) { out = user_from(r); });
  return out;
}

std::optional<User> UserRepo::find_by_email(const std::string& email) {
  std::optional<User> out;
  const std::string key = email_key(email);
  if (key.empty()) return out;
  conn().query(std::string("SELECT ") + kUserCols + " FROM users WHERE email_key = $1", {key},
               [&](const Row& r) { out = user_from(r); });
  return out;
}

std::optional<std::string> UserRepo::password_hash(Id user_id) {
  std::optional<std::string> out;
  conn().query("SELECT password_hash FROM users WHERE id = $1", {user_id}, [&](const Row& r) {
    if (!r.is_null(0)) out = r.text(0);
  });
  return out;
}

void UserRepo::update(const User& u) {
  conn().exec(
      "UPDATE users SET email = $2, name = $3, phone = $4, role = $5, organisation_id = $6, "
      "language = $7, timezone = $8, active = $9, email_key = $10, must_change_password = $11, "
      "search_key = $12 WHERE id = $1",
      {u.id, email_value(u.email), u.name, u.phone, name(u.role), opt(u.organisation_id),
       u.language, u.timezone, flag(u.active), email_key_value(u.email),
       flag(u.must_change_password), search_key_of(u)});
}

std::optional<User> UserRepo::find_caller(const std::string& name, const std::string& phone) {
  User probe;
  probe.name = name;
  probe.phone = phone;
  std::optional<User> out;
  conn().query(std::string("SELECT ") + kUserCols +
                   " FROM users WHERE email IS NULL AND search_key = $1 ORDER BY id LIMIT 1",
               {search_key_of(probe)}, [&](const Row& r) { out = user_from(r); });
  return out;
}

int UserRepo::fill_search_keys(int limit) {
  std::vector<User> todo;
  conn().query(std::string("SELECT ") + kUserCols +
                   " FROM users WHERE search_key IS NULL ORDER BY id LIMIT $1",
               {std::int64_t{limit}}, [&](const Row& r) { todo.push_back(user_from(r)); });
  for (const auto& u : todo)
    conn().exec("UPDATE users SET search_key = $2 WHERE id = $1", {u.id, search_key_of(u)});
  return static_cast<int>(todo.size());
}

void UserRepo::set_password_hash(Id user_id, const std::string& hash) {
  conn().exec("UPDATE users SET password_hash = $2 WHERE id = $1", {user_id, hash});
}

Page<User> UserRepo::list(const UserQuery& q) {
  Binder b(dialect());
  Where w;
  if (q.role) w.add("role = " + b.next(name(*q.role)));
  if (q.organisation_id) w.add("organisation_id = " + b.next(*q.organisation_id));
  if (!q.text.empty()) {
    const std::string needle = search_needle(q.text);
    if (!needle.empty())
      w.add(std::string(kSearchKeySql) + " LIKE " + b.next(like_pattern(needle)) + " ESCAPE '\\'");
  }
  if (q.after_id) w.add("id > " + b.next(*q.after_id));
  std::string sql = std::string("SELECT ") + kUserCols + " FROM users" + w.text +
                    " ORDER BY id LIMIT " + b.next(std::int64_t{q.limit} + 1);
  Page<User> page;
  conn().query(sql, b.params, [&](const Row& r) { page.items.push_back(user_from(r)); });
  if (page.items.size() > static_cast<std::size_t>(q.limit)) {
    page.items.pop_back();
    page.next = Cursor{page.items.back().id, {}, page.items.back().id};
  }
  return page;
}

}  // namespace sd::store
