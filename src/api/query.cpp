#include "api/query.hpp"

#include <charconv>

#include "auth/crypto.hpp"
#include "domain/text.hpp"

namespace sd::api {
namespace {

Error bad_param(std::string_view name, std::string_view why) {
  return make_error(ErrorCode::invalid_input,
                    "query parameter " + std::string(name) + " " + std::string(why));
}

bool to_i64(std::string_view s, std::int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size() && !s.empty();
}

}  // namespace

Status reject_unknown_params(const Ctx& ctx, std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : ctx.query) {
    bool ok = false;
    for (auto n : known) ok = ok || k == n;
    if (!ok)
      return make_error(ErrorCode::invalid_input, k.size() <= 64 ? "unknown query parameter " + k
                                                                 : "unknown query parameter");
  }
  return {};
}

Result<int> parse_limit(const Ctx& ctx, int fallback, int max) {
  auto v = ctx.param("limit");
  if (!v) return fallback;
  std::int64_t n = 0;
  if (!to_i64(*v, n) || n < 1 || n > max)
    return bad_param("limit", "must be between 1 and " + std::to_string(max));
  return static_cast<int>(n);
}

Result<std::optional<Id>> parse_id_param(const Ctx& ctx, std::string_view name) {
  auto v = ctx.param(name);
  if (!v) return std::optional<Id>{};
  std::int64_t n = 0;
  if (!to_i64(*v, n) || n <= 0) return bad_param(name, "must be a positive id");
  return std::optional<Id>{n};
}

Result<store::RefFilter> parse_ref_filter(const Ctx& ctx, std::string_view name) {
  store::RefFilter f;
  auto v = ctx.param(name);
  if (!v) return f;
  if (*v == "none") {
    f.mode = store::RefFilter::Mode::none;
    return f;
  }
  f.mode = store::RefFilter::Mode::equals;
  std::string_view rest = *v;
  while (true) {
    auto comma = rest.find(',');
    std::int64_t n = 0;
    if (!to_i64(rest.substr(0, comma), n) || n <= 0 || f.ids.size() >= 100)
      return bad_param(name, "must be none or a comma list of positive ids");
    f.ids.push_back(n);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return f;
}

std::string encode_cursor(std::string_view key, std::string_view sort, const store::Cursor& c) {
  return auth::seal(key, std::string(sort) + ":" + std::to_string(c.key) + ":" + c.text + ":" +
                             std::to_string(c.id));
}

Result<store::Cursor> decode_cursor(std::string_view key, std::string_view sort,
                                    std::string_view text) {
  auto bad = [] { return make_error(ErrorCode::invalid_input, "the cursor is not valid"); };
  if (text.empty() || text.size() > 2000) return bad();
  auto opened = auth::unseal(key, text);
  if (!opened) return bad();
  const std::string& plain = *opened;
  // sort:key:text:id, where only text may hold colons.
  const std::string_view p = plain;
  auto c1 = p.find(':');
  auto c2 = c1 == std::string_view::npos ? c1 : p.find(':', c1 + 1);
  auto c3 = p.rfind(':');
  if (c1 == std::string_view::npos || c2 == std::string_view::npos || c3 <= c2) return bad();
  if (p.substr(0, c1) != sort)
    return make_error(ErrorCode::invalid_input, "the cursor was made for another sort");
  store::Cursor c;
  c.text = std::string(p.substr(c2 + 1, c3 - c2 - 1));
  if (!to_i64(p.substr(c1 + 1, c2 - c1 - 1), c.key) || !to_i64(p.substr(c3 + 1), c.id) ||
      !is_valid_utf8(c.text))
    return bad();
  return c;
}

// If-Match: absent or * (no condition), or one entity tag of a version,
// strong or weak ("7", W/"7").
Result<std::optional<std::int64_t>> if_match(const Ctx& ctx) {
  std::string_view v = ctx.req.header("if-match");
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty() || v == "*") return std::optional<std::int64_t>{};
  if (v.starts_with("W/")) v.remove_prefix(2);
  std::int64_t n = 0;
  if (v.size() >= 3 && v.front() == '"' && v.back() == '"') {
    auto inner = v.substr(1, v.size() - 2);
    auto [p, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), n);
    if (ec == std::errc{} && p == inner.data() + inner.size() && n > 0)
      return std::optional<std::int64_t>{n};
  }
  return make_error(ErrorCode::invalid_input, "If-Match must be one entity tag from an ETag, or *");
}

}  // namespace sd::api
