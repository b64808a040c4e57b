#include "desk/search.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "desk/ticket_queries.hpp"
#include "domain/permissions.hpp"
#include "domain/scope.hpp"
#include "domain/search.hpp"
#include "store/repo/articles.hpp"
#include "store/repo/search.hpp"
#include "store/repo/tickets.hpp"
#include "store/repo/users.hpp"

namespace sd::desk {
namespace {

using store::Tx;

// The first characters of a text, escaped, as a snippet without marks.
std::string plain_snippet(const std::string& text, std::size_t max = 160) {
  std::string cut;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80 && ++chars > max) {
      cut += "…";
      break;
    }
    cut += text[i];
  }
  return snippet_html(cut);
}

SearchItem ticket_item(const Ticket& t) {
  SearchItem it;
  it.kind = SearchKind::ticket;
  it.id = t.id;
  it.title = t.subject;
  it.updated_at = t.updated_at;
  it.status = t.status;
  it.type = t.type;
  return it;
}

SearchItem article_item(const Article& art) {
  SearchItem it;
  it.kind = SearchKind::article;
  it.id = art.id;
  it.title = art.title;
  it.updated_at = art.updated_at;
  it.language = art.language;
  it.visibility = art.visibility;
  it.article_status = art.status;
  return it;
}

store::TicketSearch ticket_filter(const Actor& a, const SearchRequest& r) {
  store::TicketSearch f(ticket_scope(a));
  f.text = can_see_internal(a) ? store::TicketText::with_notes : store::TicketText::public_only;
  f.types = r.types;
  f.statuses = r.statuses;
  f.category_id = r.category_id;
  f.updated_from = r.updated_from;
  f.updated_to = r.updated_to;
  return f;
}

store::ArticleSearch article_filter(const Actor& a, const SearchRequest& r) {
  store::ArticleSearch f;
  f.published_public_only = !is_staff(a);
  f.visibility = r.article_visibility;
  f.status = r.article_status;
  f.language = r.language;
  f.category_id = r.category_id;
  f.updated_from = r.updated_from;
  f.updated_to = r.updated_to;
  return f;
}

// Hits as items, in their order; a hit the actor may no longer read (it
// changed since it was indexed in this same transaction: never) is left out.
std::vector<SearchItem> ticket_items(Tx& tx, const Actor& a,
                                     const std::vector<store::SearchHit>& hits) {
  std::vector<Id> ids;
  for (const auto& h : hits) ids.push_back(h.id);
  std::map<Id, Ticket> found;
  for (auto& t : tx.tickets().find_many(ids, ticket_scope(a))) found.emplace(t.id, std::move(t));
  std::vector<SearchItem> out;
  for (const auto& h : hits) {
    auto t = found.find(h.id);
    if (t == found.end()) continue;
    SearchItem it = ticket_item(t->second);
    it.score = h.score;
    it.snippet = h.snippet.empty() ? plain_snippet(t->second.description) : snippet_html(h.snippet);
    out.push_back(std::move(it));
  }
  return out;
}

std::vector<SearchItem> article_items(Tx& tx, const Actor& a,
                                      const std::vector<store::SearchHit>& hits) {
  std::vector<Id> ids;
  for (const auto& h : hits) ids.push_back(h.id);
  auto found = tx.articles().find_many(ids);
  std::vector<SearchItem> out;
  for (const auto& h : hits) {
    auto art =
        std::find_if(found.begin(), found.end(), [&](const Article& x) { return x.id == h.id; });
    if (art == found.end() || !can_read_article(a, *art)) continue;
    SearchItem it = article_item(*art);
    it.score = h.score;
    it.snippet = h.snippet.empty() ? plain_snippet(art->body_text) : snippet_html(h.snippet);
    out.push_back(std::move(it));
  }
  return out;
}

// What the query names: the ticket with its number, then the newest
// tickets of the requester with its email address (staff only: a requester
// has nobody else's).
std::vector<SearchItem> direct_hits(Tx& tx, const Actor& a, const SearchQuery& q,
                                    const SearchRequest& r) {
  std::vector<SearchItem> out;
  if (r.kind == SearchKind::article) return out;
  if (q.ticket_number)
    if (auto t = tx.tickets().find(*q.ticket_number, ticket_scope(a))) {
      SearchItem it = ticket_item(*t);
      it.snippet = plain_snippet(t->description);
      out.push_back(std::move(it));
    }
  if (q.email && is_staff(a))
    if (auto u = tx.users().find_by_email(*q.email)) {
      store::TicketQuery tq(ticket_scope(a));
      tq.requester_id = u->id;
      tq.limit = std::min(r.limit, 10);
      for (const auto& t : tx.tickets().list(tq).items) {
        if (std::any_of(out.begin(), out.end(), [&](const SearchItem& x) { return x.id == t.id; }))
          continue;
        SearchItem it = ticket_item(t);
        it.snippet = plain_snippet(t.description);
        out.push_back(std::move(it));
      }
    }
  return out;
}

}  // namespace

Result<SearchResults> search(Tx& tx, const Actor& a, const SearchRequest& r) {
  auto q = parse_search(r.q);
  if (!q) return q.error();
  const bool ticket_only_filters = !r.types.empty() || !r.statuses.empty();
  const bool tickets = r.kind != SearchKind::article && !(r.language && !r.kind);
  const bool articles = r.kind != SearchKind::ticket && !(ticket_only_filters && !r.kind);
  SearchResults out;
  // Direct hits lead the first page only.
  std::vector<SearchItem> direct;
  if (r.ticket_offset == 0 && r.article_offset == 0 && tickets) direct = direct_hits(tx, a, *q, r);
  std::set<Id> direct_ids;
  for (const auto& d : direct) direct_ids.insert(d.id);
  const int want = r.limit + 1;
  std::vector<SearchItem> ranked_tickets, ranked_articles;
  if (tickets && !q->terms.empty())
    ranked_tickets = ticket_items(
        tx, a,
        tx.search().tickets(q->terms, store::TermMatch::all, ticket_filter(a, r), r.ticket_offset,
                            want + static_cast<int>(direct_ids.size())));
  if (articles && !q->terms.empty())
    ranked_articles =
        article_items(tx, a,
                      tx.search().articles(q->terms, store::TermMatch::all, article_filter(a, r),
                                           r.article_offset, want));
  // Skipped, not counted twice: a direct hit the ranking found as well.
  int skipped = 0;
  std::erase_if(ranked_tickets, [&](const SearchItem& x) {
    const bool dup = direct_ids.count(x.id) > 0;
    skipped += dup ? 1 : 0;
    return dup;
  });
  for (auto& d : direct)
    if (static_cast<int>(out.items.size()) < r.limit) out.items.push_back(std::move(d));
  std::size_t ti = 0, ai = 0;
  while (static_cast<int>(out.items.size()) < r.limit &&
         (ti < ranked_tickets.size() || ai < ranked_articles.size())) {
    const bool take_ticket =
        ai >= ranked_articles.size() ||
        (ti < ranked_tickets.size() && ranked_tickets[ti].score >= ranked_articles[ai].score);
    out.items.push_back(take_ticket ? std::move(ranked_tickets[ti++])
                                    : std::move(ranked_articles[ai++]));
  }
  out.more = ti < ranked_tickets.size() || ai < ranked_articles.size();
  out.next_ticket_offset = r.ticket_offset + static_cast<int>(ti) + skipped;
  out.next_article_offset = r.article_offset + static_cast<int>(ai);
  return out;
}

Result<std::vector<SearchItem>> suggest_articles(Tx& tx, const Actor& a, const std::string& text,
                                                 const std::optional<std::string>& lang,
                                                 int limit) {
  const auto terms = significant_terms(text);
  std::vector<SearchItem> out;
  if (terms.empty()) return out;
  store::ArticleSearch f;
  f.published_public_only = !is_staff(a);
  // The reader's language (given, or their own) first, then the others.
  std::optional<std::string> language = lang;
  if (!language && !a.is_system())
    if (auto u = tx.users().find(a.id)) language = u->language;
  std::set<Id> seen;
  for (int pass = 0; pass < 2 && static_cast<int>(out.size()) < limit; ++pass) {
    if (language) f.language = pass == 0 ? language : std::nullopt;
    if (!language && pass == 1) break;
    for (auto& it :
         article_items(tx, a, tx.search().articles(terms, store::TermMatch::any, f, 0, limit))) {
      if (static_cast<int>(out.size()) >= limit) break;
      if (seen.insert(it.id).second) out.push_back(std::move(it));
    }
  }
  return out;
}

Result<std::vector<SearchItem>> articles_for_ticket(Tx& tx, const Actor& a, Id ticket_id,
                                                    int limit) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "suggestions are for staff");
  auto t = get_ticket(tx, a, ticket_id);
  if (!t) return t.error();
  // The subject says the most; the description adds what it leaves out.
  auto terms = significant_terms(t->subject, 8);
  for (auto& extra : significant_terms(t->description, 8))
    if (terms.size() < 12 && std::find(terms.begin(), terms.end(), extra) == terms.end())
      terms.push_back(std::move(extra));
  std::vector<SearchItem> out;
  if (terms.empty()) return out;
  store::ArticleSearch f;
  f.published_public_only = false;
  return article_items(tx, a, tx.search().articles(terms, store::TermMatch::any, f, 0, limit));
}

}  // namespace sd::desk
