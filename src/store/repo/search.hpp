// Full-text search over tickets and articles, on the index the triggers of
// migration 11 keep in step: SQLite FTS5 or PostgreSQL tsvector. Terms come
// from domain/search.hpp; each back end's syntax is built here from their
// letters and digits only, so no query can be a syntax error.
//
// Ranking: articles are ranked among all their matches; tickets among
// their kTicketWindow newest matches (in the caller's scope and filters),
// which keeps a word found in half a million tickets as fast as a rare one.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/article.hpp"
#include "domain/scope.hpp"
#include "domain/search.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

enum class TermMatch { all, any };
// Which parts of a ticket a search reads: requesters never match internal
// notes.
enum class TicketText { public_only, with_notes };

struct TicketSearch {
  explicit TicketSearch(TicketScope s) : scope(s) {}
  TicketScope scope;
  TicketText text = TicketText::public_only;
  std::vector<TicketType> types;
  std::vector<TicketStatus> statuses;
  std::optional<Id> category_id;
  std::optional<Instant> updated_from, updated_to;
};

struct ArticleSearch {
  bool published_public_only = true;  // what requesters may read
  std::optional<std::string> language;
  std::optional<Id> category_id;
  std::optional<ArticleVisibility> visibility;
  std::optional<ArticleStatus> status;
  std::optional<Instant> updated_from, updated_to;
};

struct SearchHit {
  Id id = 0;
  double score = 0;     // higher is better; comparable within one kind
  std::string snippet;  // marked with kMarkOpen/kMarkClose (domain/search.hpp)
};

constexpr int kTicketWindow = 2000;
// PostgreSQL ranks the newest this many matches: ts_rank reads each one's
// document, and reaching 2,000 of a requester's 166,000 tickets for a prefix
// walked 14,000 index rows (70-114 ms at a million, against 12 ms for 500).
constexpr std::int64_t kTicketWindowPostgres = 500;
// A window this full is kept: the next step or read would gather the
// words' matches again for the last few (a requester's 499 newest of a
// prefix were within 8,000 tickets, the 500th 50,000 further back: two
// more steps, 16 ms). It is still the newest matches of all.
constexpr std::int64_t kTicketWindowEnough = kTicketWindowPostgres * 4 / 5;
// PostgreSQL: the newest tickets looked at to tell whether a search matches
// so many that walking the newest rows fills the window sooner than the
// index's matches of an era (with filters, which the walk checks on each
// ticket it reads, at least kProbeDenseFiltered of them), and the most it
// then walks.
constexpr std::int64_t kProbeRows = 2000;
constexpr std::int64_t kProbeDenseFiltered = 40;
constexpr std::int64_t kWalkRowsMax = 60'000;
// PostgreSQL: the index holds each ticket's era, ticket_id / kEraTickets
// (migration 13 spells the number) and its scope (requester_id and
// organisation_id, migration 14), so a search with no filter but the
// scope reads the scope's matches of the newest eras alone; eras are read
// as a range, whose cost grows with the tickets it spans (25 ms for a
// million), so beyond 1/kEraSpanMax of the desk the index's matches are
// read without one.
constexpr std::int64_t kEraTickets = 4096;
constexpr std::int64_t kEraSpanMax = 4;
// PostgreSQL: how many of a prefix's matches GIN gathers in the time a
// walk of a small scope looks one ticket up (SearchRepo::pg_small_scope).
constexpr std::int64_t kGinGatherPerLookup = 100;
// How far past its estimate a walk may go before the index serves instead.
constexpr std::int64_t kWalkReach = 8;
// Up to this many matches, tickets are ranked by bm25; beyond, the newest
// kTicketWindow, subject matches first.
constexpr int kRankAll = 5000;
// SQLite: how many matches the index reads, keeping those of a set of ids,
// in the time it looks up one ticket by its id (SearchRepo::tickets), and
// in the time the queue checks one ticket of its walk (TicketRepo::list).
constexpr std::int64_t kWalkMatches = 200;
constexpr std::int64_t kCheckMatches = 200;
// SQLite: a small scope whose own tickets are looked up (SearchRepo::tickets)
// ranks its newest this many matches (as PostgreSQL does): 2,000 took 37 ms
// of look-ups for a requester with 2,000 tickets and a word in every one.
constexpr int kTicketWindowWalked = 500;
// Prefixes of up to this many letters have an index of their own (FTS5
// prefix = '3 4 5 6', migration 12; shorter words are no prefixes,
// kMinPrefixLetters); a longer one is the merge of every word it begins.
constexpr std::size_t kIndexedPrefix = 6;

class SearchRepo : Repo {
 public:
  explicit SearchRepo(Tx& tx) : Repo(tx) {}
  // The hits from `offset`, at most `limit`, best first.
  std::vector<SearchHit> tickets(const std::vector<SearchTerm>& terms, TermMatch match,
                                 const TicketSearch& f, int offset, int limit);
  std::vector<SearchHit> articles(const std::vector<SearchTerm>& terms, TermMatch match,
                                  const ArticleSearch& f, int offset, int limit);

  // The terms as the index will match them: on SQLite, a word longer than
  // kIndexedPrefix that the index holds as it is stops being a prefix
  // ("reporte" finds "reporte", not every word it begins, which would cost
  // the merge of all their matches).
  std::vector<SearchTerm> index_terms(const std::vector<SearchTerm>& terms, bool tickets);

  // Indexes again, from the tickets and their events and from the
  // articles, what a transaction changed (Tx::search_tickets and
  // search_articles); an id whose row is gone leaves the index. The store
  // calls it once, just before it commits: FTS5 writes its pending terms
  // out at every statement savepoint after a change, and a batch of writes
  // has hundreds (measured: 3.5 ms a ticket at 30,000 tickets, growing with
  // the index, against 0.1 ms once at the end).
  void reindex(const std::set<Id>& tickets, const std::set<Id>& articles);

  // How many tickets the scope holds, when at most kRankAll.
  std::optional<std::int64_t> few_in_scope(const TicketScope& scope);
  // SQLite: how many tickets `match` (FTS5) matches, counted up to `cap`.
  std::int64_t count_matches(const std::string& match, std::int64_t cap);
  // SQLite: the newest matches of a small scope (at most kRankAll tickets),
  // at most kTicketWindowWalked, from the scope's own tickets looked up in
  // the index newest first; false, and none, when the rest of the walk
  // would cost more than the index leading (`matches`: the words' matches
  // in the desk, counted as far as that decision needs).
  bool walk_scope(const std::string& match, const TicketSearch& f, std::int64_t matches,
                  std::vector<Id>& window);

 private:
  bool pg_small_scope(const std::string& q, const TicketSearch& f, std::int64_t anyones,
                      std::vector<std::int64_t>& ids);
  // PostgreSQL: the newest kTicketWindowPostgres matches in the scope,
  // from the eras of the newest `span` tickets first.
  std::vector<std::int64_t> pg_newest_matches(const std::string& q, const TicketScope& scope,
                                              std::int64_t span);
  // PostgreSQL's page of ticket hits, without snippets (q: its tsquery).
  std::vector<SearchHit> pg_tickets(const std::string& q, const TicketSearch& f, int offset,
                                    int limit);
};

inline SearchRepo Tx::search() { return SearchRepo(*this); }

// Whether a term is a prefix with no index of its own (longer than
// kIndexedPrefix): finding its matches costs as many as there are.
bool costly_prefix(const std::vector<SearchTerm>& terms);

// The back ends' syntax for the terms (used by TicketRepo::list as well).
// FTS5: each term a quoted string (a prefix gets *), joined by AND or OR;
// public_only restricts it to the columns requesters may match.
std::string fts5_match(const std::vector<SearchTerm>& terms, TermMatch match, TicketText text,
                       bool tickets);
// to_tsquery text: each term's words quoted and joined by <->, :* for a
// prefix, weights A-C only for public_only.
std::string pg_tsquery(const std::vector<SearchTerm>& terms, TermMatch match, TicketText text);

}  // namespace sd::store
