// The repository: every read and write of the desk's records, as SQL that
// runs unchanged on SQLite and PostgreSQL. A Tx lives inside one store
// transaction (Store::read or Store::write) and is used by one thread.
// Methods throw DbError on driver failure; the Store converts it.
#pragma once

#include "domain/enums.hpp"
#include "domain/model.hpp"
#include "domain/priority.hpp"
#include "store/db.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sd::store {

enum class TicketSort {
  id,
  created_at,
  updated_at,
  priority,
  support_level,
  status,  // by lifecycle order
  subject,
  type,
  requester,  // by name
  assignee,   // by name
  group,      // by name
  category,   // by name
};

// A position in a sorted list: the sort key and id of the last row seen.
struct Cursor {
  std::int64_t key = 0;  // for sorts on numbers
  std::string text;      // for sorts on text
  Id id = 0;
};

// An optional filter on a nullable reference: unset = any, none = IS NULL,
// equals = one of `ids`.
struct RefFilter {
  enum class Mode { any, none, equals } mode = Mode::any;
  std::vector<Id> ids;
};

struct TicketQuery {
  std::vector<TicketStatus> statuses;
  std::vector<TicketType> types;
  std::vector<Priority> priorities;
  std::vector<int> support_levels;
  RefFilter assignee;
  RefFilter group;
  std::optional<Id> requester_id;
  std::optional<Id> category_id;
  // For requesters: only their tickets, or also their organisation's.
  std::optional<Id> only_requester;
  std::optional<Id> or_organisation;
  std::string text;  // substring of subject or description
  TicketSort sort = TicketSort::id;
  bool descending = true;
  std::optional<Cursor> after;
  int limit = 50;
};

template <class T>
struct Page {
  std::vector<T> items;
  std::optional<Cursor> next;
};

struct UserQuery {
  std::optional<Role> role;
  std::optional<Id> organisation_id;
  std::string text;
  std::optional<Id> after_id;
  int limit = 50;
};

// A ticket event written by a transaction, announced once it commits.
struct EventRef {
  Id ticket_id = 0;
  Id event_id = 0;
};

struct EscalationContact {
  Id id = 0;
  int level = 1;  // escalation directory level 1..4
  std::string role, name, office_phone, email, mobile;
  Millis created_at = 0;
};

// Open tickets per queue, as seen by one agent.
struct QueueCounts {
  std::int64_t mine = 0, my_groups = 0, unassigned = 0, open = 0;
  std::int64_t level[3] = {0, 0, 0};
};

struct SessionRecord {
  Id user_id = 0;
  std::string csrf_token;
  Millis expires_at = 0;
};


// Whether a read takes the row lock a following update needs (PostgreSQL;
// SQLite's single writer already serialises writes).
enum class Lock { none, for_update };

class Tx {
 public:
  explicit Tx(Conn& c) : m_c(c) {}
  Conn& conn() { return m_c; }
  // Events inserted through this Tx, in order.
  const std::vector<EventRef>& new_events() const { return m_new_events; }

  // Tickets and their timelines.
  Id insert_ticket(const Ticket& t);
  std::optional<Ticket> find_ticket(Id id, Lock lock = Lock::none);
  void update_ticket(const Ticket& t);
  Page<Ticket> list_tickets(const TicketQuery& q);
  std::int64_t count_tickets();
  Id insert_event(const Event& e);
  std::vector<Event> list_events(Id ticket_id, bool include_internal);
  std::optional<Event> find_event(Id event_id);
  QueueCounts queue_counts(Id agent_id);

  // People.
  Id insert_user(const User& u, const std::optional<std::string>& password_hash);
  std::optional<User> find_user(Id id);
  std::optional<User> find_user_by_email(const std::string& email);
  std::optional<std::string> password_hash(Id user_id);
  void update_user(const User& u);
  void set_password_hash(Id user_id, const std::string& hash);
  Page<User> list_users(const UserQuery& q);

  Id insert_organisation(const Organisation& o);
  std::optional<Organisation> find_organisation(Id id);
  void update_organisation(const Organisation& o);
  std::vector<Organisation> list_organisations();

  Id insert_group(const Group& g);
  std::optional<Group> find_group(Id id);
  void update_group(const Group& g);
  std::vector<Group> list_groups();
  std::vector<Id> group_members(Id group_id);
  void set_group_members(Id group_id, const std::vector<Id>& user_ids);
  std::vector<Id> groups_of(Id user_id);

  Id insert_escalation_contact(const EscalationContact& c);
  std::optional<EscalationContact> find_escalation_contact(Id id);
  void update_escalation_contact(const EscalationContact& c);
  void delete_escalation_contact(Id id);
  std::vector<EscalationContact> list_escalation_contacts();

  Id insert_category(const Category& c);
  std::optional<Category> find_category(Id id);
  void update_category(const Category& c);
  std::vector<Category> list_categories();

  // Sessions and API tokens, by the hash of their secret.
  void insert_session(const std::string& token_hash, const SessionRecord& s, Millis now);
  std::optional<SessionRecord> find_session(const std::string& token_hash);
  void delete_session(const std::string& token_hash);
  void delete_expired_sessions(Millis now);
  Id insert_api_token(Id user_id, const std::string& name, const std::string& token_hash,
                      Millis now);
  std::optional<Id> find_api_token_user(const std::string& token_hash);

  // Settings are small JSON documents by key.
  std::optional<std::string> get_setting(const std::string& key);
  void put_setting(const std::string& key, const std::string& value);

 private:
  Conn& m_c;
  std::vector<EventRef> m_new_events;
};

}  // namespace sd::store
