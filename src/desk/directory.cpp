#include "desk/directory.hpp"

#include <set>

#include "auth/crypto.hpp"
#include "domain/email.hpp"
#include "domain/permissions.hpp"
#include "domain/priority.hpp"
#include "domain/text.hpp"
#include "store/repo/audit.hpp"
#include "store/repo/categories.hpp"
#include "store/repo/directory.hpp"
#include "store/repo/groups.hpp"
#include "store/repo/organisations.hpp"
#include "store/repo/sessions.hpp"

namespace sd::desk {
namespace {

using store::Tx;

Error forbidden(std::string why) { return make_error(ErrorCode::forbidden, std::move(why)); }
Error missing(const std::string& what) {
  return make_error(ErrorCode::not_found, "no such " + what);
}
void check_language(std::vector<FieldError>& errors, const std::string& l) {
  if (!valid_language(l)) errors.push_back({"language", "must be es-MX or en", "unknown_value"});
}
void check_timezone(std::vector<FieldError>& errors, const std::string& tz) {
  if (!is_known_time_zone(tz))
    errors.push_back({"timezone", "is not a time zone of the IANA database", "invalid_format"});
}

}  // namespace

Result<PasswordHash> prepare_password(std::string_view plain) {
  std::vector<FieldError> errors;
  check_text(errors, "password", plain, 1024, TextKind::single_line, true);
  if (errors.empty() && plain.size() < 8)
    errors.push_back({"password", "must have at least 8 characters", "too_short"});
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  return PasswordHash{auth::hash_password(plain)};
}

bool valid_language(std::string_view l) { return l == "es-MX" || l == "en"; }

// ---- users ----

Result<Outcome<User>> create_user(Tx& tx, const Actor& a, const CreateUser& c, Instant now) {
  if (!can_create_user_with_role(a, c.role))
    return forbidden("your role may not create users with that role");
  User u;
  std::vector<FieldError> errors;
  if (!c.email.empty()) {
    auto e = normalize_email(c.email);
    if (!e)
      for (auto& f : e.error().fields) errors.push_back(f);
    else
      u.email = e->address;
  }
  u.name = c.name;
  u.phone = c.phone;
  u.role = c.role;
  u.organisation_id = c.organisation_id;
  u.language = c.language;
  u.timezone = c.timezone;
  u.active = c.active;
  u.created_at = now;
  check_text(errors, "name", u.name, kMaxName, TextKind::single_line, true);
  check_text(errors, "phone", u.phone, kMaxPhone, TextKind::single_line, false);
  check_language(errors, u.language);
  check_timezone(errors, u.timezone);
  // Only a caller who will not sign in may lack an email (phone calls).
  if (c.email.empty() && (u.role != Role::requester || c.password))
    errors.push_back(
        {"email", "is required, except for requesters without a password", "required"});
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  if (u.organisation_id && !tx.organisations().find(*u.organisation_id))
    return field_error("organisation_id", "no such organisation", "not_found");
  if (!u.email.empty())
    if (auto other = tx.users().find_by_email(u.email)) {
      Error e = conflict("email_taken", "a user with that email exists");
      e.existing_id = other->id;
      return e;
    }
  if (u.email.empty() && !u.phone.empty() && !c.allow_duplicate)
    if (auto other = tx.users().find_caller(u.name, u.phone)) {
      Error e = conflict("caller_exists", "a caller with that name and phone exists");
      e.existing_id = other->id;
      return e;
    }
  // A password chosen by someone else is to be replaced at the first sign-in.
  u.must_change_password = c.password && !a.is_system();
  u.id = tx.users().insert(
      u, c.password ? std::optional<std::string>(c.password->value) : std::nullopt);
  Effects fx(tx);
  return fx.done(u);
}

Result<Outcome<UserChange>> update_user(Tx& tx, const Actor& a, const UpdateUser& c, Instant now) {
  if (!is_staff(a) && a.id != c.user_id) return missing("user");
  auto found = tx.users().find(c.user_id);
  if (!found) return missing("user");
  User u = *found;
  if (!can_update_user(a, u)) return forbidden("your role may not change this user");
  const bool own = !a.is_system() && a.id == u.id;
  const bool self_only = a.role != Role::admin && own;
  if ((c.role && *c.role != u.role) && !can_change_role(a))
    return forbidden("only admins change roles");
  if (c.role && !can_create_user_with_role(a, *c.role) && !self_only)
    return forbidden("your role may not give that role");
  if (self_only && (c.active || c.organisation_id || c.email))
    return forbidden("you may change your name, phone, language, time zone and password");
  std::vector<FieldError> errors;
  std::optional<Email> email;
  if (c.email) {
    auto e = normalize_email(*c.email);
    if (!e)
      for (auto& f : e.error().fields) errors.push_back(f);
    else
      email = *e;
  }
  if (c.name) check_text(errors, "name", *c.name, kMaxName, TextKind::single_line, true);
  if (c.phone) check_text(errors, "phone", *c.phone, kMaxPhone, TextKind::single_line, false);
  if (c.language) check_language(errors, *c.language);
  if (c.timezone) check_timezone(errors, *c.timezone);
  if (c.password && own && !c.current_password_checked)
    errors.push_back({"current_password", "is required to change your password", "required"});
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  if (c.organisation_id && *c.organisation_id && !tx.organisations().find(**c.organisation_id))
    return field_error("organisation_id", "no such organisation", "not_found");
  const bool email_changes = email && email_key(email->address) != email_key(u.email);
  if (email_changes)
    if (auto other = tx.users().find_by_email(email->address)) {
      Error e = conflict("email_taken", "a user with that email exists");
      e.existing_id = other->id;
      return e;
    }

  UserChange out;
  const User before = u;
  if (email) u.email = email->address;
  if (c.name) u.name = *c.name;
  if (c.phone) u.phone = *c.phone;
  if (c.role) u.role = *c.role;
  if (c.organisation_id) u.organisation_id = *c.organisation_id;
  if (c.language) u.language = *c.language;
  if (c.timezone) u.timezone = *c.timezone;
  if (c.active) u.active = *c.active;
  auto audit = [&](const char* action, std::string detail) {
    AuditEvent e;
    e.actor_kind = a.kind;
    if (!a.is_system()) e.actor_id = a.id;
    e.action = action;
    e.target_user_id = u.id;
    e.detail = std::move(detail);
    e.created_at = now;
    tx.audit().append(e);
  };
  bool end_all = false;
  if (c.password && own) {
    // One's own new password: the other sessions end, this one stays.
    u.must_change_password = false;
    out.ended_sessions = tx.sessions().remove_for_user(u.id, c.keep_session);
  } else if (c.password) {
    u.must_change_password = true;
    audit("user.password_set", "");
    end_all = true;
  }
  if (email_changes && !own) {
    audit("user.email_changed", before.email + " -> " + u.email);
    end_all = true;
  }
  if (end_all) out.ended_sessions = tx.sessions().remove_for_user(u.id);
  tx.users().update(u);
  if (c.password) tx.users().set_password_hash(u.id, c.password->value);
  out.credentials_changed = c.password || end_all || u.role != before.role ||
                            u.active != before.active ||
                            u.organisation_id != before.organisation_id;
  out.user = u;
  Effects fx(tx);
  return fx.done(std::move(out));
}

Result<store::Page<User>> list_users(Tx& tx, const Actor& a, const store::UserQuery& q) {
  if (!can_list_users(a)) return forbidden("only staff list users");
  return tx.users().list(q);
}

Result<User> get_user(Tx& tx, const Actor& a, Id id) {
  if (!is_staff(a) && a.id != id) return missing("user");
  auto u = tx.users().find(id);
  if (!u) return missing("user");
  return *u;
}

Result<Me> me(Tx& tx, const Actor& a) {
  auto u = tx.users().find(a.id);
  if (!u) return make_error(ErrorCode::unauthorized, "the user no longer exists");
  return Me{*u, tx.groups().groups_of(u->id)};
}

// ---- organisations ----

Result<Outcome<Organisation>> save_organisation(Tx& tx, const Actor& a, const SaveOrganisation& c,
                                                Instant now) {
  if (!can_manage_organisations(a))
    return forbidden("only supervisors and admins manage organisations");
  std::vector<FieldError> errors;
  if (!c.id || c.name)
    check_text(errors, "name", c.name.value_or(""), kMaxName, TextKind::single_line, true);
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  Organisation o;
  if (c.id) {
    auto found = tx.organisations().find(*c.id);
    if (!found) return missing("organisation");
    o = *found;
  } else {
    o.created_at = now;
  }
  if (c.name) o.name = *c.name;
  if (c.shared_tickets) o.shared_tickets = *c.shared_tickets;
  if (c.id)
    tx.organisations().update(o);
  else
    o.id = tx.organisations().insert(o);
  Effects fx(tx);
  return fx.done(o);
}

Result<std::vector<Organisation>> list_organisations(Tx& tx, const Actor& a) {
  if (is_staff(a)) return tx.organisations().list();
  std::vector<Organisation> own;
  if (a.organisation_id)
    if (auto o = tx.organisations().find(*a.organisation_id)) own.push_back(*o);
  return own;
}

Result<Organisation> get_organisation(Tx& tx, const Actor& a, Id id) {
  if (!is_staff(a) && a.organisation_id != id) return missing("organisation");
  auto o = tx.organisations().find(id);
  if (!o) return missing("organisation");
  return *o;
}

// ---- groups ----

Result<Outcome<GroupView>> save_group(Tx& tx, const Actor& a, const SaveGroup& c, Instant now) {
  if (!can_manage_groups(a)) return forbidden("only supervisors and admins manage groups");
  std::vector<FieldError> errors;
  if (!c.id || c.name)
    check_text(errors, "name", c.name.value_or(""), kMaxName, TextKind::single_line, true);
  if (!c.id && !c.support_level) errors.push_back({"support_level", "is required", "required"});
  if (c.support_level && !valid_support_level(*c.support_level))
    errors.push_back({"support_level", "must be 1, 2 or 3", "out_of_range"});
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  Group g;
  if (c.id) {
    auto found = tx.groups().find(*c.id);
    if (!found) return missing("group");
    g = *found;
  } else {
    g.created_at = now;
  }
  if (c.name) g.name = *c.name;
  if (c.support_level) g.support_level = *c.support_level;
  std::optional<std::vector<Id>> members;
  if (c.member_ids) {
    std::set<Id> unique(c.member_ids->begin(), c.member_ids->end());
    members.emplace(unique.begin(), unique.end());
    for (Id m : *members) {
      auto u = tx.users().find(m);
      if (!u || !is_staff(u->role))
        return field_error("member_ids", "members must be staff users", "not_staff");
    }
  }
  if (c.id)
    tx.groups().update(g);
  else
    g.id = tx.groups().insert(g);
  if (members) tx.groups().set_members(g.id, *members);
  Effects fx(tx);
  return fx.done(GroupView{g, tx.groups().members(g.id)});
}

Result<std::vector<GroupView>> list_groups(Tx& tx, const Actor& a) {
  if (!is_staff(a)) return forbidden("only staff see groups");
  std::vector<GroupView> out;
  for (const auto& g : tx.groups().list()) out.push_back({g, tx.groups().members(g.id)});
  return out;
}

Result<GroupView> get_group(Tx& tx, const Actor& a, Id id) {
  if (!is_staff(a)) return forbidden("only staff see groups");
  auto g = tx.groups().find(id);
  if (!g) return missing("group");
  return GroupView{*g, tx.groups().members(g->id)};
}

// ---- categories ----

Result<Outcome<Category>> save_category(Tx& tx, const Actor& a, const SaveCategory& c,
                                        Instant now) {
  if (!can_manage_categories(a)) return forbidden("only admins manage categories");
  std::vector<FieldError> errors;
  if (!c.id || c.name)
    check_text(errors, "name", c.name.value_or(""), kMaxName, TextKind::single_line, true);
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  Category cat;
  if (c.id) {
    auto found = tx.categories().find(*c.id);
    if (!found) return missing("category");
    cat = *found;
  } else {
    cat.created_at = now;
  }
  if (c.name) cat.name = *c.name;
  if (c.parent_id) {
    // Walk up from the new parent: meeting this category would be a cycle.
    std::optional<Id> p = *c.parent_id;
    for (int depth = 0; p; ++depth) {
      if ((c.id && *p == cat.id) || depth > 100)
        return field_error("parent_id", "would make the category its own ancestor", "cycle");
      auto pc = tx.categories().find(*p);
      if (!pc) return field_error("parent_id", "no such category", "not_found");
      p = pc->parent_id;
    }
    cat.parent_id = *c.parent_id;
  }
  if (c.id)
    tx.categories().update(cat);
  else
    cat.id = tx.categories().insert(cat);
  Effects fx(tx);
  return fx.done(cat);
}

Result<std::vector<Category>> list_categories(Tx& tx, const Actor&) {
  return tx.categories().list();
}

Result<Category> get_category(Tx& tx, const Actor&, Id id) {
  auto c = tx.categories().find(id);
  if (!c) return missing("category");
  return *c;
}

// ---- the escalation directory ----

Result<Outcome<EscalationContact>> save_contact(Tx& tx, const Actor& a, const SaveContact& c,
                                                Instant now) {
  if (!can_manage_settings(a)) return forbidden("only admins edit the escalation directory");
  std::vector<FieldError> errors;
  if (!c.id && !c.level) errors.push_back({"level", "is required", "required"});
  if (c.level && (*c.level < kMinEscalationLevel || *c.level > kMaxEscalationLevel))
    errors.push_back({"level", "must be 1, 2, 3 or 4", "out_of_range"});
  if (!c.id || c.role)
    check_text(errors, "role", c.role.value_or(""), kMaxName, TextKind::single_line, true);
  if (!c.id || c.name)
    check_text(errors, "name", c.name.value_or(""), kMaxName, TextKind::single_line, true);
  if (c.office_phone)
    check_text(errors, "office_phone", *c.office_phone, kMaxPhone, TextKind::single_line, false);
  if (c.mobile) check_text(errors, "mobile", *c.mobile, kMaxPhone, TextKind::single_line, false);
  std::optional<std::string> contact_email;
  if (c.email && !c.email->empty()) {
    auto e = normalize_email(*c.email);
    if (!e)
      for (auto& f : e.error().fields) errors.push_back(f);
    else
      contact_email = e->address;
  }
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  EscalationContact k;
  if (c.id) {
    auto found = tx.directory().find(*c.id);
    if (!found) return missing("escalation contact");
    k = *found;
  } else {
    k.created_at = now;
  }
  if (c.level) k.level = *c.level;
  if (c.role) k.role = *c.role;
  if (c.name) k.name = *c.name;
  if (c.office_phone) k.office_phone = *c.office_phone;
  if (c.email) k.email = contact_email.value_or("");
  if (c.mobile) k.mobile = *c.mobile;
  if (c.id)
    tx.directory().update(k);
  else
    k.id = tx.directory().insert(k);
  Effects fx(tx);
  return fx.done(k);
}

Result<Outcome<Id>> delete_contact(Tx& tx, const Actor& a, Id id, Instant) {
  if (!can_manage_settings(a)) return forbidden("only admins edit the escalation directory");
  if (!tx.directory().find(id)) return missing("escalation contact");
  tx.directory().remove(id);
  Effects fx(tx);
  return fx.done(id);
}

Result<std::vector<EscalationContact>> list_contacts(Tx& tx, const Actor& a) {
  if (!is_staff(a)) return forbidden("only staff see the escalation directory");
  return tx.directory().list();
}

}  // namespace sd::desk
