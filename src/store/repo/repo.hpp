// The base of every repository: the transaction it works in, and the one
// door to its connection.
#pragma once

#include "store/tx.hpp"

namespace sd::store {

class Repo {
 protected:
  explicit Repo(Tx& tx) : m_tx(tx) {}
  Conn& conn() { return m_tx.m_c; }
  Dialect dialect() const { return m_tx.m_c.dialect(); }
  void note_event(EventRef r) { m_tx.m_new_events.push_back(r); }
  void note_job() { ++m_tx.m_new_jobs; }
  // The ticket's or article's text changed: index it again at commit.
  void note_search_ticket(Id id) { m_tx.m_search_tickets.insert(id); }
  void note_search_article(Id id) { m_tx.m_search_articles.insert(id); }
  std::map<std::string, std::optional<std::string>, std::less<>>& settings_memo() {
    return m_tx.m_settings;
  }

  Tx& m_tx;
};

}  // namespace sd::store
