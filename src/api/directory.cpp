// /api/v1/users, /organisations, /groups, /categories: the desk's directory.
#include "api/json_io.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "auth/crypto.hpp"
#include "domain/permissions.hpp"
#include "domain/priority.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace sd::api {
namespace {

namespace json = boost::json;
using store::Tx;

Error forbidden(std::string why) { return make_error(ErrorCode::forbidden, std::move(why)); }
Error missing(std::string what) { return make_error(ErrorCode::not_found, "no such " + what); }


bool valid_language(const std::string& l) { return l == "es-MX" || l == "en"; }
bool valid_timezone(const std::string& tz) {
  // IANA names: Area/Location, letters, digits, _ + - /.
  if (tz.empty() || tz.size() > 64) return false;
  return std::all_of(tz.begin(), tz.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '/' || c == '_' || c == '+' || c == '-';
  });
}

json::object items(json::array a, const std::optional<std::string>& next = std::nullopt,
                   bool paged = false) {
  json::object o{{"items", std::move(a)}};
  if (paged) o["next_cursor"] = next ? json::value(*next) : json::value(nullptr);
  return o;
}

// ---- users ----

Result<Response> list_users(Ctx& ctx) {
  if (!can_list_users(ctx.actor())) return forbidden("only staff list users");
  if (auto s = reject_unknown_params(ctx, {"role", "organisation_id", "q", "limit", "cursor"}); !s)
    return s.error();
  store::UserQuery q;
  if (auto r = ctx.param("role")) {
    q.role = parse_enum<Role>(*r);
    if (!q.role) return make_error(ErrorCode::invalid_input, "query parameter role has an unknown value");
  }
  auto org = parse_id_param(ctx, "organisation_id");
  if (!org) return org.error();
  q.organisation_id = *org;
  if (auto t = ctx.param("q")) {
    if (t->size() > 200) return make_error(ErrorCode::invalid_input, "query parameter q is too long");
    q.text = *t;
  }
  auto limit = parse_limit(ctx, 50, 200);
  if (!limit) return limit.error();
  q.limit = *limit;
  if (auto c = ctx.param("cursor")) {
    auto cur = decode_cursor("users", *c);
    if (!cur) return cur.error();
    q.after_id = cur->id;
  }
  auto page = ctx.s.store.read([&](Tx& tx) -> Result<store::Page<User>> { return tx.list_users(q); });
  if (!page) return page.error();
  json::array a;
  for (const auto& u : page->items) a.push_back(to_json(u));
  std::optional<std::string> next;
  if (page->next) next = encode_cursor("users", *page->next);
  return json_response(200, items(std::move(a), next, true));
}

// Reads and checks the user fields shared by create and update.
struct UserInput {
  std::optional<std::string> email, name, phone, language, timezone, password;
  std::optional<Role> role;
  std::optional<std::optional<Id>> organisation_id;
  std::optional<bool> active;
};

Result<UserInput> read_user(const json::object& body, bool creating) {
  FieldReader in(body, {"email", "name", "phone", "role", "organisation_id", "language",
                        "timezone", "password", "active"});
  UserInput u;
  if (in.has("email")) {
    u.email = in.text("email", kMaxEmail, TextKind::single_line, !creating);
    if (u.email && !u.email->empty() && !looks_like_email(*u.email))
      in.add("email", "is not an email address", "invalid_format");
    if (u.email) u.email = to_lower_ascii(*u.email);
  }
  if (creating || in.has("name")) u.name = in.text("name", kMaxName, TextKind::single_line, true);
  u.phone = in.text("phone", kMaxPhone, TextKind::single_line, false);
  u.role = in.enumeration<Role>("role", creating);
  u.organisation_id = in.nullable_id("organisation_id");
  u.language = in.text("language", 10, TextKind::single_line, false);
  if (u.language && !valid_language(*u.language)) in.add("language", "must be es-MX or en", "unknown_value");
  u.timezone = in.text("timezone", 64, TextKind::single_line, false);
  if (u.timezone && !valid_timezone(*u.timezone)) in.add("timezone", "is not a time zone name", "invalid_format");
  u.password = in.text("password", 1024, TextKind::single_line, false);
  if (u.password && u.password->size() < 8) in.add("password", "must have at least 8 characters", "too_short");
  u.active = in.boolean("active");
  // Only a caller who will not sign in may lack an email (phone calls).
  const bool no_email = !u.email || u.email->empty();
  if (creating && no_email && (u.role != Role::requester || u.password))
    in.add("email", "is required, except for requesters without a password", "required");
  if (auto s = in.finish(); !s) return s.error();
  return u;
}

Result<Response> create_user(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  auto in = read_user(*body, true);
  if (!in) return in.error();
  if (!can_create_user_with_role(ctx.actor(), *in->role))
    return forbidden("your role may not create users with that role");
  User u;
  u.email = in->email.value_or("");
  u.name = *in->name;
  u.phone = in->phone.value_or("");
  u.role = *in->role;
  u.organisation_id = in->organisation_id ? *in->organisation_id : std::nullopt;
  u.language = in->language.value_or("es-MX");
  u.timezone = in->timezone.value_or("America/Mexico_City");
  u.active = in->active.value_or(true);
  u.created_at = ctx.s.clock.now();
  std::optional<std::string> hash;
  if (in->password) hash = auth::hash_password(*in->password);
  auto saved = ctx.s.store.write([&](Tx& tx) -> Result<User> {
    if (u.organisation_id && !tx.find_organisation(*u.organisation_id))
      return field_error("organisation_id", "no such organisation", "not_found");
    if (!u.email.empty() && tx.find_user_by_email(u.email))
      return make_error(ErrorCode::conflict, "a user with that email exists");
    u.id = tx.insert_user(u, hash);
    return u;
  });
  if (!saved) return saved.error();
  return created(to_json(*saved), "/api/v1/users/" + std::to_string(saved->id));
}

Result<Response> get_user(Ctx& ctx) {
  const Actor& a = ctx.actor();
  if (!is_staff(a.role) && a.id != ctx.id) return missing("user");
  auto u = ctx.s.store.read([&](Tx& tx) -> Result<User> {
    auto u = tx.find_user(ctx.id);
    if (!u) return missing("user");
    return *u;
  });
  if (!u) return u.error();
  return json_response(200, to_json(*u));
}

Result<Response> patch_user(Ctx& ctx) {
  const Actor& a = ctx.actor();
  if (!is_staff(a.role) && a.id != ctx.id) return missing("user");
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  auto in = read_user(*body, false);
  if (!in) return in.error();
  std::optional<std::string> hash;
  if (in->password) hash = auth::hash_password(*in->password);
  auto saved = ctx.s.store.write([&](Tx& tx) -> Result<User> {
    auto found = tx.find_user(ctx.id);
    if (!found) return missing("user");
    User u = *found;
    if (!can_update_user(a, u)) return forbidden("your role may not change this user");
    const bool self_only = a.role != Role::admin && a.id == u.id;
    if ((in->role && *in->role != u.role) && !can_change_role(a))
      return forbidden("only admins change roles");
    if (in->role && !can_create_user_with_role(a, *in->role) && !self_only)
      return forbidden("your role may not give that role");
    if (self_only && (in->active || in->organisation_id || in->email))
      return forbidden("you may change your name, phone, language, time zone and password");
    if (in->organisation_id && *in->organisation_id && !tx.find_organisation(**in->organisation_id))
      return field_error("organisation_id", "no such organisation", "not_found");
    if (in->email && !in->email->empty() && *in->email != u.email &&
        tx.find_user_by_email(*in->email))
      return make_error(ErrorCode::conflict, "a user with that email exists");
    if (in->email) u.email = *in->email;
    if (in->name) u.name = *in->name;
    if (in->phone) u.phone = *in->phone;
    if (in->role) u.role = *in->role;
    if (in->organisation_id) u.organisation_id = *in->organisation_id;
    if (in->language) u.language = *in->language;
    if (in->timezone) u.timezone = *in->timezone;
    if (in->active) u.active = *in->active;
    tx.update_user(u);
    if (hash) tx.set_password_hash(u.id, *hash);
    return u;
  });
  if (!saved) return saved.error();
  ctx.s.auth_cache.clear();  // role, organisation or active flag may have changed
  return json_response(200, to_json(*saved));
}

// ---- organisations ----

Result<Response> list_organisations(Ctx& ctx) {
  const Actor& a = ctx.actor();
  auto list = ctx.s.store.read([&](Tx& tx) -> Result<std::vector<Organisation>> {
    if (is_staff(a.role)) return tx.list_organisations();
    std::vector<Organisation> own;
    if (a.organisation_id)
      if (auto o = tx.find_organisation(*a.organisation_id)) own.push_back(*o);
    return own;
  });
  if (!list) return list.error();
  json::array arr;
  for (const auto& o : *list) arr.push_back(to_json(o));
  return json_response(200, items(std::move(arr)));
}

Result<Response> get_organisation(Ctx& ctx) {
  const Actor& a = ctx.actor();
  if (!is_staff(a.role) && a.organisation_id != ctx.id) return missing("organisation");
  auto o = ctx.s.store.read([&](Tx& tx) -> Result<Organisation> {
    auto o = tx.find_organisation(ctx.id);
    if (!o) return missing("organisation");
    return *o;
  });
  if (!o) return o.error();
  return json_response(200, to_json(*o));
}

Result<Response> write_organisation(Ctx& ctx, bool creating) {
  if (!can_manage_organisations(ctx.actor()))
    return forbidden("only supervisors and admins manage organisations");
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"name", "shared_tickets"});
  std::optional<std::string> name;
  if (creating || in.has("name")) name = in.text("name", kMaxName, TextKind::single_line, true);
  auto shared = in.boolean("shared_tickets");
  if (auto s = in.finish(); !s) return s.error();
  const Millis now = ctx.s.clock.now();
  auto saved = ctx.s.store.write([&](Tx& tx) -> Result<Organisation> {
    Organisation o;
    if (!creating) {
      auto found = tx.find_organisation(ctx.id);
      if (!found) return missing("organisation");
      o = *found;
    } else {
      o.created_at = now;
    }
    if (name) o.name = *name;
    if (shared) o.shared_tickets = *shared;
    if (creating)
      o.id = tx.insert_organisation(o);
    else
      tx.update_organisation(o);
    return o;
  });
  if (!saved) return saved.error();
  if (!creating) ctx.s.auth_cache.clear();  // members' view of shared tickets may change
  if (creating) return created(to_json(*saved), "/api/v1/organisations/" + std::to_string(saved->id));
  return json_response(200, to_json(*saved));
}
Result<Response> create_organisation(Ctx& ctx) { return write_organisation(ctx, true); }
Result<Response> patch_organisation(Ctx& ctx) { return write_organisation(ctx, false); }

// ---- groups ----

Result<Response> list_groups(Ctx& ctx) {
  if (!is_staff(ctx.actor().role)) return forbidden("only staff see groups");
  auto list = ctx.s.store.read([&](Tx& tx) -> Result<json::array> {
    json::array arr;
    for (const auto& g : tx.list_groups()) arr.push_back(to_json(g, tx.group_members(g.id)));
    return arr;
  });
  if (!list) return list.error();
  return json_response(200, items(std::move(*list)));
}

Result<Response> get_group(Ctx& ctx) {
  if (!is_staff(ctx.actor().role)) return forbidden("only staff see groups");
  auto g = ctx.s.store.read([&](Tx& tx) -> Result<json::object> {
    auto g = tx.find_group(ctx.id);
    if (!g) return missing("group");
    return to_json(*g, tx.group_members(g->id));
  });
  if (!g) return g.error();
  return json_response(200, *g);
}

Result<Response> write_group(Ctx& ctx, bool creating) {
  if (!can_manage_groups(ctx.actor())) return forbidden("only admins manage groups");
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"name", "support_level", "member_ids"});
  std::optional<std::string> name;
  if (creating || in.has("name")) name = in.text("name", kMaxName, TextKind::single_line, true);
  auto level = in.integer("support_level", creating);
  if (level && !valid_support_level(static_cast<int>(*level)))
    in.add("support_level", "must be 1, 2 or 3", "out_of_range");
  auto members = in.id_list("member_ids");
  if (auto s = in.finish(); !s) return s.error();
  const Millis now = ctx.s.clock.now();
  auto saved = ctx.s.store.write([&](Tx& tx) -> Result<json::object> {
    Group g;
    if (!creating) {
      auto found = tx.find_group(ctx.id);
      if (!found) return missing("group");
      g = *found;
    } else {
      g.created_at = now;
    }
    if (name) g.name = *name;
    if (level) g.support_level = static_cast<int>(*level);
    if (members) {
      std::set<Id> unique(members->begin(), members->end());
      members->assign(unique.begin(), unique.end());
      for (Id m : *members) {
        auto u = tx.find_user(m);
        if (!u || !is_staff(u->role)) return field_error("member_ids", "members must be staff users", "not_staff");
      }
    }
    if (creating)
      g.id = tx.insert_group(g);
    else
      tx.update_group(g);
    if (members) tx.set_group_members(g.id, *members);
    return to_json(g, tx.group_members(g.id));
  });
  if (!saved) return saved.error();
  if (creating)
    return created(*saved, "/api/v1/groups/" + std::to_string((*saved)["id"].as_int64()));
  return json_response(200, *saved);
}
Result<Response> create_group(Ctx& ctx) { return write_group(ctx, true); }
Result<Response> patch_group(Ctx& ctx) { return write_group(ctx, false); }

// ---- categories ----

Result<Response> list_categories(Ctx& ctx) {
  auto list = ctx.s.store.read([&](Tx& tx) -> Result<std::vector<Category>> {
    return tx.list_categories();
  });
  if (!list) return list.error();
  json::array arr;
  for (const auto& c : *list) arr.push_back(to_json(c));
  return json_response(200, items(std::move(arr)));
}

Result<Response> get_category(Ctx& ctx) {
  auto c = ctx.s.store.read([&](Tx& tx) -> Result<Category> {
    auto c = tx.find_category(ctx.id);
    if (!c) return missing("category");
    return *c;
  });
  if (!c) return c.error();
  return json_response(200, to_json(*c));
}

Result<Response> write_category(Ctx& ctx, bool creating) {
  if (!can_manage_categories(ctx.actor())) return forbidden("only admins manage categories");
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"name", "parent_id"});
  std::optional<std::string> name;
  if (creating || in.has("name")) name = in.text("name", kMaxName, TextKind::single_line, true);
  auto parent = in.nullable_id("parent_id");
  if (auto s = in.finish(); !s) return s.error();
  const Millis now = ctx.s.clock.now();
  auto saved = ctx.s.store.write([&](Tx& tx) -> Result<Category> {
    Category c;
    if (!creating) {
      auto found = tx.find_category(ctx.id);
      if (!found) return missing("category");
      c = *found;
    } else {
      c.created_at = now;
    }
    if (name) c.name = *name;
    if (parent) {
      // Walk up from the new parent: meeting this category would be a cycle.
      std::optional<Id> p = *parent;
      for (int depth = 0; p; ++depth) {
        if ((!creating && *p == c.id) || depth > 100)
          return field_error("parent_id", "would make the category its own ancestor", "cycle");
        auto pc = tx.find_category(*p);
        if (!pc) return field_error("parent_id", "no such category", "not_found");
        p = pc->parent_id;
      }
      c.parent_id = *parent;
    }
    if (creating)
      c.id = tx.insert_category(c);
    else
      tx.update_category(c);
    return c;
  });
  if (!saved) return saved.error();
  if (creating) return created(to_json(*saved), "/api/v1/categories/" + std::to_string(saved->id));
  return json_response(200, to_json(*saved));
}
Result<Response> create_category(Ctx& ctx) { return write_category(ctx, true); }
Result<Response> patch_category(Ctx& ctx) { return write_category(ctx, false); }

// ---- escalation directory ----

json::object to_json(const store::EscalationContact& c) {
  return {{"id", c.id},
          {"level", c.level},
          {"role", c.role},
          {"name", c.name},
          {"office_phone", c.office_phone},
          {"email", c.email},
          {"mobile", c.mobile},
          {"created_at", to_iso8601(c.created_at)}};
}

Result<Response> list_contacts(Ctx& ctx) {
  if (!is_staff(ctx.actor().role)) return forbidden("only staff see the escalation directory");
  auto list = ctx.s.store.read([&](Tx& tx) -> Result<std::vector<store::EscalationContact>> {
    return tx.list_escalation_contacts();
  });
  if (!list) return list.error();
  json::array arr;
  for (const auto& c : *list) arr.push_back(to_json(c));
  return json_response(200, items(std::move(arr)));
}

Result<Response> write_contact(Ctx& ctx, bool creating) {
  if (!can_manage_settings(ctx.actor())) return forbidden("only admins edit the escalation directory");
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"level", "role", "name", "office_phone", "email", "mobile"});
  auto level = in.integer("level", creating);
  if (level && (*level < 1 || *level > 4)) in.add("level", "must be 1, 2, 3 or 4", "out_of_range");
  std::optional<std::string> role, name;
  if (creating || in.has("role")) role = in.text("role", kMaxName, TextKind::single_line, true);
  if (creating || in.has("name")) name = in.text("name", kMaxName, TextKind::single_line, true);
  auto office = in.text("office_phone", kMaxPhone, TextKind::single_line, false);
  auto email = in.text("email", kMaxEmail, TextKind::single_line, false);
  if (email && !email->empty() && !looks_like_email(*email)) in.add("email", "is not an email address", "invalid_format");
  auto mobile = in.text("mobile", kMaxPhone, TextKind::single_line, false);
  if (auto s = in.finish(); !s) return s.error();
  const Millis now = ctx.s.clock.now();
  auto saved = ctx.s.store.write([&](Tx& tx) -> Result<store::EscalationContact> {
    store::EscalationContact c;
    if (!creating) {
      auto found = tx.find_escalation_contact(ctx.id);
      if (!found) return missing("escalation contact");
      c = *found;
    } else {
      c.created_at = now;
    }
    if (level) c.level = static_cast<int>(*level);
    if (role) c.role = *role;
    if (name) c.name = *name;
    if (office) c.office_phone = *office;
    if (email) c.email = to_lower_ascii(*email);
    if (mobile) c.mobile = *mobile;
    if (creating)
      c.id = tx.insert_escalation_contact(c);
    else
      tx.update_escalation_contact(c);
    return c;
  });
  if (!saved) return saved.error();
  if (creating)
    return created(to_json(*saved), "/api/v1/escalation-contacts/" + std::to_string(saved->id));
  return json_response(200, to_json(*saved));
}
Result<Response> create_contact(Ctx& ctx) { return write_contact(ctx, true); }
Result<Response> patch_contact(Ctx& ctx) { return write_contact(ctx, false); }

Result<Response> delete_contact(Ctx& ctx) {
  if (!can_manage_settings(ctx.actor())) return forbidden("only admins edit the escalation directory");
  auto done = ctx.s.store.write([&](Tx& tx) -> Result<bool> {
    if (!tx.find_escalation_contact(ctx.id)) return missing("escalation contact");
    tx.delete_escalation_contact(ctx.id);
    return true;
  });
  if (!done) return done.error();
  return no_content();
}

}  // namespace

void add_directory_routes(std::vector<Route>& out) {
  const auto A = Access::authenticated;
  out.push_back({Method::get, "/api/v1/users", list_users, A});
  out.push_back({Method::post, "/api/v1/users", create_user, A});
  out.push_back({Method::get, "/api/v1/users/{id}", get_user, A});
  out.push_back({Method::patch, "/api/v1/users/{id}", patch_user, A});
  out.push_back({Method::get, "/api/v1/organisations", list_organisations, A});
  out.push_back({Method::post, "/api/v1/organisations", create_organisation, A});
  out.push_back({Method::get, "/api/v1/organisations/{id}", get_organisation, A});
  out.push_back({Method::patch, "/api/v1/organisations/{id}", patch_organisation, A});
  out.push_back({Method::get, "/api/v1/groups", list_groups, A});
  out.push_back({Method::post, "/api/v1/groups", create_group, A});
  out.push_back({Method::get, "/api/v1/groups/{id}", get_group, A});
  out.push_back({Method::patch, "/api/v1/groups/{id}", patch_group, A});
  out.push_back({Method::get, "/api/v1/categories", list_categories, A});
  out.push_back({Method::post, "/api/v1/categories", create_category, A});
  out.push_back({Method::get, "/api/v1/categories/{id}", get_category, A});
  out.push_back({Method::patch, "/api/v1/categories/{id}", patch_category, A});
  out.push_back({Method::get, "/api/v1/escalation-contacts", list_contacts, A});
  out.push_back({Method::post, "/api/v1/escalation-contacts", create_contact, A});
  out.push_back({Method::patch, "/api/v1/escalation-contacts/{id}", patch_contact, A});
  out.push_back({Method::del, "/api/v1/escalation-contacts/{id}", delete_contact, A});
}

}  // namespace sd::api
