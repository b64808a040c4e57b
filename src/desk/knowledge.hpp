// The knowledge base, one function per use case: writing, publishing and
// removing articles (each save a version), reading them as the actor may,
// helpful votes, deflections (an article that spared a ticket), articles
// given as a ticket's solution, and drafting an article from a solved
// ticket. Rules from domain/article.hpp; the store through the caller's
// transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "desk/outcome.hpp"
#include "desk/tickets.hpp"
#include "domain/actor.hpp"
#include "domain/article.hpp"
#include "domain/error.hpp"
#include "store/repo/articles.hpp"
#include "store/tx.hpp"

namespace sd::desk {

// The fields an author gives; unset ones keep their value on an update.
struct ArticleInput {
  std::optional<std::string> title, body, language;
  std::optional<ArticleVisibility> visibility;
  std::optional<ArticleStatus> status;
  std::optional<std::optional<Id>> category_id;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::optional<Id>> translation_of;
};

Result<Outcome<Article>> create_article(store::Tx& tx, const Actor& a, const ArticleInput& in,
                                        Instant now);
// A change writes the next version; nothing changed, nothing written.
Result<Outcome<Article>> update_article(store::Tx& tx, const Actor& a, Id id, IfVersion if_version,
                                        const ArticleInput& in, Instant now);
Result<Outcome<Id>> delete_article(store::Tx& tx, const Actor& a, Id id);

// The article, if the actor may read it (not_found otherwise).
Result<Article> get_article(store::Tx& tx, const Actor& a, Id id);
// Requesters list public, published articles only, whatever they ask.
Result<store::Page<Article>> list_articles(store::Tx& tx, const Actor& a, store::ArticleQuery q);
// Newest first (staff).
Result<std::vector<ArticleVersion>> article_versions(store::Tx& tx, const Actor& a, Id id);

struct Votes {
  std::int64_t yes = 0, no = 0;
  std::optional<bool> mine;
};
Result<Outcome<Votes>> vote_on_article(store::Tx& tx, const Actor& a, Id id, bool helpful,
                                       Instant now);
// The actor's vote on the article, if any.
std::optional<bool> vote_of(store::Tx& tx, const Actor& a, Id article_id);

// A requester says the article solved what they were about to ask.
Result<Outcome<Id>> record_deflection(store::Tx& tx, const Actor& a, Id article_id,
                                      const std::string& subject, Instant now);

// Gives a public, published article as the ticket's solution: the
// requester's language version of it when there is one. Writes a public
// solution_linked event (mailed to the requester in their language).
Result<Outcome<TicketSolution>> link_solution(store::Tx& tx, const Actor& a, Id ticket_id,
                                              Id article_id, Instant now);
Result<std::vector<TicketSolution>> ticket_solutions(store::Tx& tx, const Actor& a, Id ticket_id);

// An internal draft from a resolved or closed ticket: its subject, the
// problem (its description) and the solution (the last public reply by
// staff), in the requester's language.
Result<Outcome<Article>> draft_article_from_ticket(store::Tx& tx, const Actor& a, Id ticket_id,
                                                   Instant now);

// Whether agents may publish (setting "knowledge_base", agents_publish).
bool agents_may_publish(store::Tx& tx);
Result<Outcome<bool>> set_agents_may_publish(store::Tx& tx, const Actor& a, bool allowed,
                                             Instant now);

}  // namespace sd::desk
