// One store transaction, handed to the body of Store::read or Store::write
// and used by one thread. Its records are reached through one repository per
// aggregate (store/repo/): tx.tickets(), tx.events(), tx.jobs() ... Each
// accessor is defined in its repository's header, so a caller includes the
// aggregates it uses. The connection itself is reachable only from the
// repositories: no SQL outside store/.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/model.hpp"
#include "store/db.hpp"

namespace sd::store {

enum class TxMode { read, write };

// Whether a read takes the row lock a following update needs (PostgreSQL;
// SQLite's single writer already serialises writes).
enum class Lock { none, for_update };

// A ticket event written by a transaction, announced once it commits.
struct EventRef {
  Id ticket_id = 0;
  Id event_id = 0;
};

class TicketRepo;
class EventRepo;
class UserRepo;
class OrganisationRepo;
class GroupRepo;
class CategoryRepo;
class DirectoryRepo;
class SessionRepo;
class TokenRepo;
class SettingRepo;
class JobRepo;
class AuditRepo;
class CalendarRepo;
class SlaPolicyRepo;
class TicketSlaRepo;
class EscalationRuleRepo;
class NotificationRepo;
class OutboxRepo;
class ContractRepo;
class ReportRepo;
class MailboxRepo;
class InboundMailRepo;
class AttachmentRepo;
class ArticleRepo;
class SearchRepo;

class Tx {
 public:
  Tx(Conn& c, TxMode mode) : m_c(c), m_mode(mode) {}
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;

  TxMode mode() const { return m_mode; }
  Dialect dialect() const { return m_c.dialect(); }

  TicketRepo tickets();
  EventRepo events();
  UserRepo users();
  OrganisationRepo organisations();
  GroupRepo groups();
  CategoryRepo categories();
  DirectoryRepo directory();
  SessionRepo sessions();
  TokenRepo tokens();
  SettingRepo settings();
  JobRepo jobs();
  AuditRepo audit();
  CalendarRepo calendars();
  SlaPolicyRepo sla_policies();
  TicketSlaRepo ticket_slas();
  EscalationRuleRepo escalation_rules();
  NotificationRepo notifications();
  OutboxRepo outbox();
  ContractRepo contracts();
  ReportRepo reports();
  MailboxRepo mailboxes();
  InboundMailRepo inbound_mail();
  AttachmentRepo attachments();
  ArticleRepo articles();
  SearchRepo search();

  // How many prepared statements the connection keeps (a diagnostic: tests
  // check that statement texts do not vary with the input).
  std::size_t cached_statements() const { return m_c.cached_statements(); }
  // The plan the connection chooses for a statement, one line per step (a
  // diagnostic: tests check plans that hang on the planner's statistics).
  std::string query_plan(const std::string& sql, const Params& params = {}) const {
    const bool pg = m_c.dialect() == Dialect::postgres;
    std::string out;
    m_c.query((pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") + sql, params, [&](const Row& r) {
      out += r.text(pg ? 0 : 3);
      out += '\n';
    });
    return out;
  }

  // How many times PostgreSQL ran one of the connection's prepared
  // statements that match text (@@) with a plan made for any values (a
  // diagnostic: tests check that no search does; 0 on SQLite).
  std::int64_t generic_search_plans() const {
    std::int64_t n = 0;
    if (m_c.dialect() == Dialect::postgres)
      m_c.query_planned(  // not prepared: it would count itself
          "SELECT COALESCE(SUM(generic_plans), 0) FROM pg_prepared_statements WHERE statement "
          "LIKE '%@@%'",
          {}, [&](const Row& r) { n = r.i64(0); });
    return n;
  }

  // What this transaction wrote that others hear of once it commits.
  const std::vector<EventRef>& new_events() const { return m_new_events; }
  int new_jobs() const { return m_new_jobs; }
  // Tickets and articles whose text this transaction changed: the store
  // indexes them again just before it commits (store/repo/search.hpp).
  const std::set<Id>& search_tickets() const { return m_search_tickets; }
  const std::set<Id>& search_articles() const { return m_search_articles; }

 private:
  friend class Repo;
  friend class Store;
  Conn& m_c;
  TxMode m_mode;
  std::vector<EventRef> m_new_events;
  int m_new_jobs = 0;
  std::set<Id> m_search_tickets, m_search_articles;
  // Settings read in this transaction (a use case may consult the same
  // policy for every ticket it changes); a put updates it.
  std::map<std::string, std::optional<std::string>, std::less<>> m_settings;
};

}  // namespace sd::store
