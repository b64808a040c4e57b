#include "store/repo/articles.hpp"

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {

using namespace sql;

constexpr const char* kCols =
    "a.id, a.title, a.body, a.body_text, a.language, a.visibility, a.status, a.category_id, "
    "a.tags, a.translation_of, a.source_ticket_id, a.version, a.author_id, a.updated_by, "
    "a.helpful_yes, a.helpful_no, a.created_at, a.updated_at, a.published_at, "
    "COALESCE((SELECT u.name FROM users u WHERE u.id = a.author_id), ''), "
    "COALESCE((SELECT u.name FROM users u WHERE u.id = a.updated_by), ''), "
    "COALESCE((SELECT c.name FROM categories c WHERE c.id = a.category_id), '')";

std::vector<std::string> split_tags(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto end = s.find(',', i);
    if (end == std::string::npos) end = s.size();
    if (end > i) out.push_back(s.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

std::string join_tags(const std::vector<std::string>& tags) {
  std::string out;
  for (const auto& t : tags) out += (out.empty() ? "" : ",") + t;
  return out;
}

Article article_from(const Row& r) {
  Article a;
  a.id = r.i64(0);
  a.title = r.text(1);
  a.body = r.text(2);
  a.body_text = r.text(3);
  a.language = r.text(4);
  a.visibility = enum_col<ArticleVisibility>(r, 5, "articles.visibility");
  a.status = enum_col<ArticleStatus>(r, 6, "articles.status");
  a.category_id = opt_i64(r, 7);
  a.tags = split_tags(r.text(8));
  a.translation_of = opt_i64(r, 9);
  a.source_ticket_id = opt_i64(r, 10);
  a.version = r.i64(11);
  a.author_id = opt_i64(r, 12);
  a.updated_by = opt_i64(r, 13);
  a.helpful_yes = r.i64(14);
  a.helpful_no = r.i64(15);
  a.created_at = instant(r, 16);
  a.updated_at = instant(r, 17);
  a.published_at = opt_instant(r, 18);
  a.author_name = r.text(19);
  a.updated_by_name = r.text(20);
  a.category_name = r.text(21);
  return a;
}

Params values(const Article& a) {
  return {a.title,
          a.body,
          a.body_text,
          a.language,
          name(a.visibility),
          name(a.status),
          opt(a.category_id),
          join_tags(a.tags),
          opt(a.translation_of),
          opt(a.source_ticket_id),
          a.version,
          opt(a.author_id),
          opt(a.updated_by),
          at(a.created_at),
          at(a.updated_at),
          opt_at(a.published_at)};
}

}  // namespace

Id ArticleRepo::insert(const Article& a) {
  Id id = 0;
  conn().query(
      "INSERT INTO articles (title, body, body_text, language, visibility, status, category_id, "
      "tags, translation_of, source_ticket_id, version, author_id, updated_by, created_at, "
      "updated_at, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
      "$14, $15, $16) RETURNING id",
      values(a), [&](const Row& r) { id = r.i64(0); });
  note_search_article(id);
  return id;
}

void ArticleRepo::update(const Article& a) {
  Params p = values(a);
  p.push_back(a.id);
  conn().exec(
      "UPDATE articles SET title = $1, body = $2, body_text = $3, language = $4, "
      "visibility = $5, status = $6, category_id = $7, tags = $8, translation_of = $9, "
      "source_ticket_id = $10, version = $11, author_id = $12, updated_by = $13, "
      "created_at = $14, updated_at = $15, published_at = $16 WHERE id = $17",
      p);
  note_search_article(a.id);
}

std::optional<Article> ArticleRepo::find(Id id, Lock lock) {
  std::string sql = std::string("SELECT ") + kCols + " FROM articles a WHERE a.id = $1";
  if (lock == Lock::for_update && dialect() == Dialect::postgres) sql += " FOR UPDATE OF a";
  std::optional<Article> out;
  conn().query(sql, {id}, [&](const Row& r) { out = article_from(r); });
  return out;
}

std::vector<Article> ArticleRepo::find_many(const std::vector<Id>& ids) {
  std::vector<Article> out;
  if (ids.empty()) return out;
  Binder b(dialect());
  conn().query(std::string("SELECT ") + kCols + " FROM articles a WHERE " + b.any_of("a.id", ids),
               b.params, [&](const Row& r) { out.push_back(article_from(r)); });
  return out;
}

Page<Article> ArticleRepo::list(const ArticleQuery& q) {
  Binder b(dialect());
  Where w;
  if (q.language) w.add("a.language = " + b.next(*q.language));
  if (q.visibility) w.add("a.visibility = " + b.next(name(*q.visibility)));
  if (q.status) w.add("a.status = " + b.next(name(*q.status)));
  if (q.category_id) w.add("a.category_id = " + b.next(*q.category_id));
  if (q.tag) {
    const std::string inner = like_pattern(*q.tag);  // %tag%, wildcards escaped
    w.add("(',' || a.tags || ',') LIKE " + b.next("%," + inner.substr(1, inner.size() - 2) + ",%") +
          " ESCAPE '\\'");
  }
  if (q.after)
    w.add("(a.updated_at, a.id) < (" + b.next(q.after->key) + ", " + b.next(q.after->id) + ")");
  const std::string sql = std::string("SELECT ") + kCols + " FROM articles a" + w.text +
                          " ORDER BY a.updated_at DESC, a.id DESC LIMIT " +
                          b.next(std::int64_t{q.limit} + 1);
  Page<Article> page;
  conn().query(sql, b.params, [&](const Row& r) { page.items.push_back(article_from(r)); });
  if (page.items.size() > static_cast<std::size_t>(q.limit)) {
    page.items.pop_back();
    const auto& last = page.items.back();
    page.next = Cursor{to_unix_ms(last.updated_at), {}, last.id};
  }
  return page;
}

void ArticleRepo::remove(Id id) {
  note_search_article(id);
  conn().exec("DELETE FROM articles WHERE id = $1", {id});
}

std::optional<Id> ArticleRepo::translation(Id group, const std::string& language) {
  std::optional<Id> out;
  conn().query(
      "SELECT id FROM articles WHERE (id = $1 OR translation_of = $1 OR id = (SELECT "
      "translation_of FROM articles WHERE id = $1) OR translation_of = (SELECT translation_of "
      "FROM articles WHERE id = $1)) AND language = $2 AND visibility = 'public' AND status = "
      "'published' ORDER BY id LIMIT 1",
      {group, language}, [&](const Row& r) { out = r.i64(0); });
  return out;
}

void ArticleRepo::add_version(const ArticleVersion& v) {
  conn().exec(
      "INSERT INTO article_versions (article_id, version, title, body, language, visibility, "
      "status, category_id, tags, editor_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
      "$9, $10, $11)",
      {v.article_id, v.version, v.title, v.body, v.language, name(v.visibility), name(v.status),
       opt(v.category_id), join_tags(v.tags), opt(v.editor_id), at(v.created_at)});
}

std::vector<ArticleVersion> ArticleRepo::versions(Id article_id, int limit) {
  std::vector<ArticleVersion> out;
  conn().query(
      "SELECT v.article_id, v.version, v.title, v.body, v.language, v.visibility, v.status, "
      "v.category_id, v.tags, v.editor_id, v.created_at, COALESCE((SELECT u.name FROM users u "
      "WHERE u.id = v.editor_id), '') FROM article_versions v WHERE v.article_id = $1 ORDER BY "
      "v.version DESC LIMIT $2",
      {article_id, std::int64_t{limit}}, [&](const Row& r) {
        ArticleVersion v;
        v.article_id = r.i64(0);
        v.version = r.i64(1);
        v.title = r.text(2);
        v.body = r.text(3);
        v.language = r.text(4);
        v.visibility = enum_col<ArticleVisibility>(r, 5, "article_versions.visibility");
        v.status = enum_col<ArticleStatus>(r, 6, "article_versions.status");
        v.category_id = opt_i64(r, 7);
        v.tags = split_tags(r.text(8));
        v.editor_id = opt_i64(r, 9);
        v.created_at = instant(r, 10);
        v.editor_name = r.text(11);
        out.push_back(std::move(v));
      });
  return out;
}

std::optional<bool> ArticleRepo::vote_of(Id article_id, Id user_id) {
  std::optional<bool> out;
  conn().query("SELECT helpful FROM article_votes WHERE article_id = $1 AND user_id = $2",
               {article_id, user_id}, [&](const Row& r) { out = r.i64(0) != 0; });
  return out;
}

std::optional<bool> ArticleRepo::vote(Id article_id, Id user_id, bool helpful, Instant now) {
  auto before = vote_of(article_id, user_id);
  if (before)
    conn().exec(
        "UPDATE article_votes SET helpful = $3, created_at = $4 WHERE article_id = $1 AND "
        "user_id = $2",
        {article_id, user_id, flag(helpful), at(now)});
  else
    conn().exec(
        "INSERT INTO article_votes (article_id, user_id, helpful, created_at) VALUES ($1, $2, "
        "$3, $4)",
        {article_id, user_id, flag(helpful), at(now)});
  return before;
}

void ArticleRepo::add_to_counts(Id article_id, std::int64_t yes, std::int64_t no) {
  // The counts change without a new version: votes are not edits.
  conn().exec(
      "UPDATE articles SET helpful_yes = helpful_yes + $2, helpful_no = helpful_no + $3 WHERE id "
      "= $1",
      {article_id, yes, no});
}

Id ArticleRepo::add_deflection(std::optional<Id> article_id, std::optional<Id> user_id,
                               const std::string& subject, Instant now) {
  Id id = 0;
  conn().query(
      "INSERT INTO deflections (article_id, user_id, subject, created_at) VALUES ($1, $2, $3, $4) "
      "RETURNING id",
      {opt(article_id), opt(user_id), subject, at(now)}, [&](const Row& r) { id = r.i64(0); });
  return id;
}

bool ArticleRepo::add_solution(const TicketSolution& s) {
  bool exists = false;
  conn().query("SELECT 1 FROM ticket_solutions WHERE ticket_id = $1 AND article_id = $2",
               {s.ticket_id, s.article_id}, [&](const Row&) { exists = true; });
  if (exists) return false;
  conn().exec(
      "INSERT INTO ticket_solutions (ticket_id, article_id, linked_by, event_id, created_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      {s.ticket_id, s.article_id, opt(s.linked_by), opt(s.event_id), at(s.linked_at)});
  return true;
}

std::vector<TicketSolution> ArticleRepo::solutions(Id ticket_id) {
  std::vector<TicketSolution> out;
  conn().query(
      "SELECT s.ticket_id, s.article_id, a.title, a.language, s.linked_by, COALESCE((SELECT "
      "u.name FROM users u WHERE u.id = s.linked_by), ''), s.event_id, s.created_at FROM "
      "ticket_solutions s JOIN articles a ON a.id = s.article_id WHERE s.ticket_id = $1 ORDER BY "
      "s.created_at, s.article_id",
      {ticket_id}, [&](const Row& r) {
        TicketSolution s;
        s.ticket_id = r.i64(0);
        s.article_id = r.i64(1);
        s.article_title = r.text(2);
        s.language = r.text(3);
        s.linked_by = opt_i64(r, 4);
        s.linked_by_name = r.text(5);
        s.event_id = opt_i64(r, 6);
        s.linked_at = instant(r, 7);
        out.push_back(std::move(s));
      });
  return out;
}

}  // namespace sd::store
