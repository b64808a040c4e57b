#include "desk/knowledge.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "desk/mail.hpp"
#include "desk/ticket_queries.hpp"
#include "domain/lifecycle.hpp"
#include "domain/markdown.hpp"
#include "domain/permissions.hpp"
#include "domain/scope.hpp"
#include "domain/text.hpp"
#include "store/repo/categories.hpp"
#include "store/repo/events.hpp"
#include "store/repo/settings.hpp"
#include "store/repo/tickets.hpp"
#include "store/repo/users.hpp"

namespace sd::desk {
namespace {

namespace json = boost::json;
using store::Tx;

constexpr const char* kSettingKey = "knowledge_base";

Error no_such_article() { return make_error(ErrorCode::not_found, "no such article"); }

Error may_not_publish() {
  return make_error(ErrorCode::forbidden,
                    "supervisors publish articles (an admin may let agents publish too)");
}

// Trimmed, unique, without commas (the store keeps them comma-separated).
std::vector<std::string> clean_tags(const std::vector<std::string>& tags,
                                    std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& raw : tags) {
    std::string t = raw;
    while (!t.empty() && t.front() == ' ') t.erase(t.begin());
    while (!t.empty() && t.back() == ' ') t.pop_back();
    check_text(errors, "tags", t, kMaxArticleTag, TextKind::single_line, true);
    if (t.find(',') != std::string::npos)
      errors.push_back({"tags", "a tag cannot hold a comma", "invalid_format"});
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
  }
  if (out.size() > kMaxArticleTags)
    errors.push_back({"tags", "at most " + std::to_string(kMaxArticleTags) + " tags", "too_many"});
  return out;
}

// Applies the input to `art`, checking each field given (and the required
// ones when creating).
Status apply(Tx& tx, Article& art, const ArticleInput& in, bool creating) {
  std::vector<FieldError> errors;
  if (creating || in.title) {
    check_text(errors, "title", in.title.value_or(""), kMaxArticleTitle, TextKind::single_line,
               true);
    if (in.title) art.title = *in.title;
  }
  if (in.body) {
    check_text(errors, "body", *in.body, kMaxArticleBody, TextKind::multi_line, false);
    art.body = *in.body;
  } else if (creating) {
    errors.push_back({"body", "is required", "required"});
  }
  if (creating || in.language) {
    if (!in.language)
      errors.push_back({"language", "is required", "required"});
    else if (!valid_article_language(*in.language))
      errors.push_back({"language", "must be es-MX or en", "unknown_value"});
    else
      art.language = *in.language;
  }
  if (in.visibility) art.visibility = *in.visibility;
  if (in.status) art.status = *in.status;
  if (in.category_id) {
    art.category_id = *in.category_id;
    if (art.category_id && !tx.categories().find(*art.category_id))
      errors.push_back({"category_id", "no such category", "not_found"});
  }
  if (in.tags) art.tags = clean_tags(*in.tags, errors);
  if (in.translation_of) {
    art.translation_of = *in.translation_of;
    if (art.translation_of) {
      auto of = tx.articles().find(*art.translation_of);
      if (!of || of->id == art.id)
        errors.push_back({"translation_of", "no such article", "not_found"});
      else
        // A group is named by its first article.
        art.translation_of = of->translation_of.value_or(of->id);
      if (of && art.id && art.translation_of == art.id)
        errors.push_back({"translation_of", "an article cannot translate itself", "invalid"});
    }
  }
  if (auto s = check_fields(std::move(errors)); !s) return s;
  art.body_text = render_markdown(art.body).text;
  return {};
}

ArticleVersion version_of(const Article& art, const Actor& a, Instant now) {
  ArticleVersion v;
  v.article_id = art.id;
  v.version = art.version;
  v.title = art.title;
  v.body = art.body;
  v.language = art.language;
  v.visibility = art.visibility;
  v.status = art.status;
  v.category_id = art.category_id;
  v.tags = art.tags;
  if (!a.is_system()) v.editor_id = a.id;
  v.created_at = now;
  return v;
}

bool same_content(const Article& x, const Article& y) {
  return x.title == y.title && x.body == y.body && x.language == y.language &&
         x.visibility == y.visibility && x.status == y.status && x.category_id == y.category_id &&
         x.tags == y.tags && x.translation_of == y.translation_of;
}

}  // namespace

bool agents_may_publish(Tx& tx) {
  auto text = tx.settings().get(kSettingKey);
  if (!text) return false;
  boost::system::error_code ec;
  auto v = json::parse(*text, ec);
  if (ec || !v.is_object()) return false;
  auto p = v.as_object().if_contains("agents_publish");
  return p && p->is_bool() && p->as_bool();
}

Result<Outcome<bool>> set_agents_may_publish(Tx& tx, const Actor& a, bool allowed, Instant) {
  if (!can_manage_settings(a))
    return make_error(ErrorCode::forbidden, "only admins change who publishes articles");
  tx.settings().put(kSettingKey, json::serialize(json::object{{"agents_publish", allowed}}));
  Effects fx(tx);
  return fx.done(allowed);
}

Result<Outcome<Article>> create_article(Tx& tx, const Actor& a, const ArticleInput& in,
                                        Instant now) {
  if (!can_write_articles(a)) return make_error(ErrorCode::forbidden, "only staff write articles");
  Article art;
  if (auto s = apply(tx, art, in, true); !s) return s.error();
  if (art.status == ArticleStatus::published) {
    if (!can_publish_articles(a, agents_may_publish(tx))) return may_not_publish();
    art.published_at = now;
  }
  if (!a.is_system()) art.author_id = art.updated_by = a.id;
  art.version = 1;
  art.created_at = art.updated_at = now;
  art.id = tx.articles().insert(art);
  tx.articles().add_version(version_of(art, a, now));
  Effects fx(tx);
  return fx.done(*tx.articles().find(art.id));
}

Result<Outcome<Article>> update_article(Tx& tx, const Actor& a, Id id, IfVersion if_version,
                                        const ArticleInput& in, Instant now) {
  if (!can_write_articles(a)) return make_error(ErrorCode::forbidden, "only staff write articles");
  auto found = tx.articles().find(id, store::Lock::for_update);
  if (!found) return no_such_article();
  if (if_version && *if_version != found->version)
    return make_error(ErrorCode::precondition_failed,
                      "the article changed since you read it (version " +
                          std::to_string(*if_version) + ", now " + std::to_string(found->version) +
                          ")");
  Article art = *found;
  if (auto s = apply(tx, art, in, false); !s) return s.error();
  Effects fx(tx);
  if (same_content(art, *found)) return fx.done(std::move(art));
  // Changing what readers see of a published article publishes it too.
  if (art.status == ArticleStatus::published && !can_publish_articles(a, agents_may_publish(tx)))
    return may_not_publish();
  if (art.status == ArticleStatus::published && found->status != ArticleStatus::published)
    art.published_at = now;
  if (art.status == ArticleStatus::draft) art.published_at.reset();
  ++art.version;
  if (!a.is_system()) art.updated_by = a.id;
  art.updated_at = now;
  tx.articles().update(art);
  tx.articles().add_version(version_of(art, a, now));
  return fx.done(*tx.articles().find(art.id));
}

Result<Outcome<Id>> delete_article(Tx& tx, const Actor& a, Id id) {
  auto art = tx.articles().find(id, store::Lock::for_update);
  if (!art || !can_read_article(a, *art)) return no_such_article();
  if (!can_delete_article(a, *art))
    return make_error(ErrorCode::forbidden,
                      "supervisors remove articles; an agent only a draft of their own");
  tx.articles().remove(id);
  Effects fx(tx);
  return fx.done(id);
}

Result<Article> get_article(Tx& tx, const Actor& a, Id id) {
  auto art = tx.articles().find(id);
  if (!art || !can_read_article(a, *art)) return no_such_article();
  return *art;
}

Result<store::Page<Article>> list_articles(Tx& tx, const Actor& a, store::ArticleQuery q) {
  if (!is_staff(a)) {
    if ((q.visibility && *q.visibility != ArticleVisibility::public_) ||
        (q.status && *q.status != ArticleStatus::published))
      return store::Page<Article>{};
    q.visibility = ArticleVisibility::public_;
    q.status = ArticleStatus::published;
  }
  return tx.articles().list(q);
}

Result<std::vector<ArticleVersion>> article_versions(Tx& tx, const Actor& a, Id id) {
  if (!is_staff(a)) return no_such_article();
  if (!tx.articles().find(id)) return no_such_article();
  return tx.articles().versions(id, 200);
}

std::optional<bool> vote_of(Tx& tx, const Actor& a, Id article_id) {
  if (a.is_system()) return std::nullopt;
  return tx.articles().vote_of(article_id, a.id);
}

Result<Outcome<Votes>> vote_on_article(Tx& tx, const Actor& a, Id id, bool helpful, Instant now) {
  if (a.is_system()) return make_error(ErrorCode::forbidden, "people vote, not the desk");
  auto art = get_article(tx, a, id);
  if (!art) return art.error();
  const auto before = tx.articles().vote(id, a.id, helpful, now);
  std::int64_t yes = helpful ? 1 : 0, no = helpful ? 0 : 1;
  if (before) (*before ? yes : no) -= 1;
  if (yes || no) tx.articles().add_to_counts(id, yes, no);
  Effects fx(tx);
  return fx.done(Votes{art->helpful_yes + yes, art->helpful_no + no, helpful});
}

Result<Outcome<Id>> record_deflection(Tx& tx, const Actor& a, Id article_id,
                                      const std::string& subject, Instant now) {
  auto art = get_article(tx, a, article_id);
  if (!art) return art.error();
  std::vector<FieldError> errors;
  check_text(errors, "subject", subject, kMaxSubject, TextKind::single_line, false);
  if (auto s = check_fields(std::move(errors)); !s) return s.error();
  const Id id = tx.articles().add_deflection(
      art->id, a.is_system() ? std::nullopt : std::optional<Id>(a.id), subject, now);
  Effects fx(tx);
  return fx.done(id);
}

Result<Outcome<TicketSolution>> link_solution(Tx& tx, const Actor& a, Id ticket_id, Id article_id,
                                              Instant now) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "staff give solutions");
  auto t = tx.tickets().find(ticket_id, ticket_scope(a), store::Lock::for_update);
  if (!t) return make_error(ErrorCode::not_found, "no such ticket");
  auto art = tx.articles().find(article_id);
  if (!art) return field_error("article_id", "no such article", "not_found");
  if (art->visibility != ArticleVisibility::public_ || art->status != ArticleStatus::published)
    return field_error("article_id",
                       "only a public, published article can be given to the requester",
                       "not_public");
  // In the requester's language, when the article has that translation.
  auto requester = tx.users().find(t->requester_id);
  if (requester && requester->language != art->language)
    if (auto other =
            tx.articles().translation(art->translation_of.value_or(art->id), requester->language))
      art = tx.articles().find(*other);
  Effects fx(tx);
  Event e = event_for(*t, a, EventKind::solution_linked, now);
  e.body = art->title + "\n\n" + art->body_text;
  e.new_value = std::to_string(art->id);
  TicketSolution s;
  s.ticket_id = t->id;
  s.article_id = art->id;
  s.article_title = art->title;
  s.language = art->language;
  if (!a.is_system()) s.linked_by = a.id;
  s.linked_by_name = a.name;
  s.linked_at = now;
  if (!tx.articles().add_solution(s))
    return make_error(ErrorCode::conflict, "the article is already this ticket's solution");
  s.event_id = fx.event(std::move(e));
  t->updated_at = now;
  tx.tickets().update(*t);
  mail_for_events(tx, fx, *t, a, fx.events(), now);
  return fx.done(std::move(s));
}

Result<std::vector<TicketSolution>> ticket_solutions(Tx& tx, const Actor& a, Id ticket_id) {
  auto t = get_ticket(tx, a, ticket_id);
  if (!t) return t.error();
  return tx.articles().solutions(ticket_id);
}

Result<Outcome<Article>> draft_article_from_ticket(Tx& tx, const Actor& a, Id ticket_id,
                                                   Instant now) {
  if (!can_write_articles(a)) return make_error(ErrorCode::forbidden, "only staff write articles");
  auto t = get_ticket(tx, a, ticket_id);
  if (!t) return t.error();
  if (t->status != TicketStatus::resolved && t->status != TicketStatus::closed)
    return make_error(ErrorCode::conflict, "only a resolved or closed ticket has a solution");
  // The solution: the last public reply by staff (or, failing that, the
  // last public reply).
  std::string solution;
  for (const auto& e : tx.events().list(t->id, store::Internal::exclude)) {
    if (e.kind != EventKind::reply || e.body.empty()) continue;
    const bool by_staff = e.actor_id && e.actor_id != t->requester_id;
    if (by_staff || solution.empty()) solution = e.body;
  }
  auto requester = tx.users().find(t->requester_id);
  const bool en = requester && requester->language == "en";
  ArticleInput in;
  in.title = t->subject;
  in.language = en ? "en" : "es-MX";
  in.visibility = ArticleVisibility::internal;
  in.status = ArticleStatus::draft;
  in.category_id = t->category_id;
  in.body = std::string(en ? "## Problem\n\n" : "## Problema\n\n") + t->description +
            (en ? "\n\n## Solution\n\n" : "\n\n## Solución\n\n") + solution + "\n";
  if (in.body->size() > kMaxArticleBody) {
    std::size_t cut = kMaxArticleBody;  // bytes, fewer than as many characters
    while (cut > 0 && (static_cast<unsigned char>((*in.body)[cut]) & 0xC0) == 0x80) --cut;
    in.body->resize(cut);
  }
  auto out = create_article(tx, a, in, now);
  if (!out) return out.error();
  Article art = out->value;
  art.source_ticket_id = t->id;
  tx.articles().update(art);
  Effects fx(tx);
  return fx.done(*tx.articles().find(art.id));
}

}  // namespace sd::desk
