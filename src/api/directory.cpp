// /api/v1/users, /organisations, /groups, /categories and
// /escalation-contacts: the desk's directory, as JSON over desk/directory.
#include "desk/directory.hpp"

#include <boost/json.hpp>
#include <variant>

#include "api/json_io.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "desk/sessions.hpp"
#include "domain/priority.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;
using store::Tx;

json::object items(json::array a, const std::optional<std::string>& next = std::nullopt,
                   bool paged = false) {
  json::object o{{"items", std::move(a)}};
  if (paged) o["next_cursor"] = next ? json::value(*next) : json::value(nullptr);
  return o;
}

template <class T>
json::object list_of(const std::vector<T>& v) {
  json::array a;
  for (const auto& x : v) a.push_back(to_json(x));
  return items(std::move(a));
}

// Runs a use case in a write transaction at the request's time.
template <class F>
auto write(Ctx& ctx, F f) {
  const Instant now = ctx.s.clock.now();
  return ctx.s.store.write([&](Tx& tx) { return f(tx, ctx.actor(), now); });
}
template <class F>
auto read(Ctx& ctx, F f) {
  return ctx.s.store.read([&](Tx& tx) { return f(tx, ctx.actor()); });
}

// ---- users ----

Result<Response> list_users(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"role", "organisation_id", "q", "limit", "cursor"}); !s)
    return s.error();
  store::UserQuery q;
  if (auto r = ctx.param("role")) {
    q.role = parse_enum<Role>(*r);
    if (!q.role)
      return make_error(ErrorCode::invalid_input, "query parameter role has an unknown value");
  }
  auto org = parse_id_param(ctx, "organisation_id");
  if (!org) return org.error();
  q.organisation_id = *org;
  if (auto t = ctx.param("q")) {
    if (t->size() > 200)
      return make_error(ErrorCode::invalid_input, "query parameter q is too long");
    q.text = *t;
  }
  auto limit = parse_limit(ctx, 50, 200);
  if (!limit) return limit.error();
  q.limit = *limit;
  if (auto c = ctx.param("cursor")) {
    auto cur = decode_cursor(ctx.s.cursor_key, "users", *c);
    if (!cur) return cur.error();
    q.after_id = cur->id;
  }
  auto page = read(ctx, [&](Tx& tx, const Actor& a) { return desk::list_users(tx, a, q); });
  if (!page) return page.error();
  json::array a;
  for (const auto& u : page->items) a.push_back(to_json(u));
  std::optional<std::string> next;
  if (page->next) next = encode_cursor(ctx.s.cursor_key, "users", *page->next);
  return json_response(200, items(std::move(a), next, true));
}

// The user fields shared by create and update, read with their JSON types;
// desk/ checks what they say.
struct UserInput {
  std::optional<std::string> email, name, phone, language, timezone, password, current_password;
  std::optional<Role> role;
  std::optional<std::optional<Id>> organisation_id;
  std::optional<bool> active;
  bool allow_duplicate = false;
};

Result<UserInput> read_user(const json::object& body, bool creating) {
  FieldReader in(body, {"email", "name", "phone", "role", "organisation_id", "language", "timezone",
                        "password", "active", "current_password", "allow_duplicate"});
  UserInput u;
  if (in.has("email")) {
    u.email = in.text("email", kMaxEmail, TextKind::single_line, !creating);
    // desk/ normalises the address (trims it) and says what is wrong with it.
  }
  if (creating || in.has("name")) u.name = in.text("name", kMaxName, TextKind::single_line, true);
  u.phone = in.text("phone", kMaxPhone, TextKind::single_line, false);
  u.role = in.enumeration<Role>("role", creating);
  u.organisation_id = in.nullable_id("organisation_id");
  u.language = in.text("language", 10, TextKind::single_line, false);
  if (u.language && !desk::valid_language(*u.language))
    in.add("language", "must be es-MX or en", "unknown_value");
  u.timezone = in.text("timezone", 64, TextKind::single_line, false);
  if (u.timezone && !is_known_time_zone(*u.timezone))
    in.add("timezone", "is not a time zone of the IANA database", "invalid_format");
  u.password = in.text("password", 1024, TextKind::single_line, false);
  if (u.password && u.password->size() < 8)
    in.add("password", "must have at least 8 characters", "too_short");
  u.active = in.boolean("active");
  if (creating) u.allow_duplicate = in.boolean("allow_duplicate").value_or(false);
  if (!creating)
    u.current_password = in.text("current_password", 1024, TextKind::single_line, false);
  const bool no_email = !u.email || u.email->empty();
  if (creating && no_email && (u.role != Role::requester || u.password))
    in.add("email", "is required, except for requesters without a password", "required");
  if (auto s = in.finish(); !s) return s.error();
  return u;
}

Result<std::optional<desk::PasswordHash>> hash_if_given(const std::optional<std::string>& pw) {
  if (!pw) return std::optional<desk::PasswordHash>{};
  auto h = desk::prepare_password(*pw);
  if (!h) return h.error();
  return std::optional<desk::PasswordHash>{*h};
}

Result<Response> create_user(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  auto in = read_user(*body, true);
  if (!in) return in.error();
  auto hash = hash_if_given(in->password);
  if (!hash) return hash.error();
  desk::CreateUser c;
  c.email = in->email.value_or("");
  c.name = *in->name;
  c.phone = in->phone.value_or("");
  c.role = *in->role;
  if (in->organisation_id) c.organisation_id = *in->organisation_id;
  if (in->language) c.language = *in->language;
  if (in->timezone) c.timezone = *in->timezone;
  c.active = in->active.value_or(true);
  c.password = *hash;
  c.allow_duplicate = in->allow_duplicate;
  auto out = write(
      ctx, [&](Tx& tx, const Actor& a, Instant now) { return desk::create_user(tx, a, c, now); });
  if (!out) return out.error();
  return created(to_json(out->value), "/api/v1/users/" + std::to_string(out->value.id));
}

Result<Response> get_user(Ctx& ctx) {
  auto u = read(ctx, [&](Tx& tx, const Actor& a) { return desk::get_user(tx, a, ctx.id); });
  if (!u) return u.error();
  return json_response(200, to_json(*u));
}

Result<Response> patch_user(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  auto in = read_user(*body, false);
  if (!in) return in.error();
  desk::UpdateUser c;
  c.user_id = ctx.id;
  const Actor& actor = ctx.actor();
  const bool own_password = in->password && actor.id == ctx.id;
  if (own_password) {
    // The current password first: a session left open must not let anyone
    // lock its owner out.
    if (!in->current_password)
      return field_error("current_password", "is required to change your password", "required");
    auto r = desk::check_current_password(ctx.s.store, ctx.s.sign_in_guard, actor.id,
                                          *in->current_password, ctx.s.clock.now());
    if (!r) return r.error();
    if (auto* t = std::get_if<desk::Throttled>(&*r)) {
      Error e = make_error(ErrorCode::too_many_requests, "too many wrong passwords; try later");
      (void)t;
      return e;
    }
    if (std::holds_alternative<desk::WrongCredentials>(*r))
      return field_error("current_password", "is not your current password", "wrong_password");
    c.current_password_checked = true;
    c.keep_session = ctx.caller->session_hash;
  }
  auto hash = hash_if_given(in->password);
  if (!hash) return hash.error();
  c.email = in->email;
  c.name = in->name;
  c.phone = in->phone;
  c.language = in->language;
  c.timezone = in->timezone;
  c.role = in->role;
  c.organisation_id = in->organisation_id;
  c.active = in->active;
  c.password = *hash;
  auto out = write(
      ctx, [&](Tx& tx, const Actor& a, Instant now) { return desk::update_user(tx, a, c, now); });
  if (!out) return out.error();
  ctx.s.auth_cache.clear();  // role, organisation or active flag may have changed
  if (out->value.credentials_changed && ctx.s.on_credentials_changed)
    ctx.s.on_credentials_changed(out->value.user.id, c.keep_session);
  return json_response(200, to_json(out->value.user));
}

// ---- organisations ----

Result<Response> list_organisations(Ctx& ctx) {
  auto list = read(ctx, [](Tx& tx, const Actor& a) { return desk::list_organisations(tx, a); });
  if (!list) return list.error();
  return json_response(200, list_of(*list));
}

Result<Response> get_organisation(Ctx& ctx) {
  auto o = read(ctx, [&](Tx& tx, const Actor& a) { return desk::get_organisation(tx, a, ctx.id); });
  if (!o) return o.error();
  return json_response(200, to_json(*o));
}

Result<Response> write_organisation(Ctx& ctx, bool creating) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"name", "shared_tickets"});
  desk::SaveOrganisation c;
  if (!creating) c.id = ctx.id;
  if (creating || in.has("name")) c.name = in.text("name", kMaxName, TextKind::single_line, true);
  c.shared_tickets = in.boolean("shared_tickets");
  if (auto s = in.finish(); !s) return s.error();
  auto out = write(ctx, [&](Tx& tx, const Actor& a, Instant now) {
    return desk::save_organisation(tx, a, c, now);
  });
  if (!out) return out.error();
  if (!creating) ctx.s.auth_cache.clear();  // members' view of shared tickets may change
  if (creating)
    return created(to_json(out->value), "/api/v1/organisations/" + std::to_string(out->value.id));
  return json_response(200, to_json(out->value));
}
Result<Response> create_organisation(Ctx& ctx) { return write_organisation(ctx, true); }
Result<Response> patch_organisation(Ctx& ctx) { return write_organisation(ctx, false); }

// ---- groups ----

json::object group_json(const desk::GroupView& g) { return to_json(g.group, g.member_ids); }

Result<Response> list_groups(Ctx& ctx) {
  auto list = read(ctx, [](Tx& tx, const Actor& a) { return desk::list_groups(tx, a); });
  if (!list) return list.error();
  json::array arr;
  for (const auto& g : *list) arr.push_back(group_json(g));
  return json_response(200, items(std::move(arr)));
}

Result<Response> get_group(Ctx& ctx) {
  auto g = read(ctx, [&](Tx& tx, const Actor& a) { return desk::get_group(tx, a, ctx.id); });
  if (!g) return g.error();
  return json_response(200, group_json(*g));
}

Result<Response> write_group(Ctx& ctx, bool creating) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"name", "support_level", "member_ids"});
  desk::SaveGroup c;
  if (!creating) c.id = ctx.id;
  if (creating || in.has("name")) c.name = in.text("name", kMaxName, TextKind::single_line, true);
  c.support_level = in.integer_in("support_level", kMinSupportLevel, kMaxSupportLevel, creating,
                                  "must be 1, 2 or 3");
  c.member_ids = in.id_list("member_ids");
  if (auto s = in.finish(); !s) return s.error();
  auto out = write(
      ctx, [&](Tx& tx, const Actor& a, Instant now) { return desk::save_group(tx, a, c, now); });
  if (!out) return out.error();
  if (creating)
    return created(group_json(out->value), "/api/v1/groups/" + std::to_string(out->value.group.id));
  return json_response(200, group_json(out->value));
}
Result<Response> create_group(Ctx& ctx) { return write_group(ctx, true); }
Result<Response> patch_group(Ctx& ctx) { return write_group(ctx, false); }

// ---- categories ----

Result<Response> list_categories(Ctx& ctx) {
  auto list = read(ctx, [](Tx& tx, const Actor& a) { return desk::list_categories(tx, a); });
  if (!list) return list.error();
  return json_response(200, list_of(*list));
}

Result<Response> get_category(Ctx& ctx) {
  auto c = read(ctx, [&](Tx& tx, const Actor& a) { return desk::get_category(tx, a, ctx.id); });
  if (!c) return c.error();
  return json_response(200, to_json(*c));
}

Result<Response> write_category(Ctx& ctx, bool creating) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"name", "parent_id"});
  desk::SaveCategory c;
  if (!creating) c.id = ctx.id;
  if (creating || in.has("name")) c.name = in.text("name", kMaxName, TextKind::single_line, true);
  c.parent_id = in.nullable_id("parent_id");
  if (auto s = in.finish(); !s) return s.error();
  auto out = write(
      ctx, [&](Tx& tx, const Actor& a, Instant now) { return desk::save_category(tx, a, c, now); });
  if (!out) return out.error();
  if (creating)
    return created(to_json(out->value), "/api/v1/categories/" + std::to_string(out->value.id));
  return json_response(200, to_json(out->value));
}
Result<Response> create_category(Ctx& ctx) { return write_category(ctx, true); }
Result<Response> patch_category(Ctx& ctx) { return write_category(ctx, false); }

// ---- escalation directory ----

Result<Response> list_contacts(Ctx& ctx) {
  auto list = read(ctx, [](Tx& tx, const Actor& a) { return desk::list_contacts(tx, a); });
  if (!list) return list.error();
  return json_response(200, list_of(*list));
}

Result<Response> write_contact(Ctx& ctx, bool creating) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"level", "role", "name", "office_phone", "email", "mobile"});
  desk::SaveContact c;
  if (!creating) c.id = ctx.id;
  c.level = in.integer_in("level", kMinEscalationLevel, kMaxEscalationLevel, creating,
                          "must be 1, 2, 3 or 4");
  if (creating || in.has("role")) c.role = in.text("role", kMaxName, TextKind::single_line, true);
  if (creating || in.has("name")) c.name = in.text("name", kMaxName, TextKind::single_line, true);
  c.office_phone = in.text("office_phone", kMaxPhone, TextKind::single_line, false);
  c.email = in.text("email", kMaxEmail, TextKind::single_line, false);

  c.mobile = in.text("mobile", kMaxPhone, TextKind::single_line, false);
  if (auto s = in.finish(); !s) return s.error();
  auto out = write(
      ctx, [&](Tx& tx, const Actor& a, Instant now) { return desk::save_contact(tx, a, c, now); });
  if (!out) return out.error();
  if (creating)
    return created(to_json(out->value),
                   "/api/v1/escalation-contacts/" + std::to_string(out->value.id));
  return json_response(200, to_json(out->value));
}
Result<Response> create_contact(Ctx& ctx) { return write_contact(ctx, true); }
Result<Response> patch_contact(Ctx& ctx) { return write_contact(ctx, false); }

Result<Response> delete_contact(Ctx& ctx) {
  auto out = write(ctx, [&](Tx& tx, const Actor& a, Instant now) {
    return desk::delete_contact(tx, a, ctx.id, now);
  });
  if (!out) return out.error();
  return no_content();
}

}  // namespace

void add_directory_routes(std::vector<Route>& out) {
  const auto U = Policy::signed_in;
  const auto S = Policy::staff;
  const auto A = Policy::admin;
  out.push_back({Method::get, "/api/v1/users", list_users, S});
  // Agents create callers; desk/ says which roles each may create.
  out.push_back({Method::post, "/api/v1/users", create_user, S});
  // Anyone reads and changes their own record; desk/ answers 404 for others'.
  out.push_back({Method::get, "/api/v1/users/{id}", get_user, U});
  out.push_back({Method::patch, "/api/v1/users/{id}", patch_user, U});
  // Requesters see their own organisation.
  out.push_back({Method::get, "/api/v1/organisations", list_organisations, U});
  out.push_back({Method::post, "/api/v1/organisations", create_organisation, Policy::supervisor});
  out.push_back({Method::get, "/api/v1/organisations/{id}", get_organisation, U});
  out.push_back(
      {Method::patch, "/api/v1/organisations/{id}", patch_organisation, Policy::supervisor});
  out.push_back({Method::get, "/api/v1/groups", list_groups, S});
  out.push_back({Method::post, "/api/v1/groups", create_group, Policy::supervisor});
  out.push_back({Method::get, "/api/v1/groups/{id}", get_group, S});
  out.push_back({Method::patch, "/api/v1/groups/{id}", patch_group, Policy::supervisor});
  out.push_back({Method::get, "/api/v1/categories", list_categories, U});
  out.push_back({Method::post, "/api/v1/categories", create_category, A});
  out.push_back({Method::get, "/api/v1/categories/{id}", get_category, U});
  out.push_back({Method::patch, "/api/v1/categories/{id}", patch_category, A});
  out.push_back({Method::get, "/api/v1/escalation-contacts", list_contacts, S});
  out.push_back({Method::post, "/api/v1/escalation-contacts", create_contact, A});
  out.push_back({Method::patch, "/api/v1/escalation-contacts/{id}", patch_contact, A});
  out.push_back({Method::del, "/api/v1/escalation-contacts/{id}", delete_contact, A});
}

}  // namespace sd::api
