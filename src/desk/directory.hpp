// The desk's directory: users, organisations, agent groups, the category
// tree and the escalation directory. Writes are use cases of the same shape
// as the tickets'; reads apply who may see what.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "desk/outcome.hpp"
#include "domain/actor.hpp"
#include "domain/error.hpp"
#include "domain/model.hpp"
#include "store/repo/page.hpp"
#include "store/repo/users.hpp"

namespace sd::desk {

// A password, checked and hashed before any transaction starts (hashing is
// slow on purpose and must not hold the store's writer).
struct PasswordHash {
  std::string value;
};
Result<PasswordHash> prepare_password(std::string_view plain);

bool valid_language(std::string_view l);  // es-MX or en

// ---- users ----

struct CreateUser {
  std::string email;  // may be empty for a requester without a password
  std::string name;
  std::string phone;
  Role role = Role::requester;
  std::optional<Id> organisation_id;
  std::string language = "es-MX";
  std::string timezone = "America/Mexico_City";
  bool active = true;
  std::optional<PasswordHash> password;
  // A caller without email whose name and phone match one already there is
  // refused (conflict, naming the existing one) unless this is set.
  bool allow_duplicate = false;
};
Result<Outcome<User>> create_user(store::Tx& tx, const Actor& a, const CreateUser& c, Instant now);

// Changing one's own password needs the current one (checked before the
// transaction: desk::check_current_password), ends one's other sessions, and
// clears a "must change" mark. Setting someone else's password or email is
// audited, ends all their sessions, and a password set so must be changed
// at the next sign-in.
struct UpdateUser {
  Id user_id = 0;
  std::optional<std::string> email, name, phone, language, timezone;
  std::optional<Role> role;
  std::optional<std::optional<Id>> organisation_id;
  std::optional<bool> active;
  std::optional<PasswordHash> password;
  bool current_password_checked = false;  // the actor's own, when it is their password
  std::string keep_session;  // the actor's session hash, which a change of their own keeps
};
struct UserChange {
  User user;
  // Sessions ended (their hashes, for the caches), and whether what a live
  // channel was opened with changed: the user's channels are closed then.
  std::vector<std::string> ended_sessions;
  bool credentials_changed = false;
};
Result<Outcome<UserChange>> update_user(store::Tx& tx, const Actor& a, const UpdateUser& c,
                                        Instant now);

Result<store::Page<User>> list_users(store::Tx& tx, const Actor& a, const store::UserQuery& q);
Result<User> get_user(store::Tx& tx, const Actor& a, Id id);
// The actor's own record and the groups they belong to.
struct Me {
  User user;
  std::vector<Id> group_ids;
};
Result<Me> me(store::Tx& tx, const Actor& a);

// ---- organisations ----

struct SaveOrganisation {
  std::optional<Id> id;  // none: create
  std::optional<std::string> name;
  std::optional<bool> shared_tickets;
};
Result<Outcome<Organisation>> save_organisation(store::Tx& tx, const Actor& a,
                                                const SaveOrganisation& c, Instant now);
Result<std::vector<Organisation>> list_organisations(store::Tx& tx, const Actor& a);
Result<Organisation> get_organisation(store::Tx& tx, const Actor& a, Id id);

// ---- groups ----

struct GroupView {
  Group group;
  std::vector<Id> member_ids;
};
struct SaveGroup {
  std::optional<Id> id;  // none: create
  std::optional<std::string> name;
  std::optional<SupportLevel> support_level;
  std::optional<std::vector<Id>> member_ids;
};
Result<Outcome<GroupView>> save_group(store::Tx& tx, const Actor& a, const SaveGroup& c,
                                      Instant now);
Result<std::vector<GroupView>> list_groups(store::Tx& tx, const Actor& a);
Result<GroupView> get_group(store::Tx& tx, const Actor& a, Id id);

// ---- categories ----

struct SaveCategory {
  std::optional<Id> id;  // none: create
  std::optional<std::string> name;
  std::optional<std::optional<Id>> parent_id;
};
Result<Outcome<Category>> save_category(store::Tx& tx, const Actor& a, const SaveCategory& c,
                                        Instant now);
Result<std::vector<Category>> list_categories(store::Tx& tx, const Actor& a);
Result<Category> get_category(store::Tx& tx, const Actor& a, Id id);

// ---- the escalation directory ----

struct SaveContact {
  std::optional<Id> id;  // none: create
  std::optional<int> level;
  std::optional<std::string> role, name, office_phone, email, mobile;
};
Result<Outcome<EscalationContact>> save_contact(store::Tx& tx, const Actor& a, const SaveContact& c,
                                                Instant now);
Result<Outcome<Id>> delete_contact(store::Tx& tx, const Actor& a, Id id, Instant now);
Result<std::vector<EscalationContact>> list_contacts(store::Tx& tx, const Actor& a);

}  // namespace sd::desk
