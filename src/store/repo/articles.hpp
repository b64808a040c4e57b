// Knowledge-base articles: the articles with their versions, helpful votes,
// deflections (a requester an article helped) and the articles given as
// tickets' solutions. The search index follows the articles by triggers
// (migration 11).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/article.hpp"
#include "store/repo/page.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

struct ArticleQuery {
  std::optional<std::string> language;
  std::optional<ArticleVisibility> visibility;
  std::optional<ArticleStatus> status;
  std::optional<Id> category_id;
  std::optional<std::string> tag;
  std::optional<Cursor> after;  // by updated_at, id, newest first
  int limit = 50;
};

class ArticleRepo : Repo {
 public:
  explicit ArticleRepo(Tx& tx) : Repo(tx) {}
  Id insert(const Article& a);
  // Stores every field (the version as given).
  void update(const Article& a);
  std::optional<Article> find(Id id, Lock lock = Lock::none);
  std::vector<Article> find_many(const std::vector<Id>& ids);
  Page<Article> list(const ArticleQuery& q);
  void remove(Id id);
  // The article of `group` (an article or its translation_of) in
  // `language`, public and published.
  std::optional<Id> translation(Id group, const std::string& language);

  void add_version(const ArticleVersion& v);
  std::vector<ArticleVersion> versions(Id article_id, int limit);

  // Sets the user's vote; returns the vote it replaced, if any.
  std::optional<bool> vote(Id article_id, Id user_id, bool helpful, Instant now);
  std::optional<bool> vote_of(Id article_id, Id user_id);
  void add_to_counts(Id article_id, std::int64_t yes, std::int64_t no);

  Id add_deflection(std::optional<Id> article_id, std::optional<Id> user_id,
                    const std::string& subject, Instant now);

  // False when the article is already the ticket's solution.
  bool add_solution(const TicketSolution& s);
  std::vector<TicketSolution> solutions(Id ticket_id);
};

inline ArticleRepo Tx::articles() { return ArticleRepo(*this); }

}  // namespace sd::store
