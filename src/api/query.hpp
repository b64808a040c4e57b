// Parsing list query parameters: comma lists of enum names, ids or "none",
// limits and opaque cursors. Every failure is a 400 naming the parameter.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/router.hpp"
#include "domain/enums.hpp"
#include "domain/error.hpp"
#include "store/repo/page.hpp"
#include "store/repo/tickets.hpp"

namespace sd::api {

Status reject_unknown_params(const Ctx& ctx, std::initializer_list<std::string_view> known);

Result<int> parse_limit(const Ctx& ctx, int fallback, int max);
Result<std::optional<Id>> parse_id_param(const Ctx& ctx, std::string_view name);
Result<store::RefFilter> parse_ref_filter(const Ctx& ctx, std::string_view name);

template <class E>
Result<std::vector<E>> parse_enum_list(const Ctx& ctx, std::string_view name) {
  std::vector<E> out;
  auto v = ctx.param(name);
  if (!v) return out;
  std::string_view rest = *v;
  while (true) {
    auto comma = rest.find(',');
    auto item = rest.substr(0, comma);
    auto e = parse_enum<E>(item);
    if (!e)
      return make_error(ErrorCode::invalid_input,
                        "query parameter " + std::string(name) + " has an unknown value");
    out.push_back(*e);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

// Cursors are opaque: sealed with the server's key (Services::cursor_key),
// so they show nothing of the row they point at (a name, when sorting by
// name) and cannot be forged. They carry the sort they were made for, so a
// cursor reused with another sort is refused rather than silently skipping
// rows.
std::string encode_cursor(std::string_view key, std::string_view sort, const store::Cursor& c);
Result<store::Cursor> decode_cursor(std::string_view key, std::string_view sort,
                                    std::string_view text);

// If-Match: absent or * (no condition), or one entity tag of a version,
// strong or weak ("7", W/"7"): the version a change expects.
Result<std::optional<std::int64_t>> if_match(const Ctx& ctx);

}  // namespace sd::api
