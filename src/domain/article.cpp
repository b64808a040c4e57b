#include "domain/article.hpp"

#include "domain/permissions.hpp"

namespace sd {

bool can_read_article(const Actor& a, const Article& article) {
  if (is_staff(a)) return true;
  return article.visibility == ArticleVisibility::public_ &&
         article.status == ArticleStatus::published;
}

bool can_write_articles(const Actor& a) { return is_staff(a); }

bool can_publish_articles(const Actor& a, bool agents_may_publish) {
  if (a.is_system() || at_least(a.role, Role::supervisor)) return true;
  return agents_may_publish && a.role == Role::agent;
}

bool can_delete_article(const Actor& a, const Article& article) {
  if (a.is_system() || at_least(a.role, Role::supervisor)) return true;
  return a.role == Role::agent && article.status == ArticleStatus::draft &&
         article.author_id == a.id;
}

bool valid_article_language(std::string_view language) {
  return language == "es-MX" || language == "en";
}

}  // namespace sd
