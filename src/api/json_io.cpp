#include "api/json_io.hpp"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <set>

#include "domain/lifecycle.hpp"
#include "domain/ticket_rules.hpp"

namespace sd::api {

namespace json = boost::json;

namespace {

// Finds a key given twice in one object, at any depth: JSON parsers disagree
// on which one wins (Boost.JSON keeps the last), so such a body is refused.
struct DuplicateKeys {
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  using ec_t = boost::system::error_code;
  using sv = boost::json::string_view;

  std::vector<std::set<std::string>> objects;
  std::string key;
  bool found = false;

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t, ec_t&) { return true; }
  bool on_object_begin(ec_t&) {
    objects.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) {
    objects.pop_back();
    return true;
  }
  bool on_string_part(sv, std::size_t, ec_t&) { return true; }
  bool on_string(sv, std::size_t, ec_t&) { return true; }
  bool on_key_part(sv s, std::size_t, ec_t&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(sv s, std::size_t, ec_t& ec) {
    key.append(s.data(), s.size());
    if (!objects.back().insert(key).second) {
      found = true;
      ec = boost::json::error::syntax;
      return false;
    }
    key.clear();
    return true;
  }
  bool on_number_part(sv, ec_t&) { return true; }
  bool on_int64(std::int64_t, sv, ec_t&) { return true; }
  bool on_uint64(std::uint64_t, sv, ec_t&) { return true; }
  bool on_double(double, sv, ec_t&) { return true; }
  bool on_bool(bool, ec_t&) { return true; }
  bool on_null(ec_t&) { return true; }
  bool on_comment_part(sv, ec_t&) { return true; }
  bool on_comment(sv, ec_t&) { return true; }
};

bool has_duplicate_keys(std::string_view text, const json::parse_options& opt) {
  json::basic_parser<DuplicateKeys> p(opt);
  boost::system::error_code ec;
  p.write_some(false, text.data(), text.size(), ec);
  return p.handler().found;
}

}  // namespace

Result<json::object> parse_object_body(const Request& req) {
  auto ct = req.header("content-type");
  auto semi = ct.find(';');
  auto media = ct.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (media != "application/json" &&
      !(media.starts_with("application/") && media.ends_with("+json")))
    return make_error(ErrorCode::unsupported_media_type, "send the body as application/json");
  boost::system::error_code ec;
  json::parse_options opt;
  opt.max_depth = 32;
  json::value v = json::parse(req.body, ec, {}, opt);
  if (ec)
    return make_error(ErrorCode::invalid_input, "the body is not valid JSON: " + ec.message());
  if (has_duplicate_keys(req.body, opt))
    return make_error(ErrorCode::invalid_input, "the body gives a key twice in one object");
  if (!v.is_object()) return make_error(ErrorCode::invalid_input, "the body must be a JSON object");
  return std::move(v.as_object());
}

FieldReader::FieldReader(const json::object& o, std::initializer_list<std::string_view> allowed)
    : m_o(o) {
  for (const auto& kv : o) {
    bool known = false;
    for (auto a : allowed) known = known || kv.key() == a;
    if (!known)
      add(kv.key().size() > 64 ? std::string_view("(field)") : std::string_view(kv.key()),
          "is not a known field", "unknown_field");
  }
}

std::optional<std::string> FieldReader::raw_string(std::string_view key, bool required) {
  auto it = m_o.find(key);
  if (it == m_o.end() || it->value().is_null()) {
    if (required) add(key, "is required", "required");
    return std::nullopt;
  }
  if (!it->value().is_string()) {
    add(key, "must be a string", "invalid_type");
    return std::nullopt;
  }
  return std::string(it->value().get_string());
}

std::optional<std::string> FieldReader::text(std::string_view key, std::size_t max, TextKind kind,
                                             bool required) {
  auto s = raw_string(key, required);
  if (!s) return std::nullopt;
  std::size_t before = m_errors.size();
  check_text(m_errors, key, *s, max, kind, required);
  if (m_errors.size() != before) return std::nullopt;
  return s;
}

std::optional<std::int64_t> FieldReader::integer(std::string_view key, bool required) {
  auto it = m_o.find(key);
  if (it == m_o.end() || it->value().is_null()) {
    if (required) add(key, "is required", "required");
    return std::nullopt;
  }
  const auto& v = it->value();
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.get_uint64());
  add(key, "must be an integer", "invalid_type");
  return std::nullopt;
}

std::optional<int> FieldReader::integer_in(std::string_view key, int min, int max, bool required,
                                           const std::string& message) {
  auto v = integer(key, required);
  if (!v) return std::nullopt;
  if (*v < min || *v > max) {
    add(key, message, "out_of_range");
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

std::optional<std::optional<Id>> FieldReader::nullable_id(std::string_view key) {
  auto it = m_o.find(key);
  if (it == m_o.end()) return std::nullopt;
  if (it->value().is_null()) return std::optional<Id>{};
  auto v = integer(key, false);
  if (!v) return std::nullopt;
  if (*v <= 0) {
    add(key, "must be a positive id", "invalid_type");
    return std::nullopt;
  }
  return std::optional<Id>{*v};
}

std::optional<bool> FieldReader::boolean(std::string_view key) {
  auto it = m_o.find(key);
  if (it == m_o.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_bool()) {
    add(key, "must be true or false", "invalid_type");
    return std::nullopt;
  }
  return it->value().get_bool();
}

std::optional<std::vector<Id>> FieldReader::id_list(std::string_view key) {
  auto it = m_o.find(key);
  if (it == m_o.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_array()) {
    add(key, "must be a list of ids", "invalid_type");
    return std::nullopt;
  }
  std::vector<Id> out;
  for (const auto& v : it->value().get_array()) {
    if (!v.is_int64() || v.get_int64() <= 0) {
      add(key, "must be a list of ids", "invalid_type");
      return std::nullopt;
    }
    out.push_back(v.get_int64());
  }
  if (out.size() > 1000) {
    add(key, "has too many ids", "out_of_range");
    return std::nullopt;
  }
  return out;
}

Status FieldReader::finish() const {
  if (m_errors.empty()) return {};
  Error e = make_error(ErrorCode::invalid_input, "some fields are not valid");
  e.fields = m_errors;
  return e;
}

Response json_response(int status, const json::value& v) {
  Response r;
  r.status = status;
  r.body = json::serialize(v);
  return r;
}

Response created(const json::value& body, std::string location) {
  Response r = json_response(201, body);
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

Error field_error(std::string field, std::string message, std::string code) {
  Error e = make_error(ErrorCode::invalid_input, "some fields are not valid");
  e.fields.push_back({std::move(field), std::move(message), std::move(code)});
  return e;
}

Response no_content() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

json::object to_json(const Ticket& t, Audience a) {
  json::object o;
  o.reserve(28);  // a list builds fifty of these: no rehash
  o["id"] = t.id;
  o["number"] = ticket_number(t.id);
  o["type"] = to_string(t.type);
  o["channel"] = to_string(t.channel);
  o["impact"] = to_string(t.impact);
  o["criticality"] = to_string(t.criticality);
  o["priority"] = to_string(t.priority);
  if (a == Audience::staff) o["support_level"] = t.support_level;
  o["status"] = to_string(t.status);
  o["status_category"] = to_string(category_of(t.status));
  o["requester_id"] = t.requester_id;
  o["organisation_id"] = opt_json(t.organisation_id);
  if (a == Audience::staff) {
    o["assignee_id"] = opt_json(t.assignee_id);
    o["group_id"] = opt_json(t.group_id);
    // Only lists carry the mark (store::TicketQuery::viewer).
    if (t.unread_by_viewer) o["unread"] = *t.unread_by_viewer;
  }
  o["category_id"] = opt_json(t.category_id);
  o["subject"] = t.subject;
  o["description"] = t.description;
  o["created_at"] = to_iso8601(t.created_at);
  o["updated_at"] = to_iso8601(t.updated_at);
  o["resolved_at"] = opt_time(t.resolved_at);
  o["closed_at"] = opt_time(t.closed_at);
  o["follow_up_of"] = opt_json(t.follow_up_of);
  o["version"] = t.version;  // the ETag's value, also in lists and live events
  json::array allowed;
  for (auto s : possible_transitions(t)) allowed.emplace_back(to_string(s));
  o["allowed_transitions"] = std::move(allowed);
  return o;
}

json::value sla_json(const TicketSla* s, const Ticket& t, Instant now) {
  if (!s || !s->state.policy_id) return nullptr;
  const auto seconds = [](Duration d) {
    return std::chrono::duration_cast<std::chrono::seconds>(d).count();
  };
  const bool resolved = !is_open(t.status);
  const auto& fr_at = s->state.first_response_at;
  const auto& fr_due = s->first_response_due_at;
  const auto& res_due = s->resolution_due_at;
  const bool fr_breached = fr_due && (fr_at ? *fr_at >= *fr_due : *fr_due <= now);
  const bool res_breached = res_due && *res_due <= now;
  // Until the resolution is due; while paused, the business time it has left.
  json::value left = nullptr;
  if (!resolved && res_due && (!s->paused || res_breached))
    left = seconds(*res_due - now);
  else if (!resolved && s->paused && s->resolution_left)
    left = seconds(*s->resolution_left);
  // Built at its size at once: a list builds fifty of these.
  json::object o{
      {"policy_id", *s->state.policy_id},
      {"first_response_due_at", opt_time(fr_due)},
      {"first_response_warning_at", opt_time(s->first_response_warning_at)},
      {"first_response_at", opt_time(fr_at)},
      {"first_response_breached", fr_breached},
      {"first_response_met", fr_at.has_value() && !fr_breached},
      // Until the first response is due (negative once past); null once answered.
      {"first_response_seconds_left",
       !fr_at && fr_due && !resolved ? json::value(seconds(*fr_due - now)) : json::value(nullptr)},
      {"resolution_due_at", opt_time(res_due)},
      {"resolution_warning_at", opt_time(s->resolution_warning_at)},
      {"resolution_breached", res_breached},
      {"resolution_met", resolved && !res_breached},
      {"paused", s->paused},
      {"resolution_seconds_left", std::move(left)},
  };
  return o;
}

json::object to_json(const Event& e) {
  return {{"id", e.id},
          {"ticket_id", e.ticket_id},
          {"kind", to_string(e.kind)},
          {"actor_type", to_string(e.actor_kind)},
          {"actor_id", opt_json(e.actor_id)},
          {"actor_name", e.actor_name},
          {"internal", e.internal},
          {"body", e.body},
          {"field", e.field},
          {"old_value", e.old_value},
          {"new_value", e.new_value},
          {"created_at", to_iso8601(e.created_at)}};
}

json::object to_json(const User& u) {
  return {{"id", u.id},
          {"email", u.email.empty() ? json::value(nullptr) : json::value(u.email)},
          {"name", u.name},
          {"phone", u.phone},
          {"role", to_string(u.role)},
          {"organisation_id", opt_json(u.organisation_id)},
          {"language", u.language},
          {"timezone", u.timezone},
          {"active", u.active},
          {"must_change_password", u.must_change_password},
          {"created_at", to_iso8601(u.created_at)}};
}

json::object to_json(const Organisation& o) {
  return {{"id", o.id},
          {"name", o.name},
          {"shared_tickets", o.shared_tickets},
          {"created_at", to_iso8601(o.created_at)}};
}

json::object to_json(const Group& g, const std::vector<Id>& members) {
  json::array m;
  for (Id id : members) m.push_back(id);
  return {{"id", g.id},
          {"name", g.name},
          {"support_level", g.support_level},
          {"member_ids", std::move(m)},
          {"created_at", to_iso8601(g.created_at)}};
}

json::object to_json(const Category& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"parent_id", opt_json(c.parent_id)},
          {"created_at", to_iso8601(c.created_at)}};
}

json::object to_json(const EscalationContact& c) {
  return {{"id", c.id},
          {"level", c.level},
          {"role", c.role},
          {"name", c.name},
          {"office_phone", c.office_phone},
          {"email", c.email},
          {"mobile", c.mobile},
          {"created_at", to_iso8601(c.created_at)}};
}

json::object to_json(const Job& j) {
  boost::system::error_code ec;
  json::value payload = json::parse(j.payload, ec);
  if (ec) payload = nullptr;
  return {
      {"id", j.id},
      {"kind", j.kind},
      {"status", to_string(j.status)},
      {"payload", std::move(payload)},
      {"due_at", to_iso8601(j.due_at)},
      {"attempts", j.attempts},
      {"max_attempts", j.max_attempts},
      {"last_error", j.last_error},
      {"lease_owner", j.lease_owner.empty() ? json::value(nullptr) : json::value(j.lease_owner)},
      {"lease_expires_at", opt_time(j.lease_expires_at)},
      {"created_at", to_iso8601(j.created_at)},
      {"updated_at", to_iso8601(j.updated_at)},
      {"done_at", opt_time(j.done_at)}};
}

}  // namespace sd::api
