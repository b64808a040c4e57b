// One search over tickets and knowledge-base articles, as the actor may see
// them: a requester only their tickets (or their organisation's, when it
// shares them) without internal notes, and public, published articles;
// staff everything. What the query names directly (a ticket number, a
// requester's email address) comes first, then the index's ranked matches.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/actor.hpp"
#include "domain/article.hpp"
#include "domain/error.hpp"
#include "domain/model.hpp"
#include "store/tx.hpp"

namespace sd::desk {

enum class SearchKind { ticket, article };

struct SearchRequest {
  std::string q;
  std::optional<SearchKind> kind;  // none: both
  int limit = 20;
  // Where the page starts in each kind's ranking (from the previous page's
  // next cursor).
  int ticket_offset = 0, article_offset = 0;
  std::vector<TicketType> types;
  std::vector<TicketStatus> statuses;
  std::optional<Id> category_id;
  std::optional<std::string> language;
  std::optional<Instant> updated_from, updated_to;
  // Articles (staff; requesters find only public, published ones).
  std::optional<ArticleVisibility> article_visibility;
  std::optional<ArticleStatus> article_status;
};

struct SearchItem {
  SearchKind kind = SearchKind::ticket;
  Id id = 0;
  std::string title;
  std::string snippet;  // safe HTML: escaped text, matches in <mark>
  double score = 0;
  Instant updated_at{};
  // Tickets.
  TicketStatus status = TicketStatus::new_;
  TicketType type = TicketType::incident;
  // Articles.
  std::string language;
  ArticleVisibility visibility = ArticleVisibility::public_;
  ArticleStatus article_status = ArticleStatus::published;
};

struct SearchResults {
  std::vector<SearchItem> items;
  bool more = false;
  int next_ticket_offset = 0, next_article_offset = 0;
};

Result<SearchResults> search(store::Tx& tx, const Actor& a, const SearchRequest& r);

// Articles for free text, any of its significant words (a subject being
// typed): for requesters public and published ones; in `language` (by
// default the actor's own) first.
Result<std::vector<SearchItem>> suggest_articles(store::Tx& tx, const Actor& a,
                                                 const std::string& text,
                                                 const std::optional<std::string>& language,
                                                 int limit);
// Articles for a ticket's subject and description (staff).
Result<std::vector<SearchItem>> articles_for_ticket(store::Tx& tx, const Actor& a, Id ticket_id,
                                                    int limit);

}  // namespace sd::desk
