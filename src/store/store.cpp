#include "store/store.hpp"

#include "store/migrations.hpp"
#include "store/pg_conn.hpp"
#include "store/sqlite_conn.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace sd::store {

Error db_error_to_error(const DbError& e) {
  switch (e.kind()) {
    case DbError::Kind::unique_violation:
      return make_error(ErrorCode::conflict, "a record with the same unique value exists");
    case DbError::Kind::foreign_key_violation:
      return make_error(ErrorCode::invalid_input, "a referenced record does not exist");
    case DbError::Kind::busy:
      return make_error(ErrorCode::unavailable, "the database is busy; try again");
    case DbError::Kind::other:
      break;
  }
  return make_error(ErrorCode::internal, "database error");
}

namespace {

// Runs body on conn, converting driver exceptions to errors; on success
// appends the events the body wrote to `events`.
Status guarded(const std::function<Status(Tx&)>& body, Conn& conn,
               std::vector<EventRef>* events = nullptr) {
  try {
    Tx tx(conn);
    Status st = body(tx);
    if (st && events)
      events->insert(events->end(), tx.new_events().begin(), tx.new_events().end());
    return st;
  } catch (const DbError& e) {
    return db_error_to_error(e);
  }
}

constexpr const char* kNotifyChannel = "sd_events";

// "t:e,t:e" <-> events, the payloads of NOTIFY; each stays under
// PostgreSQL's 8000-byte limit, so a large transaction sends several.
std::vector<std::string> encode_refs(const std::vector<EventRef>& refs) {
  std::vector<std::string> out(1);
  for (const auto& r : refs) {
    std::string item = std::to_string(r.ticket_id) + ':' + std::to_string(r.event_id);
    if (out.back().size() + item.size() + 1 > 7900) out.emplace_back();
    if (!out.back().empty()) out.back() += ',';
    out.back() += item;
  }
  return out;
}
std::vector<EventRef> decode_refs(std::string_view s) {
  std::vector<EventRef> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    auto item = s.substr(0, comma);
    auto colon = item.find(':');
    EventRef r;
    if (colon != std::string_view::npos &&
        std::from_chars(item.data(), item.data() + colon, r.ticket_id).ec == std::errc{} &&
        std::from_chars(item.data() + colon + 1, item.data() + item.size(), r.event_id).ec ==
            std::errc{})
      out.push_back(r);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// A bounded pool of connections opened on demand.
class Pool {
 public:
  Pool(std::function<std::unique_ptr<Conn>()> open, int max)
      : m_open(std::move(open)), m_max(max) {}

  std::unique_ptr<Conn> acquire() {
    std::unique_lock lock(m_mu);
    m_cv.wait(lock, [&] { return !m_idle.empty() || m_total < m_max; });
    if (!m_idle.empty()) {
      auto c = std::move(m_idle.back());
      m_idle.pop_back();
      return c;
    }
    ++m_total;
    lock.unlock();
    try {
      return m_open();
    } catch (...) {
      std::lock_guard relock(m_mu);
      --m_total;
      m_cv.notify_one();
      throw;
    }
  }

  void release(std::unique_ptr<Conn> c) {
    std::lock_guard lock(m_mu);
    if (c && !c->broken())
      m_idle.push_back(std::move(c));
    else
      --m_total;
    m_cv.notify_one();
  }

 private:
  std::function<std::unique_ptr<Conn>()> m_open;
  int m_max;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::vector<std::unique_ptr<Conn>> m_idle;
  int m_total = 0;
};

// Runs body in BEGIN/COMMIT on a pooled connection (no transaction when
// `begin` is null). With `notify`, the
// events the body wrote are announced by NOTIFY, which PostgreSQL delivers
// to every listening node when (and only if) the transaction commits.
Status pooled_tx(Pool& pool, const std::function<Status(Tx&)>& body, const char* begin,
                 bool notify = false) {
  std::unique_ptr<Conn> c;
  try {
    c = pool.acquire();
  } catch (const DbError& e) {
    return make_error(ErrorCode::unavailable, "the database cannot be reached");
  }
  Status st;
  try {
    std::vector<EventRef> events;
    if (!begin) {
      st = guarded(body, *c);
    } else {
      c->exec(begin);
      st = guarded(body, *c, &events);
      if (st && notify && !events.empty())
        for (auto& payload : encode_refs(events))
          c->exec("SELECT pg_notify('sd_events', $1)", {std::move(payload)});
      c->exec(st ? "COMMIT" : "ROLLBACK");
    }
  } catch (const DbError& e) {
    try {
      if (begin && !c->broken()) c->exec("ROLLBACK");
    } catch (const DbError&) {
    }
    st = db_error_to_error(e);
  }
  pool.release(std::move(c));
  return st;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const StoreOptions& o)
      : m_path(o.url),
        m_writer_conn(open_sqlite(o.url, SqliteMode::read_write)),
        m_readers([path = o.url] { return open_sqlite(path, SqliteMode::read_only); },
                  o.read_connections),
        m_writer([this] { write_loop(); }) {}

  ~SqliteStore() override {
    {
      std::lock_guard lock(m_mu);
      m_stopping = true;
    }
    m_cv.notify_one();
    m_writer.join();
  }

  Dialect dialect() const override { return Dialect::sqlite; }

  Result<int> migrate(Millis now) override {
    return write_direct([&](Conn& c) { return sd::store::migrate(c, now); });
  }

  void set_event_listener(EventListener listener) override {
    std::lock_guard lock(m_listener_mu);
    m_listener = std::move(listener);
  }

  void send_signal(const std::string&) override {}
  void set_signal_listener(SignalListener) override {}

 protected:
  Status run_tx(const std::function<Status(Tx&)>& body, Mode mode) override {
    if (mode == Mode::read) return pooled_tx(m_readers, body, "BEGIN");
    Job job{&body, {}};
    auto done = job.done.get_future();
    {
      std::lock_guard lock(m_mu);
      m_queue.push_back(&job);
    }
    m_cv.notify_one();
    return done.get();
  }

 private:
  struct Job {
    const std::function<Status(Tx&)>* body;
    std::promise<Status> done;
  };

  template <class F>
  Result<int> write_direct(F f) {
    // Runs on the caller's thread on a connection of its own, for work that
    // manages its own transactions (migrations); SQLite's busy timeout makes
    // it wait for the writer.
    std::lock_guard lock(m_direct_mu);
    std::unique_ptr<Conn> c;
    try {
      c = open_sqlite(m_path, SqliteMode::read_write);
      return f(*c);
    } catch (const DbError& e) {
      return make_error(ErrorCode::internal, e.what());
    }
  }

  void write_loop() {
    std::vector<Job*> batch;
    for (;;) {
      {
        std::unique_lock lock(m_mu);
        m_cv.wait(lock, [&] { return !m_queue.empty() || m_stopping; });
        if (m_queue.empty()) return;
        batch.assign(m_queue.begin(), m_queue.end());
        m_queue.clear();
      }
      commit_batch(batch);
    }
  }

  // One transaction for the whole batch; each job in a savepoint so that a
  // job that fails rolls back alone.
  void commit_batch(const std::vector<Job*>& batch) {
    Conn& c = *m_writer_conn;
    std::vector<Status> results(batch.size());
    std::vector<EventRef> events;
    try {
      c.exec("BEGIN IMMEDIATE");
      if (batch.size() == 1) {
        // Alone in its transaction, a job needs no savepoint: statements
        // inside one pay for a statement journal.
        results[0] = guarded(*batch[0]->body, c, &events);
        c.exec(results[0] ? "COMMIT" : "ROLLBACK");
      } else {
        for (std::size_t i = 0; i < batch.size(); ++i) {
          c.exec("SAVEPOINT job");
          results[i] = guarded(*batch[i]->body, c, &events);
          if (!results[i]) c.exec("ROLLBACK TO job");
          c.exec("RELEASE job");
        }
        c.exec("COMMIT");
      }
    } catch (const DbError& e) {
      try {
        c.exec_script("ROLLBACK");
      } catch (const DbError&) {
      }
      for (auto& r : results)
        if (r) r = db_error_to_error(e);
      events.clear();
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->done.set_value(results[i]);
    if (!events.empty()) {
      std::lock_guard lock(m_listener_mu);
      if (m_listener) m_listener(events);
    }
  }

  std::string m_path;
  std::unique_ptr<Conn> m_writer_conn;
  Pool m_readers;
  std::mutex m_direct_mu;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<Job*> m_queue;
  bool m_stopping = false;
  std::mutex m_listener_mu;
  EventListener m_listener;
  std::thread m_writer;  // last: starts after everything it uses
};

class PgStore final : public Store {
 public:
  explicit PgStore(const StoreOptions& o)
      : m_url(o.url), m_pool([url = o.url] { return open_postgres(url); }, o.read_connections) {
    // Fail at start-up, not at the first request, when the server is absent.
    m_pool.release(m_pool.acquire());
  }

  Dialect dialect() const override { return Dialect::postgres; }

  Result<int> migrate(Millis now) override {
    try {
      auto c = open_postgres(m_url);
      return sd::store::migrate(*c, now);
    } catch (const DbError& e) {
      return make_error(ErrorCode::internal, e.what());
    }
  }

  ~PgStore() override {
    m_stop = true;
    if (m_listen_thread.joinable()) m_listen_thread.join();
  }

  // Returns once the LISTEN connection is up (or after 10 s), so that a
  // node that says it is serving already hears every commit.
  void set_event_listener(EventListener listener) override {
    {
      std::lock_guard lock(m_listener_mu);
      m_listener = std::move(listener);
    }
    if (m_listen_thread.joinable()) return;
    m_listen_thread = std::thread([this] { listen_loop(); });
    std::unique_lock lock(m_listener_mu);
    m_ready_cv.wait_for(lock, std::chrono::seconds(10), [&] { return m_listening; });
  }

  void send_signal(const std::string& payload) override {
    if (payload.size() > 7900) return;
    std::unique_ptr<Conn> c;
    try {
      c = m_pool.acquire();
      c->exec("SELECT pg_notify('sd_signals', $1)", {payload});
    } catch (const DbError&) {
      // A lost signal is repaired by the sender's next refresh.
    }
    if (c) m_pool.release(std::move(c));
  }

  void set_signal_listener(SignalListener listener) override {
    std::lock_guard lock(m_listener_mu);
    m_signal_listener = std::move(listener);
  }

 protected:
  Status run_tx(const std::function<Status(Tx&)>& body, Mode mode) override {
    // Reads run in autocommit: each is one or a few independent lookups, and
    // a BEGIN/COMMIT pair would double their round trips.
    if (mode == Mode::read) return pooled_tx(m_pool, body, nullptr);
    return pooled_tx(m_pool, body, "BEGIN", true);
  }

 private:
  void deliver(const std::vector<EventRef>& refs) {
    if (refs.empty()) return;
    std::lock_guard lock(m_listener_mu);
    for (const auto& r : refs) m_last_event = std::max(m_last_event, r.event_id);
    if (m_listener) m_listener(refs);
  }

  // After (re)connecting: on the first connection, remember where the
  // timeline stands; on later ones, deliver what was committed meanwhile.
  bool catch_up(PGconn* c, bool first) {
    std::string last = std::to_string(m_last_event);
    const char* params[] = {last.c_str()};
    PGresult* r = first ? PQexec(c, "SELECT 0, COALESCE(MAX(id), 0) FROM events")
                        : PQexecParams(c,
                                       "SELECT ticket_id, id FROM events WHERE id > $1::bigint "
                                       "ORDER BY id LIMIT 100000",
                                       1, nullptr, params, nullptr, nullptr, 0);
    const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    std::vector<EventRef> refs;
    for (int i = 0; ok && i < PQntuples(r); ++i) {
      EventRef ref;
      std::from_chars(PQgetvalue(r, i, 0), PQgetvalue(r, i, 0) + PQgetlength(r, i, 0),
                      ref.ticket_id);
      std::from_chars(PQgetvalue(r, i, 1), PQgetvalue(r, i, 1) + PQgetlength(r, i, 1),
                      ref.event_id);
      refs.push_back(ref);
    }
    PQclear(r);
    if (first && !refs.empty()) {
      std::lock_guard lock(m_listener_mu);
      m_last_event = refs[0].event_id;
    } else {
      deliver(refs);
    }
    return ok;
  }

  // Holds a LISTEN connection, reconnecting when it drops, until stopped.
  void listen_loop() {
    bool first = true;
    while (!m_stop) {
      PGconn* c = PQconnectdb(m_url.c_str());
      bool listening = false;
      if (PQstatus(c) == CONNECTION_OK) {
        PGresult* r = PQexec(c, (std::string("LISTEN ") + kNotifyChannel + "; LISTEN sd_signals").c_str());
        listening = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
      }
      if (listening && catch_up(c, first)) {
        first = false;
        {
          std::lock_guard lock(m_listener_mu);
          m_listening = true;
        }
        m_ready_cv.notify_all();
        while (!m_stop && PQstatus(c) == CONNECTION_OK) {
          pollfd fd{PQsocket(c), POLLIN, 0};
          if (poll(&fd, 1, 200) > 0 && !PQconsumeInput(c)) break;
          while (PGnotify* n = PQnotifies(c)) {
            if (std::strcmp(n->relname, "sd_signals") == 0) {
              std::string payload = n->extra;
              PQfreemem(n);
              std::lock_guard lock(m_listener_mu);
              if (m_signal_listener) m_signal_listener(payload);
              continue;
            }
            auto refs = decode_refs(n->extra);
            PQfreemem(n);
            deliver(refs);
          }
        }
      }
      PQfinish(c);
      for (int i = 0; i < 10 && !m_stop; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  std::string m_url;
  Pool m_pool;
  std::mutex m_listener_mu;
  std::condition_variable m_ready_cv;
  bool m_listening = false;
  Id m_last_event = 0;  // the newest event delivered or seen at start
  EventListener m_listener;
  SignalListener m_signal_listener;
  std::atomic<bool> m_stop{false};
  std::thread m_listen_thread;
};

}  // namespace

std::unique_ptr<Store> open_store(const StoreOptions& options) {
  if (options.url.starts_with("postgresql://") || options.url.starts_with("postgres://"))
    return std::make_unique<PgStore>(options);
  return std::make_unique<SqliteStore>(options);
}

}  // namespace sd::store
