#include "store/repo/search.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "domain/text.hpp"
#include "store/repo/sql.hpp"
#include "store/repo/tickets.hpp"

namespace sd::store {
namespace {

using namespace sql;

// Weights of the columns (FTS5 bm25 takes one per column, in order):
// a word in the subject or title says more than one in a reply.
// Scores come back as integers, millionths, higher better (a Row has no
// floating-point reader, and text would depend on the locale).
constexpr const char* kTicketBm25 =
    "CAST(-1000000 * bm25(ticket_search, 10.0, 4.0, 2.0, 1.0) AS INTEGER)";
constexpr const char* kArticleBm25 =
    "CAST(-1000000 * bm25(article_search, 10.0, 1.0, 5.0) AS INTEGER)";

// Words hold letters, digits and marks only (domain/search.hpp); quotes
// and backslashes cannot occur, but are dropped all the same.
std::string clean(const std::string& words) {
  std::string out;
  for (char c : words)
    if (c != '"' && c != '\'' && c != '\\') out += c;
  return out;
}

// Conditions on tickets (alias t) for the filters beyond the scope.
void ticket_only_filters(const TicketSearch& f, Binder& b, Where& w) {
  std::vector<std::string> names;
  for (auto v : f.types) names.emplace_back(to_string(v));
  if (!names.empty()) w.add(b.any_of("t.type", names));
  names.clear();
  for (auto v : f.statuses) names.emplace_back(to_string(v));
  if (!names.empty()) w.add(b.any_of("t.status", names));
  if (f.category_id) w.add("t.category_id = " + b.next(*f.category_id));
  if (f.updated_from) w.add("t.updated_at >= " + b.next(at(*f.updated_from)));
  if (f.updated_to) w.add("t.updated_at <= " + b.next(at(*f.updated_to)));
}

// Conditions on tickets (alias t) for the filters and the scope.
void ticket_filters(const TicketSearch& f, Binder& b, Where& w) {
  if (auto s = ticket_scope_sql(f.scope, b, "t."); !s.empty()) w.add(s);
  ticket_only_filters(f, b, w);
}

// Whether ticket_filters has anything to add beyond the scope.
bool has_ticket_filters(const TicketSearch& f) {
  return !f.types.empty() || !f.statuses.empty() || f.category_id || f.updated_from || f.updated_to;
}

// Whether ticket_filters has anything to add (the tickets must be joined).
bool has_filters(const TicketSearch& f) {
  return f.scope.kind != TicketScope::Kind::everything || has_ticket_filters(f);
}

// SQLite: whether the index's row is the scope's, from the scope's own
// index of (requester_id, id) or (organisation_id, id): joining the tickets
// read each match's row (0.7 us a match at a million, 21-27 ms to count
// 5,000 of a requester's matches of a prefix, against 9 ms).
std::string scope_exists(const TicketScope& s, Binder& b) {
  auto in = [&](const char* index, const char* column, Id value) {
    return std::string("EXISTS (SELECT 1 FROM tickets i INDEXED BY ") + index + " WHERE i." +
           column + " = " + b.next(value) + " AND i.id = ticket_search.rowid)";
  };
  switch (s.kind) {
    case TicketScope::Kind::everything:
      return {};
    case TicketScope::Kind::own:
      return in("tickets_requester", "requester_id", s.requester_id);
    case TicketScope::Kind::own_and_organisation:
      return "(" + in("tickets_requester", "requester_id", s.requester_id) + " OR " +
             in("tickets_org", "organisation_id", s.organisation_id.value_or(0)) + ")";
  }
  return "1 = 0";
}

void article_filters(const ArticleSearch& f, Binder& b, Where& w) {
  if (f.published_public_only) w.add("a.visibility = 'public' AND a.status = 'published'");
  if (f.visibility) w.add("a.visibility = " + b.next(name(*f.visibility)));
  if (f.status) w.add("a.status = " + b.next(name(*f.status)));
  if (f.language) w.add("a.language = " + b.next(*f.language));
  if (f.category_id) w.add("a.category_id = " + b.next(*f.category_id));
  if (f.updated_from) w.add("a.updated_at >= " + b.next(at(*f.updated_from)));
  if (f.updated_to) w.add("a.updated_at <= " + b.next(at(*f.updated_to)));
}

// A prefix longer than the index has prefixes for (kIndexedPrefix).
bool long_prefix(const SearchTerm& t) {
  if (!t.prefix) return false;
  const auto sp = t.words.rfind(' ');
  const std::string_view last = sp == std::string::npos ? std::string_view(t.words)
                                                        : std::string_view(t.words).substr(sp + 1);
  return utf8_length(last) > kIndexedPrefix;
}

// PostgreSQL: the index's row (alias s) holds the words of `q`, a
// to_tsquery text.
std::string pg_words(const std::string& q, Binder& b) {
  return "s.doc @@ to_tsquery('sd_search', " + b.next(q) + ")";
}

// PostgreSQL's ts_headline drops what looks like markup: its text goes in
// with < > & as stand-ins (domain/search.hpp), which snippet_html turns back.
std::string headline_text(const std::string& expr) {
  return "translate(" + expr + ", '<>&', U&'\\E000\\E001\\E002')";
}

}  // namespace

std::string fts5_match(const std::vector<SearchTerm>& terms, TermMatch match, TicketText text,
                       bool tickets) {
  std::string expr;
  for (const auto& t : terms) {
    const std::string words = clean(t.words);
    if (words.empty()) continue;
    if (!expr.empty()) expr += match == TermMatch::all ? " AND " : " OR ";
    expr += "\"" + words + "\"";
    if (t.prefix) expr += "*";
  }
  if (expr.empty()) return expr;
  if (tickets && text == TicketText::public_only) return "{subject body replies} : (" + expr + ")";
  return expr;
}

std::string pg_tsquery(const std::vector<SearchTerm>& terms, TermMatch match, TicketText text) {
  // Each term as typed, quoted: PostgreSQL's parser splits it into lexemes
  // (a phrase, when several) as it split the tickets' text.
  const char* weights = text == TicketText::public_only ? "ABC" : "";
  std::string q;
  for (const auto& t : terms) {
    const std::string typed = clean(t.text.empty() ? t.words : t.text);
    if (typed.find_first_not_of(' ') == std::string::npos) continue;
    if (!q.empty()) q += match == TermMatch::all ? " & " : " | ";
    q += "'" + typed + "'";
    if (t.prefix || *weights) q += ":";
    if (t.prefix) q += "*";
    q += weights;
  }
  return q;
}

std::optional<std::int64_t> SearchRepo::few_in_scope(const TicketScope& scope) {
  Binder b(dialect());
  Where w;
  if (auto s = ticket_scope_sql(scope, b); !s.empty()) w.add(s);
  std::int64_t n = 0;
  conn().query("SELECT COUNT(*) FROM (SELECT 1 FROM tickets" + w.text + " LIMIT " +
                   std::to_string(kRankAll + 1) + ") x",
               b.params, [&](const Row& r) { n = r.i64(0); });
  if (n > kRankAll) return std::nullopt;
  return n;
}

std::int64_t SearchRepo::count_matches(const std::string& match, std::int64_t cap) {
  std::int64_t m = 0;
  conn().query(
      "SELECT COUNT(*) FROM (SELECT 1 FROM ticket_search WHERE ticket_search MATCH $1 LIMIT $2) x",
      {match, cap}, [&](const Row& r) { m = r.i64(0); });
  return m;
}

// PostgreSQL: the newest matches of a scope of at most kRankAll tickets,
// from its own tickets walked newest first, each looked up in the index
// (5 us each), when the words are in so many tickets (`anyones` of the
// newest kProbeRows, whoever's) that the index would cost more: GIN
// gathers every match of a prefix before it intersects them with the
// scope's keys, kGinGatherPerLookup of them in the time of a look-up
// (40-70 ms for a word in every ticket, against 8 ms walking a requester's
// 2,000). Returns false, and none, otherwise.
bool SearchRepo::pg_small_scope(const std::string& q, const TicketSearch& f, std::int64_t anyones,
                                std::vector<std::int64_t>& ids) {
  if (f.scope.kind == TicketScope::Kind::everything || anyones == 0) return false;
  const auto few = few_in_scope(f.scope);
  if (!few || anyones * m_tx.tickets().last_id() <= *few * kProbeRows * kGinGatherPerLookup)
    return false;
  Binder b(dialect());
  Where w;
  ticket_filters(f, b, w);
  const std::string scope = "SELECT t.id FROM tickets t" + w.text + " ORDER BY t.id DESC";
  conn().query_planned("SELECT x.id FROM (" + scope +
                           ") x WHERE EXISTS (SELECT 1 FROM ticket_search s WHERE s.ticket_id = "
                           "x.id AND " +
                           pg_words(q, b) + " OFFSET 0) ORDER BY x.id DESC LIMIT " +
                           std::to_string(kTicketWindowPostgres),
                       b.params, [&](const Row& r) { ids.push_back(r.i64(0)); });
  return true;
}

// The newest kTicketWindowPostgres matches in the scope of the eras the
// newest `span` tickets reach; when fewer than kTicketWindowEnough, of as
// many more as would fill the window twice at the density of the eras the
// step added (four or eight times as many when they had none),
// until the span passes 1/kEraSpanMax of the desk: then of every era, with
// no range to read. The index holds each row's era and scope (migrations
// 13 and 14), so only the scope's matches of those eras are read. Each
// step reads its eras whole, so the window is the newest matches of all
// (the steps grow at least twice, so the eras read again cost less than
// the last step).
std::vector<std::int64_t> SearchRepo::pg_newest_matches(const std::string& q,
                                                        const TicketScope& scope,
                                                        std::int64_t span) {
  const Id desk = m_tx.tickets().last_id();
  std::vector<std::int64_t> ids;
  std::int64_t found_before = 0, span_before = 0;  // the last step's
  for (;;) {
    const bool every_era = span > desk / kEraSpanMax;
    Binder b(dialect());
    Where w;
    w.add(pg_words(q, b));
    if (!every_era)
      w.add("s.ticket_id / " + std::to_string(kEraTickets) +
            " >= " + b.next(std::int64_t{(desk - span) / kEraTickets}));
    if (auto k = ticket_scope_sql(scope, b, "s."); !k.empty()) w.add(k);
    // OFFSET 0: the eras' matches from the index, not the newest rows
    // walked in the hope of them (see pg_tickets).
    ids.clear();
    conn().query_planned("SELECT x.ticket_id FROM (SELECT s.ticket_id FROM ticket_search s" +
                             w.text + " OFFSET 0) x ORDER BY x.ticket_id DESC LIMIT " +
                             std::to_string(kTicketWindowPostgres),
                         b.params, [&](const Row& r) { ids.push_back(r.i64(0)); });
    if (every_era || ids.size() >= static_cast<std::size_t>(kTicketWindowEnough)) return ids;
    // The density of the eras this step added: matches come in runs (a
    // requester's 499 newest of a prefix were within 500 tickets, and the
    // next were 50,000 further back), so the density of all the span read
    // would grow it by twice at a time, a step each.
    const auto found = static_cast<std::int64_t>(ids.size());
    const std::int64_t added = found - found_before, reached = span;
    // None at all: eight times as far (a rare word reaches every era in
    // three steps); none new: four (every match of a step read is a cost:
    // eight times read 6,000 for a prefix whose window was in 3,500).
    span = found == 0   ? 8 * span
           : added == 0 ? 4 * span
                        : std::max(2 * span, span + 2 * (kTicketWindowPostgres - found) *
                                                        (span - span_before) / added);
    found_before = found;
    span_before = reached;
  }
}

// PostgreSQL: the newest kTicketWindowPostgres matches (with the filters
// and the scope), then ranked by ts_rank, which reads each document, on
// those alone (it ran on every match before the window was cut: 23 ms for a
// word in 62,000 tickets). The planner misjudges how many tickets a phrase matches
// (2,300 where 66,000 do, at a million): it fetches every candidate of the
// GIN index and checks each phrase (75 ms), where walking the newest tickets
// fills the window at once (9 ms). So the newest tickets are looked at
// first: when the words are in enough of them, the window is taken by
// walking as many more as it would take to fill it twice over, if that is
// at most kWalkRowsMax (and from the index if the walk falls short: the
// window is always the newest matches of all). Otherwise from a small
// scope's own tickets (pg_small_scope); with no filter but a larger scope,
// which the index holds (migration 14), from the index's matches of the
// newest eras (pg_newest_matches); with filters, from the index's
// candidates, each joined to its ticket.
std::vector<SearchHit> SearchRepo::pg_tickets(const std::string& q, const TicketSearch& f,
                                              int offset, int limit) {
  // The filters beyond the scope need the tickets (t) joined to the
  // index's rows (s): every indexed row has its ticket (a foreign key).
  const bool filtered = has_ticket_filters(f);
  auto matches = [&](Binder& b, Where& w) {
    w.add(pg_words(q, b));
    if (auto k = ticket_scope_sql(f.scope, b, "s."); !k.empty()) w.add(k);
  };
  // The newest `n` index rows, or all of them (n == 0).
  const bool scoped = f.scope.kind != TicketScope::Kind::everything;
  auto rows = [&](std::int64_t n, bool join) {
    std::string from = n > 0 ? std::string("(SELECT ticket_id, doc") +
                                   (scoped ? ", requester_id, organisation_id" : "") +
                                   " FROM ticket_search ORDER BY ticket_id DESC LIMIT " +
                                   std::to_string(n) + ") s"
                             : std::string("ticket_search s");
    if (join) from += " JOIN tickets t ON t.id = s.ticket_id";
    return from;
  };
  // The newest kTicketWindowPostgres matches among the newest `newest`
  // rows, or (newest == 0) from the index's candidates: with filters the
  // planner chooses among the tickets' indexes for them.
  auto window_ids = [&](std::int64_t newest) {
    Binder b(dialect());
    Where w;
    matches(b, w);
    if (filtered) ticket_only_filters(f, b, w);
    std::vector<std::int64_t> ids;
    conn().query_planned("SELECT s.ticket_id FROM " + rows(newest, filtered) + w.text +
                             " ORDER BY s.ticket_id DESC LIMIT " +
                             std::to_string(kTicketWindowPostgres),
                         b.params, [&](const Row& r) { ids.push_back(r.i64(0)); });
    return ids;
  };
  // Matches among the newest kProbeRows index rows: with the scope and the
  // filters (dense), and whoever's (anyones), in one read of them. Each
  // match's ticket is checked by its id (OFFSET 0 keeps the check a
  // look-up: joined, the planner may walk the tickets a filter keeps and
  // read the newest rows again for each, when it thinks they are few: 1 s
  // for a requester with 2,000 tickets not yet analysed).
  std::int64_t dense = 0, anyones = 0;
  {
    Binder b(dialect());
    const std::string words = pg_words(q, b);
    Where w;
    if (auto k = ticket_scope_sql(f.scope, b, "s."); !k.empty()) w.add(k);
    if (filtered) {
      Where tw;
      tw.add("t.id = s.ticket_id");
      ticket_only_filters(f, b, tw);
      w.add("EXISTS (SELECT 1 FROM tickets t" + tw.text + " OFFSET 0)");
    }
    const std::string count =
        w.text.empty() ? "COUNT(*)" : "COUNT(*) FILTER (" + w.text.substr(1) + ")";  // "WHERE ..."
    conn().query_planned(
        "SELECT " + count + ", COUNT(*) FROM " + rows(kProbeRows, false) + " WHERE " + words,
        b.params, [&](const Row& r) {
          dense = r.i64(0);
          anyones = r.i64(1);
        });
  }
  // A walk, when the probe says the window fills within kWalkRowsMax rows
  // (with no filter, within an era's: beyond, the era's matches read from
  // the index cost less than the rows walked). It stops at the window's
  // last match, so it may reach further than that estimate: matches come
  // in runs, and a walk cut at twice the estimate fell one match short of
  // 500 (4,008 rows for "impresora", which fills at 4,991) and then read
  // all 66,000 candidates from the index (40-60 ms).
  std::int64_t walk = 0;
  if (filtered ? dense >= kProbeDenseFiltered
               : kTicketWindowPostgres * kProbeRows <= dense * kEraTickets) {
    const std::int64_t enough = kTicketWindowPostgres * kProbeRows / dense;
    if (2 * enough <= kWalkRowsMax) walk = std::min(kWalkRowsMax, kWalkReach * enough);
  }
  std::vector<std::int64_t> ids;
  bool have = false;
  if (walk > 0) {
    ids = window_ids(walk);
    // A walk that fell short (the newest rows held more matches than the
    // rest) leaves the window to the eras or the index: it is the newest
    // matches of all.
    have = ids.size() >= static_cast<std::size_t>(kTicketWindowEnough);
  }
  if (!have) {
    ids.clear();
    have = pg_small_scope(q, f, anyones, ids);
  }
  if (!have && !filtered) {
    // The newest tickets that hold the window twice over at the probe's
    // density; two eras when it found none of the scope's. A scope's
    // matches are a part of anyone's, so when the probe found none of
    // anyone's, the scope's first step is sixteen eras, where its second
    // would go: such a word is rare, and every step reads on to the last, or
    // its matches lie far back (a requester's `inalam`, 50,000 tickets back:
    // the step of two eras cost 3.6 ms for nothing; for the desk, whose
    // matches of `contra` were within two eras, sixteen cost 4 ms more).
    const std::int64_t eras = anyones > 0 || !scoped ? 2 : 16;
    ids = pg_newest_matches(
        q, f.scope,
        dense > 0 ? 2 * kTicketWindowPostgres * kProbeRows / dense : eras * kEraTickets);
    have = true;
  }
  if (!have) ids = window_ids(0);
  std::vector<SearchHit> hits;
  if (ids.empty()) return hits;
  // The window's ids alone went through the sort: carrying each document
  // cost twice as much (82 against 40 ms for 62,500 candidates).
  Binder b(dialect());
  const std::string qp = b.next(q);
  const std::string in = b.any_of("c.ticket_id", ids);
  conn().query_planned("SELECT c.ticket_id, (1000000 * ts_rank(c.doc, to_tsquery('sd_search', " +
                           qp + ")))::bigint FROM ticket_search c WHERE " + in +
                           " ORDER BY 2 DESC, c.ticket_id DESC LIMIT " +
                           b.next(std::int64_t{limit}) + " OFFSET " + b.next(std::int64_t{offset}),
                       b.params, [&](const Row& r) {
                         SearchHit h;
                         h.id = r.i64(0);
                         h.score = static_cast<double>(r.i64(1)) / 1e6;
                         hits.push_back(std::move(h));
                       });
  return hits;
}

// FTS5 is handed each stretch's ids as a set (`rowid IN`), which it looks up
// one by one. Stretches: the window's size first (a word in every ticket
// fills it at once: 9 ms for 500 look-ups), then as many as the density
// seen so far says would fill it, with a quarter more.
bool SearchRepo::walk_scope(const std::string& match, const TicketSearch& f, std::int64_t matches,
                            std::vector<Id>& window) {
  std::vector<std::int64_t> ids;
  {
    Binder b(dialect());
    Where w;
    ticket_filters(f, b, w);
    conn().query("SELECT t.id FROM tickets t" + w.text + " ORDER BY t.id DESC", b.params,
                 [&](const Row& r) { ids.push_back(r.i64(0)); });
  }
  const Id desk = m_tx.tickets().last_id();
  const auto want = static_cast<std::size_t>(kTicketWindowWalked);
  std::size_t walked = 0, stretch = want;
  while (walked < ids.size() && window.size() < want) {
    const std::size_t end = std::min(ids.size(), walked + stretch);
    Binder b(dialect());
    Where w;
    const std::string m = b.next(match);
    ticket_filters(f, b, w);
    w.add("t.id BETWEEN " + b.next(ids[end - 1]) + " AND " + b.next(ids[walked]));
    std::vector<Id> found;
    conn().query("SELECT rowid FROM ticket_search WHERE ticket_search MATCH " + m +
                     " AND rowid IN (SELECT t.id FROM tickets t" + w.text + ")",
                 b.params, [&](const Row& r) { found.push_back(r.i64(0)); });
    std::sort(found.rbegin(), found.rend());
    window.insert(window.end(), found.begin(), found.end());
    walked = end;
    if (window.size() >= want || walked >= ids.size()) break;
    // What is left to walk at the density seen so far, against what the
    // set would read: the desk's matches at least, or at that density.
    const double density = static_cast<double>(window.size()) / static_cast<double>(walked);
    const double rest = static_cast<double>(ids.size() - walked);
    const double lookups =
        density > 0 ? std::min(rest, static_cast<double>(want - window.size()) / density) : rest;
    const double desk_matches =
        std::max(static_cast<double>(matches), density * static_cast<double>(desk));
    if (lookups * static_cast<double>(kWalkMatches) > desk_matches) {
      window.clear();
      return false;
    }
    stretch = static_cast<std::size_t>(lookups * 1.25) + 1;
  }
  if (window.size() > want) window.resize(want);
  return true;
}

std::vector<SearchHit> SearchRepo::tickets(const std::vector<SearchTerm>& terms, TermMatch match,
                                           const TicketSearch& f, int offset, int limit) {
  std::vector<SearchHit> hits;
  Binder b(dialect());
  Where w;
  const bool pg = dialect() == Dialect::postgres;
  const std::vector<SearchTerm> resolved = index_terms(terms, true);
  // The back end's query text, for the page and then its snippets.
  const std::string q =
      pg ? pg_tsquery(resolved, match, f.text) : fts5_match(resolved, match, f.text, true);
  if (q.empty()) return hits;
  if (pg) {
    hits = pg_tickets(q, f, offset, limit);
  } else {
    const bool scoped = f.scope.kind != TicketScope::Kind::everything;
    // SQLite, by the measures at a million (a requester with 2,000 tickets
    // spread over the desk):
    // - staff: the index leads, each match's ticket read by its id when a
    //   filter needs it;
    // - a scope of thousands: the index leads, each match checked in the
    //   scope's index (scope_exists: 0.3 us a match);
    // - a scope of few tickets: the index leads, each match kept when its
    //   id is in the scope's (`+`: not handed to FTS5; 0.08 us a match:
    //   5 ms for a prefix in 66,000 tickets);
    // - ... unless the words are in so many tickets that the scope's own
    //   fill the window sooner (walk_scope).
    std::vector<Id> window;
    bool walked = false;
    const auto few = scoped ? few_in_scope(f.scope) : std::nullopt;
    if (few) {
      const std::int64_t enough =
          std::max<std::int64_t>(1, std::min<std::int64_t>(*few, kTicketWindowWalked)) *
          kWalkMatches;
      const std::int64_t counted = count_matches(q, enough);
      walked = counted >= enough && walk_scope(q, f, counted, window);
    }
    w.add("ticket_search MATCH " + b.next(q));
    std::string from = "ticket_search";
    if (few) {
      Where tw;
      ticket_filters(f, b, tw);
      w.add("+ticket_search.rowid IN (SELECT t.id FROM tickets t" + tw.text + ")");
    } else if (scoped && !has_ticket_filters(f)) {
      w.add(scope_exists(f.scope, b));
    } else if (has_filters(f)) {
      from = "ticket_search CROSS JOIN tickets t";
      w.add("ticket_search.rowid = t.id");
      ticket_filters(f, b, w);
    }
    const std::string matches = " FROM " + from + w.text;
    std::int64_t found = 0;
    if (!walked)
      conn().query("SELECT COUNT(*) FROM (SELECT 1" + matches + " LIMIT " +
                       std::to_string(kRankAll + 1) + ") x",
                   b.params, [&](const Row& r) { found = r.i64(0); });
    // A walk is not ranked by bm25: each look-up starts the index's query
    // again, and bm25 with it, which counts every match of every word
    // (20 ms a ticket for a word in every one, at a million: 40 s a page
    // for a requester with 2,000 tickets). It goes the way of many matches.
    if (!walked && found <= kRankAll) {
      // Few: all of them ranked by bm25 (whose weights of each word come
      // from counting its matches, cheap when they are few).
      Params p = b.params;
      p.push_back(std::int64_t{limit});
      p.push_back(std::int64_t{offset});
      conn().query(std::string("SELECT ticket_search.rowid, ") + kTicketBm25 + matches +
                       " ORDER BY 2 DESC, ticket_search.rowid DESC LIMIT $" +
                       std::to_string(b.params.size() + 1) + " OFFSET $" +
                       std::to_string(b.params.size() + 2),
                   p, [&](const Row& r) {
                     SearchHit h;
                     h.id = r.i64(0);
                     h.score = static_cast<double>(r.i64(1)) / 1e6;
                     hits.push_back(std::move(h));
                   });
    } else {
      // Many (a word in half the desk): the newest kTicketWindow (a walk's:
      // kTicketWindowWalked), those with the words in their subject first.
      // bm25 would count every match of every word first (tens of
      // milliseconds at a million).
      if (!walked)
        conn().query("SELECT ticket_search.rowid" + matches +
                         " ORDER BY ticket_search.rowid DESC LIMIT " +
                         std::to_string(kTicketWindow),
                     b.params, [&](const Row& r) { window.push_back(r.i64(0)); });
      // The window's subjects, from the index over its range (ticket by
      // ticket, a look-up that misses reads on to the next match: 9 ms each
      // for a word in no subject at a million, against 27 ms for the range).
      std::set<Id> in_subject;
      if (!window.empty())
        conn().query(
            "SELECT rowid FROM ticket_search WHERE ticket_search MATCH $1 AND rowid BETWEEN $2 "
            "AND $3",
            {"{subject} : (" + fts5_match(resolved, match, TicketText::with_notes, false) + ")",
             window.back(), window.front()},
            [&](const Row& r) { in_subject.insert(r.i64(0)); });
      std::stable_partition(window.begin(), window.end(),
                            [&](Id id) { return in_subject.count(id) > 0; });
      for (std::size_t i = static_cast<std::size_t>(offset);
           i < window.size() && hits.size() < static_cast<std::size_t>(limit); ++i) {
        SearchHit h;
        h.id = window[i];
        h.score = in_subject.count(h.id) ? 2.0 : 1.0;
        hits.push_back(std::move(h));
      }
    }
  }
  // Snippets for the page alone (PostgreSQL's in one statement: one a hit
  // was 20 round trips a page, with the hits' tickets read one by one as
  // well about 5 of the 14 ms a middling word took at a million).
  if (pg && !hits.empty()) {
    std::vector<std::int64_t> ids;
    for (const auto& h : hits) ids.push_back(h.id);
    Binder b(dialect());
    const std::string qp = b.next(q);
    const char* notes = f.text == TicketText::with_notes ? " || E'\\n' || s.notes" : "";
    std::map<Id, std::string> snippets;
    conn().query("SELECT s.ticket_id, ts_headline('sd_search', " +
                     headline_text(std::string("t.description || E'\\n' || s.replies") + notes) +
                     ", to_tsquery('sd_search', " + qp +
                     "), 'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', MaxWords=30, "
                     "MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"') FROM ticket_search "
                     "s JOIN tickets t ON t.id = s.ticket_id WHERE " +
                     b.any_of("s.ticket_id", ids),
                 b.params, [&](const Row& r) { snippets[r.i64(0)] = r.text(1); });
    for (auto& h : hits) h.snippet = std::move(snippets[h.id]);
    return hits;
  }
  for (auto& h : hits) {
    if (f.text == TicketText::with_notes) {
      conn().query(
          "SELECT snippet(ticket_search, -1, char(1), char(2), '…', 24) FROM ticket_search "
          "WHERE ticket_search MATCH $1 AND rowid = $2",
          {q, h.id}, [&](const Row& r) { h.snippet = r.text(0); });
    } else {
      // Never a snippet of the notes: only the columns requesters read.
      conn().query(
          "SELECT snippet(ticket_search, 1, char(1), char(2), '…', 24), snippet(ticket_search, "
          "2, char(1), char(2), '…', 24), snippet(ticket_search, 0, char(1), char(2), '…', 24) "
          "FROM ticket_search WHERE ticket_search MATCH $1 AND rowid = $2",
          {q, h.id}, [&](const Row& r) {
            for (int c = 0; c < 3; ++c)
              if (r.text(c).find(kMarkOpen) != std::string::npos) {
                h.snippet = r.text(c);
                return;
              }
            h.snippet = r.text(0);
          });
    }
  }
  return hits;
}

std::vector<SearchHit> SearchRepo::articles(const std::vector<SearchTerm>& terms, TermMatch match,
                                            const ArticleSearch& f, int offset, int limit) {
  std::vector<SearchHit> hits;
  Binder b(dialect());
  Where w;
  const bool pg = dialect() == Dialect::postgres;
  std::string sql;
  if (pg) {
    const std::string q = pg_tsquery(terms, match, TicketText::with_notes);
    if (q.empty()) return hits;
    const std::string qp = b.next(q);
    w.add("a.doc @@ q.q");
    article_filters(f, b, w);
    sql = "SELECT a.id, (1000000 * ts_rank(a.doc, q.q))::bigint, ts_headline('sd_search', " +
          headline_text("a.body_text") +
          ", q.q, "
          "'StartSel=' || chr(1) || ', StopSel=' || chr(2) || ', MaxWords=30, MinWords=12') "
          "FROM articles a CROSS JOIN (SELECT to_tsquery('sd_search', " +
          qp + ") AS q) q" + w.text + " ORDER BY 2 DESC, a.id DESC LIMIT " +
          b.next(std::int64_t{limit}) + " OFFSET " + b.next(std::int64_t{offset});
  } else {
    const std::string m =
        fts5_match(index_terms(terms, false), match, TicketText::with_notes, false);
    if (m.empty()) return hits;
    w.add("article_search MATCH " + b.next(m));
    w.add("a.id = article_search.rowid");
    article_filters(f, b, w);
    sql = std::string("SELECT a.id, ") + kArticleBm25 +
          ", snippet(article_search, 1, char(1), char(2), '…', 24) FROM article_search CROSS "
          "JOIN articles a" +
          w.text + " ORDER BY 2 DESC, a.id DESC LIMIT " + b.next(std::int64_t{limit}) + " OFFSET " +
          b.next(std::int64_t{offset});
  }
  conn().query_planned(sql, b.params, [&](const Row& r) {
    SearchHit h;
    h.id = r.i64(0);
    h.score = static_cast<double>(r.i64(1)) / 1e6;
    h.snippet = r.text(2);
    hits.push_back(std::move(h));
  });
  return hits;
}

namespace {

// The last `max` characters of `s` (UTF-8), whole characters only.
std::string last_chars(const std::string& s, std::size_t max) {
  std::size_t chars = 0, start = s.size();
  while (start > 0 && chars < max) {
    --start;
    if ((static_cast<unsigned char>(s[start]) & 0xC0) != 0x80) ++chars;
  }
  return s.substr(start);
}

constexpr std::size_t kKeptCommentChars = 100'000;

}  // namespace

std::vector<SearchTerm> SearchRepo::index_terms(const std::vector<SearchTerm>& terms,
                                                bool tickets) {
  std::vector<SearchTerm> out = terms;
  if (dialect() == Dialect::postgres) return out;
  for (auto& t : out) {
    if (!long_prefix(t)) continue;
    // A long word that is itself in the index is taken as it is.
    bool exact = false;
    conn().query(tickets ? "SELECT 1 FROM ticket_search WHERE ticket_search MATCH $1 LIMIT 1"
                         : "SELECT 1 FROM article_search WHERE article_search MATCH $1 LIMIT 1",
                 {"\"" + clean(t.words) + "\""}, [&](const Row&) { exact = true; });
    if (exact) t.prefix = false;
  }
  return out;
}

bool costly_prefix(const std::vector<SearchTerm>& terms) {
  return std::any_of(terms.begin(), terms.end(), long_prefix);
}

void SearchRepo::reindex(const std::set<Id>& tickets, const std::set<Id>& articles) {
  if (dialect() == Dialect::postgres) {
    if (!tickets.empty()) {
      Binder b(dialect());
      const std::vector<std::int64_t> ids(tickets.begin(), tickets.end());
      const std::string in = b.any_of("t.id", ids);
      conn().exec(
          "INSERT INTO ticket_search (ticket_id, replies, notes, doc, requester_id, "
          "organisation_id, priority) SELECT x.id, x.replies, x.notes, sd_ticket_doc(x.subject, "
          "x.description, x.replies, x.notes), x.requester_id, x.organisation_id, x.priority "
          "FROM (SELECT t.id, t.subject, t.description, t.requester_id, t.organisation_id, "
          "t.priority, "
          "right(COALESCE((SELECT string_agg(e.body, E'\\n' "
          "ORDER BY e.id) FROM events e WHERE e.ticket_id = t.id AND e.kind IN ('reply', 'note') "
          "AND e.internal = 0 AND e.body <> ''), ''), 100000) AS replies, "
          "right(COALESCE((SELECT string_agg(e.body, E'\\n' ORDER BY e.id) FROM events e WHERE "
          "e.ticket_id = t.id AND e.kind IN ('reply', 'note') AND e.internal <> 0 AND e.body <> "
          "''), ''), 100000) AS notes FROM tickets t WHERE " +
              in +
              ") x ON CONFLICT (ticket_id) DO UPDATE SET replies = EXCLUDED.replies, notes = "
              "EXCLUDED.notes, doc = EXCLUDED.doc, requester_id = EXCLUDED.requester_id, "
              "organisation_id = EXCLUDED.organisation_id, priority = EXCLUDED.priority",
          b.params);
    }
    if (!articles.empty()) {
      Binder b(dialect());
      const std::vector<std::int64_t> ids(articles.begin(), articles.end());
      conn().exec("UPDATE articles SET doc = sd_article_doc(title, tags, body_text) WHERE " +
                      b.any_of("id", ids),
                  b.params);
    }
    return;
  }
  // SQLite: each row read first, then one statement per change, written
  // without a statement journal (a row by its rowid).
  for (Id id : tickets) {
    std::optional<std::pair<std::string, std::string>> text;
    conn().query("SELECT subject, description FROM tickets WHERE id = $1", {id},
                 [&](const Row& r) { text.emplace(r.text(0), r.text(1)); });
    std::string replies, notes;
    if (text)
      conn().query(
          "SELECT body, internal FROM events WHERE ticket_id = $1 AND kind IN ('reply', 'note') "
          "AND body <> '' ORDER BY id",
          {id}, [&](const Row& r) {
            std::string& to = r.i64(1) != 0 ? notes : replies;
            if (!to.empty()) to += '\n';
            to += r.text(0);
          });
    conn().exec("DELETE FROM ticket_search WHERE rowid = $1", {id});
    if (text)
      conn().exec(
          "INSERT INTO ticket_search (rowid, subject, body, replies, notes) VALUES ($1, $2, $3, "
          "$4, $5)",
          {id, text->first, text->second, last_chars(replies, kKeptCommentChars),
           last_chars(notes, kKeptCommentChars)});
  }
  for (Id id : articles) {
    std::optional<std::array<std::string, 3>> text;
    conn().query("SELECT title, body_text, tags FROM articles WHERE id = $1", {id},
                 [&](const Row& r) {
                   text = {r.text(0), r.text(1), r.text(2)};
                 });
    conn().exec("DELETE FROM article_search WHERE rowid = $1", {id});
    if (text)
      conn().exec("INSERT INTO article_search (rowid, title, body, tags) VALUES ($1, $2, $3, $4)",
                  {id, (*text)[0], (*text)[1], (*text)[2]});
  }
}

}  // namespace sd::store
