// Knowledge-base articles (the first support level's immediate solutions):
// the records, and who may read, write, publish and remove them. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/actor.hpp"
#include "domain/enums.hpp"
#include "domain/model.hpp"

namespace sd {

struct Article {
  Id id = 0;
  std::string title;
  std::string body;       // Markdown, as written
  std::string body_text;  // its plain text (domain/markdown.hpp), for search and mail
  std::string language = "es-MX";
  ArticleVisibility visibility = ArticleVisibility::internal;
  ArticleStatus status = ArticleStatus::draft;
  std::optional<Id> category_id;
  std::vector<std::string> tags;
  // The article this one translates (the first of its group); articles of a
  // group say the same thing in different languages.
  std::optional<Id> translation_of;
  std::optional<Id> source_ticket_id;  // the ticket it was drafted from
  std::int64_t version = 1;
  std::optional<Id> author_id, updated_by;
  std::int64_t helpful_yes = 0, helpful_no = 0;
  Instant created_at{}, updated_at{};
  std::optional<Instant> published_at;
  // For display, filled by reads.
  std::string author_name, updated_by_name, category_name;
};

// One saved state of an article, kept for its history.
struct ArticleVersion {
  Id article_id = 0;
  std::int64_t version = 0;
  std::string title, body, language;
  ArticleVisibility visibility = ArticleVisibility::internal;
  ArticleStatus status = ArticleStatus::draft;
  std::optional<Id> category_id;
  std::vector<std::string> tags;
  std::optional<Id> editor_id;
  std::string editor_name;
  Instant created_at{};
};

// An article given as a ticket's solution.
struct TicketSolution {
  Id ticket_id = 0;
  Id article_id = 0;
  std::string article_title, language;
  std::optional<Id> linked_by;
  std::string linked_by_name;
  std::optional<Id> event_id;
  Instant linked_at{};
};

// Requesters read public, published articles; staff read all.
bool can_read_article(const Actor& a, const Article& article);
// Staff write articles (drafts, and edits of any article).
bool can_write_articles(const Actor& a);
// Supervisors and admins publish; agents too when the desk allows it
// (setting kb_agents_publish).
bool can_publish_articles(const Actor& a, bool agents_may_publish);
// Supervisors and admins remove any article; an agent only a draft of
// their own.
bool can_delete_article(const Actor& a, const Article& article);

bool valid_article_language(std::string_view language);

constexpr std::size_t kMaxArticleTitle = 200;
constexpr std::size_t kMaxArticleBody = 200'000;
constexpr std::size_t kMaxArticleTags = 20;
constexpr std::size_t kMaxArticleTag = 40;

}  // namespace sd
