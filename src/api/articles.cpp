// /articles: the knowledge base, as JSON over desk/knowledge. An article
// carries its Markdown `body` and the rendered, safe `body_html`. Also the
// live preview, helpful votes, suggestions while a subject is typed,
// deflections, a ticket's suggested articles and solutions, drafting an
// article from a ticket, and the knowledge-base setting.
#include <boost/json.hpp>

#include "api/json_io.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "desk/knowledge.hpp"
#include "desk/search.hpp"
#include "domain/diff.hpp"
#include "domain/markdown.hpp"
#include "domain/text.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;
using store::Tx;

json::value vote_json(std::optional<bool> v) {
  if (!v) return nullptr;
  return *v ? "yes" : "no";
}

json::array tags_json(const std::vector<std::string>& tags) {
  json::array out;
  for (const auto& t : tags) out.push_back(json::string(t));
  return out;
}

std::string excerpt(const std::string& text, std::size_t max = 200) {
  std::string out;
  std::size_t chars = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80 && ++chars > max) return out + "…";
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

// The article without its body: what lists carry.
json::object summary_json(const Article& a) {
  return {{"id", a.id},
          {"title", a.title},
          {"excerpt", excerpt(a.body_text)},
          {"language", a.language},
          {"visibility", to_string(a.visibility)},
          {"status", to_string(a.status)},
          {"category_id", opt_json(a.category_id)},
          {"category_name", a.category_id ? json::value(a.category_name) : json::value(nullptr)},
          {"tags", tags_json(a.tags)},
          {"translation_of", opt_json(a.translation_of)},
          {"source_ticket_id", opt_json(a.source_ticket_id)},
          {"version", a.version},
          {"author_id", opt_json(a.author_id)},
          {"author_name", a.author_name},
          {"updated_by_id", opt_json(a.updated_by)},
          {"updated_by_name", a.updated_by_name},
          {"helpful_yes", a.helpful_yes},
          {"helpful_no", a.helpful_no},
          {"created_at", to_iso8601(a.created_at)},
          {"updated_at", to_iso8601(a.updated_at)},
          {"published_at", opt_time(a.published_at)}};
}

json::object article_json(const Article& a, std::optional<bool> my_vote) {
  json::object o = summary_json(a);
  o.erase("excerpt");
  o["body"] = a.body;
  o["body_html"] = render_markdown(a.body).html;
  o["my_vote"] = vote_json(my_vote);
  return o;
}

Response with_etag(Response r, const Article& a) {
  std::string tag = std::to_string(a.version);
  tag.insert(tag.begin(), '"');
  tag.push_back('"');
  r.headers.emplace_back("ETag", std::move(tag));
  return r;
}

// The fields of a create or update.
Result<desk::ArticleInput> article_input(const json::object& body, bool creating) {
  desk::ArticleInput in;
  FieldReader r(body, {"title", "body", "language", "visibility", "status", "category_id", "tags",
                       "translation_of"});
  if (creating || r.has("title"))
    in.title = r.text("title", kMaxArticleTitle, TextKind::single_line, true);
  if (creating || r.has("body"))
    in.body = r.text("body", kMaxArticleBody, TextKind::multi_line, false);
  if (creating || r.has("language"))
    in.language = r.text("language", 10, TextKind::single_line, true);
  if (auto v = r.enumeration<ArticleVisibility>("visibility", creating)) in.visibility = *v;
  if (auto v = r.enumeration<ArticleStatus>("status", creating)) in.status = *v;
  if (auto c = r.nullable_id("category_id")) in.category_id = *c;
  if (auto t = r.nullable_id("translation_of")) in.translation_of = *t;
  if (auto t = body.if_contains("tags")) {
    std::vector<std::string> tags;
    if (!t->is_array()) {
      r.add("tags", "must be a list of words", "invalid_type");
    } else {
      for (const auto& item : t->as_array()) {
        if (!item.is_string()) {
          r.add("tags", "must be a list of words", "invalid_type");
          break;
        }
        tags.emplace_back(item.as_string());
      }
      if (t->as_array().size() > 100) r.add("tags", "has too many tags", "too_many");
    }
    in.tags = std::move(tags);
  }
  if (auto s = r.finish(); !s) return s.error();
  return in;
}

Result<Response> create_article(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  auto in = article_input(*body, true);
  if (!in) return in.error();
  const Instant now = ctx.s.clock.now();
  auto out =
      ctx.s.store.write([&](Tx& tx) { return desk::create_article(tx, ctx.actor(), *in, now); });
  if (!out) return out.error();
  return with_etag(created(article_json(out->value, std::nullopt),
                           "/api/v1/articles/" + std::to_string(out->value.id)),
                   out->value);
}

Result<Response> patch_article(Ctx& ctx) {
  auto version = if_match(ctx);
  if (!version) return version.error();
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  auto in = article_input(*body, false);
  if (!in) return in.error();
  const Instant now = ctx.s.clock.now();
  struct Saved {
    Article article;
    std::optional<bool> vote;
  };
  auto out = ctx.s.store.write([&](Tx& tx) -> Result<Saved> {
    auto o = desk::update_article(tx, ctx.actor(), ctx.id, *version, *in, now);
    if (!o) return o.error();
    return Saved{o->value, desk::vote_of(tx, ctx.actor(), ctx.id)};
  });
  if (!out) return out.error();
  return with_etag(json_response(200, article_json(out->article, out->vote)), out->article);
}

Result<Response> get_article(Ctx& ctx) {
  struct Found {
    Article article;
    std::optional<bool> vote;
  };
  auto out = ctx.s.store.read([&](Tx& tx) -> Result<Found> {
    auto a = desk::get_article(tx, ctx.actor(), ctx.id);
    if (!a) return a.error();
    return Found{*a, desk::vote_of(tx, ctx.actor(), ctx.id)};
  });
  if (!out) return out.error();
  return with_etag(json_response(200, article_json(out->article, out->vote)), out->article);
}

Result<Response> delete_article(Ctx& ctx) {
  auto out =
      ctx.s.store.write([&](Tx& tx) { return desk::delete_article(tx, ctx.actor(), ctx.id); });
  if (!out) return out.error();
  return no_content();
}

// GET /api/v1/articles?q=&language=&visibility=&status=&category_id=&tag=&limit=&cursor=
Result<Response> list_articles(Ctx& ctx) {
  if (auto s = reject_unknown_params(
          ctx, {"q", "language", "visibility", "status", "category_id", "tag", "limit", "cursor"});
      !s)
    return s.error();
  auto limit = parse_limit(ctx, 20, 100);
  if (!limit) return limit.error();
  auto category = parse_id_param(ctx, "category_id");
  if (!category) return category.error();
  std::optional<std::string> language = ctx.param("language");
  if (language && !valid_article_language(*language))
    return make_error(ErrorCode::invalid_input, "query parameter language must be es-MX or en");
  std::optional<ArticleVisibility> visibility;
  if (auto v = ctx.param("visibility")) {
    visibility = parse_enum<ArticleVisibility>(*v);
    if (!visibility)
      return make_error(ErrorCode::invalid_input,
                        "query parameter visibility must be public or internal");
  }
  std::optional<ArticleStatus> status;
  if (auto v = ctx.param("status")) {
    status = parse_enum<ArticleStatus>(*v);
    if (!status)
      return make_error(ErrorCode::invalid_input,
                        "query parameter status must be draft or published");
  }
  std::optional<std::string> tag = ctx.param("tag");
  if (tag && (!is_valid_utf8(*tag) || tag->size() > 200))
    return make_error(ErrorCode::invalid_input, "query parameter tag is not a tag");
  const auto q = ctx.param("q");
  if (q && q->find_first_not_of(' ') != std::string::npos) {
    // Ranked by the search index.
    desk::SearchRequest r;
    r.q = *q;
    r.kind = desk::SearchKind::article;
    r.limit = *limit;
    r.language = language;
    r.category_id = *category;
    r.article_visibility = visibility;
    r.article_status = status;
    if (auto c = ctx.param("cursor")) {
      auto cur = decode_cursor(ctx.s.cursor_key, "articles-search", *c);
      if (!cur) return cur.error();
      r.article_offset = static_cast<int>(cur->key);
    }
    struct Found {
      std::vector<Article> items;
      bool more = false;
      int next = 0;
    };
    auto out = ctx.s.store.read([&](Tx& tx) -> Result<Found> {
      auto res = desk::search(tx, ctx.actor(), r);
      if (!res) return res.error();
      Found f;
      for (const auto& it : res->items) {
        auto a = desk::get_article(tx, ctx.actor(), it.id);
        if (a) f.items.push_back(*a);
      }
      f.more = res->more;
      f.next = res->next_article_offset;
      return f;
    });
    if (!out) return out.error();
    json::array items;
    for (const auto& a : out->items) items.push_back(summary_json(a));
    json::value next = nullptr;
    if (out->more) {
      store::Cursor c;
      c.key = out->next;
      next = json::string(encode_cursor(ctx.s.cursor_key, "articles-search", c));
    }
    return json_response(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
  }
  store::ArticleQuery aq;
  aq.language = language;
  aq.visibility = visibility;
  aq.status = status;
  aq.category_id = *category;
  aq.tag = tag;
  aq.limit = *limit;
  if (auto c = ctx.param("cursor")) {
    auto cur = decode_cursor(ctx.s.cursor_key, "articles", *c);
    if (!cur) return cur.error();
    aq.after = *cur;
  }
  auto page = ctx.s.store.read([&](Tx& tx) { return desk::list_articles(tx, ctx.actor(), aq); });
  if (!page) return page.error();
  json::array items;
  for (const auto& a : page->items) items.push_back(summary_json(a));
  json::value next = nullptr;
  if (page->next) next = json::string(encode_cursor(ctx.s.cursor_key, "articles", *page->next));
  return json_response(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

json::array diff_json(const std::string& before, const std::string& after) {
  json::array out;
  for (const auto& line : diff_lines(before, after))
    out.push_back(json::object{{"op", line.op == DiffOp::equal    ? "equal"
                                      : line.op == DiffOp::insert ? "insert"
                                                                  : "delete"},
                               {"text", line.text}});
  return out;
}

Result<Response> article_versions(Ctx& ctx) {
  auto versions =
      ctx.s.store.read([&](Tx& tx) { return desk::article_versions(tx, ctx.actor(), ctx.id); });
  if (!versions) return versions.error();
  json::array items;
  const auto& v = *versions;  // newest first
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string previous = i + 1 < v.size() ? v[i + 1].body : std::string();
    items.push_back(json::object{{"version", v[i].version},
                                 {"title", v[i].title},
                                 {"body", v[i].body},
                                 {"status", to_string(v[i].status)},
                                 {"visibility", to_string(v[i].visibility)},
                                 {"language", v[i].language},
                                 {"category_id", opt_json(v[i].category_id)},
                                 {"tags", tags_json(v[i].tags)},
                                 {"editor_id", opt_json(v[i].editor_id)},
                                 {"editor_name", v[i].editor_name},
                                 {"created_at", to_iso8601(v[i].created_at)},
                                 {"diff", diff_json(previous, v[i].body)}});
  }
  return json_response(200, json::object{{"items", std::move(items)}});
}

Result<Response> vote(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"helpful"});
  auto helpful = in.boolean("helpful");
  // Absent or null (a wrong type is reported by boolean()).
  if (!helpful && (!in.has("helpful") || body->at("helpful").is_null()))
    in.add("helpful", "is required: true or false", "required");
  if (auto s = in.finish(); !s) return s.error();
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write(
      [&](Tx& tx) { return desk::vote_on_article(tx, ctx.actor(), ctx.id, *helpful, now); });
  if (!out) return out.error();
  return json_response(200, json::object{{"helpful_yes", out->value.yes},
                                         {"helpful_no", out->value.no},
                                         {"my_vote", vote_json(out->value.mine)}});
}

Result<Response> preview(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"body"});
  auto text = in.text("body", kMaxArticleBody, TextKind::multi_line, false);
  if (auto s = in.finish(); !s) return s.error();
  return json_response(200, json::object{{"body_html", render_markdown(text.value_or("")).html}});
}

json::object suggestion_json(const desk::SearchItem& it) {
  return {{"id", it.id},
          {"title", it.title},
          {"snippet", it.snippet},
          {"language", it.language},
          {"visibility", to_string(it.visibility)},
          {"status", to_string(it.article_status)}};
}

// GET /api/v1/articles/suggestions?text=&language=&limit=
Result<Response> suggestions(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"text", "language", "limit"}); !s) return s.error();
  auto limit = parse_limit(ctx, 5, 20);
  if (!limit) return limit.error();
  const std::string text = ctx.param("text").value_or("");
  if (!is_valid_utf8(text) || utf8_length(text) > 1000)
    return make_error(ErrorCode::invalid_input,
                      "query parameter text must be UTF-8, at most 1000 characters");
  std::optional<std::string> language = ctx.param("language");
  if (language && !valid_article_language(*language))
    return make_error(ErrorCode::invalid_input, "query parameter language must be es-MX or en");
  auto out = ctx.s.store.read(
      [&](Tx& tx) { return desk::suggest_articles(tx, ctx.actor(), text, language, *limit); });
  if (!out) return out.error();
  json::array items;
  for (const auto& it : *out) items.push_back(suggestion_json(it));
  return json_response(200, json::object{{"items", std::move(items)}});
}

Result<Response> deflect(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"article_id", "subject"});
  auto article = in.integer("article_id", true);
  auto subject = in.text("subject", kMaxSubject, TextKind::single_line, false);
  if (auto s = in.finish(); !s) return s.error();
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write([&](Tx& tx) {
    return desk::record_deflection(tx, ctx.actor(), *article, subject.value_or(""), now);
  });
  if (!out) return out.error();
  return created(json::object{{"id", out->value}},
                 "/api/v1/deflections/" + std::to_string(out->value));
}

Result<Response> suggested_for_ticket(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"limit"}); !s) return s.error();
  auto limit = parse_limit(ctx, 5, 20);
  if (!limit) return limit.error();
  auto out = ctx.s.store.read(
      [&](Tx& tx) { return desk::articles_for_ticket(tx, ctx.actor(), ctx.id, *limit); });
  if (!out) return out.error();
  json::array items;
  for (const auto& it : *out) items.push_back(suggestion_json(it));
  return json_response(200, json::object{{"items", std::move(items)}});
}

json::object solution_json(const TicketSolution& s) {
  return {{"ticket_id", s.ticket_id},
          {"article_id", s.article_id},
          {"article_title", s.article_title},
          {"language", s.language},
          {"linked_by", opt_json(s.linked_by)},
          {"linked_by_name", s.linked_by_name},
          {"linked_at", to_iso8601(s.linked_at)},
          {"event_id", opt_json(s.event_id)}};
}

Result<Response> link_solution(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"article_id"});
  auto article = in.integer("article_id", true);
  if (auto s = in.finish(); !s) return s.error();
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write(
      [&](Tx& tx) { return desk::link_solution(tx, ctx.actor(), ctx.id, *article, now); });
  if (!out) return out.error();
  return created(solution_json(out->value),
                 "/api/v1/tickets/" + std::to_string(ctx.id) + "/solutions");
}

Result<Response> list_solutions(Ctx& ctx) {
  auto out =
      ctx.s.store.read([&](Tx& tx) { return desk::ticket_solutions(tx, ctx.actor(), ctx.id); });
  if (!out) return out.error();
  json::array items;
  for (const auto& s : *out) items.push_back(solution_json(s));
  return json_response(200, json::object{{"items", std::move(items)}});
}

Result<Response> draft_from_ticket(Ctx& ctx) {
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write(
      [&](Tx& tx) { return desk::draft_article_from_ticket(tx, ctx.actor(), ctx.id, now); });
  if (!out) return out.error();
  return with_etag(created(article_json(out->value, std::nullopt),
                           "/api/v1/articles/" + std::to_string(out->value.id)),
                   out->value);
}

Result<Response> get_kb_setting(Ctx& ctx) {
  auto allowed =
      ctx.s.store.read([](Tx& tx) -> Result<bool> { return desk::agents_may_publish(tx); });
  if (!allowed) return allowed.error();
  return json_response(200, json::object{{"agents_publish", *allowed}});
}

Result<Response> put_kb_setting(Ctx& ctx) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  FieldReader in(*body, {"agents_publish"});
  auto allowed = in.boolean("agents_publish");
  if (!allowed && (!in.has("agents_publish") || body->at("agents_publish").is_null()))
    in.add("agents_publish", "is required: true or false", "required");
  if (auto s = in.finish(); !s) return s.error();
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write(
      [&](Tx& tx) { return desk::set_agents_may_publish(tx, ctx.actor(), *allowed, now); });
  if (!out) return out.error();
  return json_response(200, json::object{{"agents_publish", out->value}});
}

}  // namespace

void add_article_routes(std::vector<Route>& out) {
  out.push_back({Method::get, "/api/v1/articles", list_articles, Policy::signed_in});
  out.push_back({Method::post, "/api/v1/articles", create_article, Policy::staff});
  out.push_back({Method::post, "/api/v1/articles/preview", preview, Policy::staff});
  out.push_back({Method::get, "/api/v1/articles/suggestions", suggestions, Policy::signed_in});
  out.push_back({Method::get, "/api/v1/articles/{id}", get_article, Policy::signed_in});
  out.push_back({Method::patch, "/api/v1/articles/{id}", patch_article, Policy::staff});
  out.push_back({Method::del, "/api/v1/articles/{id}", delete_article, Policy::staff});
  out.push_back({Method::get, "/api/v1/articles/{id}/versions", article_versions, Policy::staff});
  out.push_back({Method::post, "/api/v1/articles/{id}/votes", vote, Policy::signed_in});
  out.push_back({Method::post, "/api/v1/deflections", deflect, Policy::signed_in});
  out.push_back({Method::get, "/api/v1/tickets/{id}/suggested-articles", suggested_for_ticket,
                 Policy::staff});
  out.push_back({Method::post, "/api/v1/tickets/{id}/solutions", link_solution, Policy::staff});
  out.push_back({Method::get, "/api/v1/tickets/{id}/solutions", list_solutions, Policy::signed_in});
  out.push_back(
      {Method::post, "/api/v1/tickets/{id}/article-draft", draft_from_ticket, Policy::staff});
  out.push_back({Method::get, "/api/v1/settings/knowledge-base", get_kb_setting, Policy::staff});
  out.push_back({Method::put, "/api/v1/settings/knowledge-base", put_kb_setting, Policy::admin});
}

}  // namespace sd::api
