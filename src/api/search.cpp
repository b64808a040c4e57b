// /search: one ranked search over tickets and knowledge-base articles, as
// the caller may see them (desk/search.hpp).
//   GET /api/v1/search?q=&kind=ticket|article&limit=&cursor=&type=&status=
//       &category_id=&from=&to=&language=
//   -> {"items":[{"kind","id","title","snippet",...}],"next_cursor"}
// Snippets are safe HTML: escaped text with the matches in <mark>.
#include "desk/search.hpp"

#include <boost/json.hpp>

#include "api/json_io.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "domain/article.hpp"
#include "domain/time.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;
using store::Tx;

constexpr const char* kCursorSort = "search";

// A day (YYYY-MM-DD: its start, or for `to` its end) or an instant.
Result<Instant> bound(const Ctx& ctx, std::string_view name, bool end_of_day) {
  const std::string v = *ctx.param(name);
  if (auto d = parse_date(v)) return end_of_day ? *d + std::chrono::days(1) - Duration(1) : *d;
  if (auto t = parse_iso8601(v)) return *t;
  return make_error(ErrorCode::invalid_input, "query parameter " + std::string(name) +
                                                  " must be a date (YYYY-MM-DD) or an instant");
}

Result<Response> search(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"q", "kind", "limit", "cursor", "type", "status",
                                           "category_id", "from", "to", "language"});
      !s)
    return s.error();
  desk::SearchRequest r;
  r.q = ctx.param("q").value_or("");
  if (auto k = ctx.param("kind")) {
    if (*k == "ticket")
      r.kind = desk::SearchKind::ticket;
    else if (*k == "article")
      r.kind = desk::SearchKind::article;
    else
      return make_error(ErrorCode::invalid_input, "query parameter kind must be ticket or article");
  }
  auto limit = parse_limit(ctx, 20, 100);
  if (!limit) return limit.error();
  r.limit = *limit;
  auto types = parse_enum_list<TicketType>(ctx, "type");
  if (!types) return types.error();
  r.types = *types;
  auto statuses = parse_enum_list<TicketStatus>(ctx, "status");
  if (!statuses) return statuses.error();
  r.statuses = *statuses;
  auto category = parse_id_param(ctx, "category_id");
  if (!category) return category.error();
  r.category_id = *category;
  r.language = ctx.param("language");
  if (r.language && !valid_article_language(*r.language))
    return make_error(ErrorCode::invalid_input, "query parameter language must be es-MX or en");
  if (ctx.param("from")) {
    auto b = bound(ctx, "from", false);
    if (!b) return b.error();
    r.updated_from = *b;
  }
  if (ctx.param("to")) {
    auto b = bound(ctx, "to", true);
    if (!b) return b.error();
    r.updated_to = *b;
  }
  if (auto c = ctx.param("cursor")) {
    auto cur = decode_cursor(ctx.s.cursor_key, kCursorSort, *c);
    if (!cur) return cur.error();
    if (cur->key < 0 || cur->id < 0 || cur->key > 1'000'000 || cur->id > 1'000'000)
      return make_error(ErrorCode::invalid_input, "query parameter cursor is not valid");
    r.ticket_offset = static_cast<int>(cur->key);
    r.article_offset = static_cast<int>(cur->id);
  }
  auto out = ctx.s.store.read([&](Tx& tx) { return desk::search(tx, ctx.actor(), r); });
  if (!out) return out.error();
  json::array items;
  for (const auto& it : out->items) {
    json::object o{{"kind", it.kind == desk::SearchKind::ticket ? "ticket" : "article"},
                   {"id", it.id},
                   {"title", it.title},
                   {"snippet", it.snippet},
                   {"updated_at", to_iso8601(it.updated_at)}};
    if (it.kind == desk::SearchKind::ticket) {
      o["number"] = ticket_number(it.id);
      o["status"] = to_string(it.status);
      o["type"] = to_string(it.type);
    } else {
      o["language"] = it.language;
      o["visibility"] = to_string(it.visibility);
      o["status"] = to_string(it.article_status);
    }
    items.push_back(std::move(o));
  }
  json::value next = nullptr;
  if (out->more) {
    store::Cursor c;
    c.key = out->next_ticket_offset;
    c.id = out->next_article_offset;
    next = json::string(encode_cursor(ctx.s.cursor_key, kCursorSort, c));
  }
  return json_response(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

}  // namespace

void add_search_routes(std::vector<Route>& out) {
  out.push_back({Method::get, "/api/v1/search", search, Policy::signed_in});
}

}  // namespace sd::api
