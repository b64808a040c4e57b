#include "store/store.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "store/migrations.hpp"
#include "store/pg_conn.hpp"
#include "store/repo/search.hpp"
#include "store/sqlite_conn.hpp"

namespace sd::store {

Error db_error_to_error(const DbError& e) {
  Error out;
  switch (e.kind()) {
    case DbError::Kind::unique_violation:
      out = make_error(ErrorCode::conflict, "a record with the same unique value exists");
      break;
    case DbError::Kind::foreign_key_violation:
      out = make_error(ErrorCode::invalid_input, "a referenced record does not exist");
      break;
    case DbError::Kind::busy:
    case DbError::Kind::retryable:
      out = make_error(ErrorCode::unavailable, "the database is busy; try again");
      break;
    case DbError::Kind::other:
      out = internal_error({});
      break;
  }
  out.cause = e.what();
  return out;
}

namespace {

// Tickets and articles a batch of writes changed the text of.
struct SearchChanges {
  std::set<Id> tickets, articles;
};

// > 0 while this thread runs the body of a write: a write started there
// would wait for the transaction it is part of.
thread_local int t_write_depth = 0;

struct InWrite {
  InWrite() { ++t_write_depth; }
  ~InWrite() { --t_write_depth; }
  InWrite(const InWrite&) = delete;
  InWrite& operator=(const InWrite&) = delete;
};

Error nested_write() {
  return internal_error("a write was started inside the body of another write");
}

constexpr int kMaxRetries = 5;

// Runs body on tx, turning whatever it throws into an error so that the
// caller rolls back. A retryable driver failure is rethrown for the caller
// to run the transaction again.
Status guarded(const Store::Body& body, Tx& tx) {
  try {
    return body(tx);
  } catch (const DbError& e) {
    if (e.kind() == DbError::Kind::retryable) throw;
    return db_error_to_error(e);
  } catch (const std::exception& e) {
    return internal_error(std::string("exception in a transaction: ") + e.what());
  } catch (...) {
    return internal_error("unknown exception in a transaction");
  }
}

// A bounded pool of connections opened on demand; waiting for one has a
// deadline.
class Pool {
 public:
  Pool(std::function<std::unique_ptr<Conn>()> open, int max, Duration timeout)
      : m_open(std::move(open)), m_max(max), m_timeout(timeout) {}

  // Throws DbError(busy) when no connection frees up in time, or the
  // driver's error when a new one cannot be opened.
  std::unique_ptr<Conn> acquire() {
    std::unique_lock lock(m_mu);
    if (!m_cv.wait_for(lock, m_timeout, [&] { return !m_idle.empty() || m_total < m_max; }))
      throw DbError(DbError::Kind::busy, "no database connection became free in time");
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

  // Closes the idle connections; later ones open anew.
  void drop_idle() {
    std::lock_guard lock(m_mu);
    m_total -= static_cast<int>(m_idle.size());
    m_idle.clear();
    m_cv.notify_all();
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
  Duration m_timeout;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::vector<std::unique_ptr<Conn>> m_idle;
  int m_total = 0;
};

// A connection borrowed from a pool for one scope.
class Lease {
 public:
  explicit Lease(Pool& p) : m_pool(p), m_conn(p.acquire()) {}
  ~Lease() { m_pool.release(std::move(m_conn)); }
  Conn& operator*() { return *m_conn; }
  Conn* operator->() { return m_conn.get(); }

 private:
  Pool& m_pool;
  std::unique_ptr<Conn> m_conn;
};

void rollback_quietly(Conn& c) {
  try {
    if (!c.broken()) c.exec_script("ROLLBACK");
  } catch (...) {
  }
}

// ---- SQLite ----

// Events by id: on SQLite the one writer lock makes id order commit order
// (a transaction that took an id commits before the next id is taken), for
// this process and any other writing the same file.
class SqliteFeed final : public EventFeed {
 public:
  explicit SqliteFeed(Pool& readers) : m_readers(readers) {
    Lease c(m_readers);
    c->query("SELECT COALESCE(MAX(id), 0) FROM events", {},
             [&](const Row& r) { m_last = r.i64(0); });
  }
  Result<std::vector<EventRef>> next(int limit) override {
    std::vector<EventRef> out;
    try {
      Lease c(m_readers);
      c->query("SELECT ticket_id, id FROM events WHERE id > $1 ORDER BY id LIMIT $2",
               {m_last, std::int64_t{limit}}, [&](const Row& r) {
                 out.push_back({r.i64(0), r.i64(1)});
               });
    } catch (const DbError& e) {
      return db_error_to_error(e);
    }
    if (!out.empty()) m_last = out.back().event_id;
    return out;
  }

 private:
  Pool& m_readers;
  Id m_last = 0;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const StoreOptions& o)
      : m_path(o.url),
        m_tuning(o.sqlite),
        m_writer_tuning{o.sqlite_writer_cache_kib, o.sqlite.mmap_bytes},
        m_writer_conn(open_sqlite(o.url, SqliteMode::read_write, m_writer_tuning)),
        m_readers(
            [path = o.url, t = o.sqlite] { return open_sqlite(path, SqliteMode::read_only, t); },
            o.read_connections, o.acquire_timeout),
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

  Result<int> migrate(Instant now) override {
    // On a connection of its own, for work that manages its own
    // transactions; SQLite's busy timeout makes it wait for the writer.
    Result<int> applied = 0;
    {
      std::lock_guard lock(m_direct_mu);
      try {
        auto c = open_sqlite(m_path, SqliteMode::read_write, m_tuning);
        applied = sd::store::migrate(*c, now);
      } catch (const DbError& e) {
        return db_error_to_error(e);
      }
    }
    // The connections already open planned with the statistics of before
    // the migration (read with the schema, and kept in their prepared
    // statements and FTS5's): the writer and the idle readers are opened
    // anew, the writer before the next batch it takes.
    {
      std::lock_guard lock(m_mu);
      m_reopen_writer = true;
    }
    Status reopened = write_each({[](Tx&) -> Status { return {}; }})[0];
    if (!reopened) return reopened.error();
    m_readers.drop_idle();
    return applied;
  }

  void set_commit_listener(CommitListener listener) override {
    std::lock_guard lock(m_listener_mu);
    m_listener = std::move(listener);
  }

  std::unique_ptr<EventFeed> open_feed() override {
    return std::make_unique<SqliteFeed>(m_readers);
  }

  void send_signal(const std::string&) override {}
  void set_signal_listener(SignalListener) override {}

  std::vector<Status> write_each(const std::vector<Body>& bodies) override {
    if (t_write_depth > 0) return std::vector<Status>(bodies.size(), nested_write());
    std::vector<Job> jobs(bodies.size());
    std::vector<std::future<Status>> done;
    {
      std::lock_guard lock(m_mu);
      for (std::size_t i = 0; i < bodies.size(); ++i) {
        jobs[i].body = &bodies[i];
        done.push_back(jobs[i].done.get_future());
        m_queue.push_back(&jobs[i]);
      }
    }
    m_cv.notify_one();
    std::vector<Status> out;
    for (auto& f : done) out.push_back(f.get());
    return out;
  }

 protected:
  Status run_tx(const Body& body, TxMode mode) override {
    if (mode == TxMode::read) {
      std::optional<Lease> c;
      try {
        c.emplace(m_readers);
        (*c)->exec_script("BEGIN");
      } catch (const DbError& e) {
        return db_error_to_error(e);
      }
      Status st;
      try {
        Tx tx(**c, TxMode::read);
        st = guarded(body, tx);
        (*c)->exec_script(st ? "COMMIT" : "ROLLBACK");
      } catch (const DbError& e) {
        rollback_quietly(**c);
        st = db_error_to_error(e);
      }
      return st;
    }
    if (t_write_depth > 0) return nested_write();
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
    const Body* body = nullptr;
    std::promise<Status> done;
  };

  void write_loop() {
    std::vector<Job*> batch;
    for (;;) {
      bool reopen = false;
      {
        std::unique_lock lock(m_mu);
        m_cv.wait(lock, [&] { return !m_queue.empty() || m_stopping; });
        if (m_queue.empty()) return;
        batch.assign(m_queue.begin(), m_queue.end());
        m_queue.clear();
        reopen = std::exchange(m_reopen_writer, false);
      }
      if (reopen) {
        try {
          m_writer_conn = open_sqlite(m_path, SqliteMode::read_write, m_writer_tuning);
        } catch (const DbError&) {
          // The connection open so far goes on serving.
        }
      }
      commit_batch(batch);
    }
  }

  // Runs one body; a retryable error cannot happen on SQLite, but a driver
  // failure of any kind becomes the body's error. What it changed of the
  // search index joins `reindex` (a body rolled back may be there too:
  // indexing again from the rows is right either way).
  Status run_one(const Body& body, CommitNews& news, SearchChanges& reindex) {
    InWrite in_write;
    Tx tx(*m_writer_conn, TxMode::write);
    Status st;
    try {
      st = guarded(body, tx);
    } catch (const DbError& e) {
      st = db_error_to_error(e);
    }
    if (st) {
      news.events = news.events || !tx.new_events().empty();
      news.jobs = news.jobs || tx.new_jobs() > 0;
    }
    reindex.tickets.insert(tx.search_tickets().begin(), tx.search_tickets().end());
    reindex.articles.insert(tx.search_articles().begin(), tx.search_articles().end());
    return st;
  }

  // The search index, brought in step just before the commit.
  void index(const SearchChanges& changes) {
    if (changes.tickets.empty() && changes.articles.empty()) return;
    Tx tx(*m_writer_conn, TxMode::write);
    tx.search().reindex(changes.tickets, changes.articles);
  }

  // One transaction for the whole batch; each job in a savepoint so that a
  // job that fails rolls back alone.
  void commit_batch(const std::vector<Job*>& batch) {
    Conn& c = *m_writer_conn;
    std::vector<Status> results(batch.size());
    CommitNews news;
    SearchChanges changes;
    try {
      c.exec("BEGIN IMMEDIATE");
      if (batch.size() == 1) {
        // Alone in its transaction, a job needs no savepoint: statements
        // inside one pay for a statement journal.
        results[0] = run_one(*batch[0]->body, news, changes);
        if (results[0]) index(changes);
        c.exec(results[0] ? "COMMIT" : "ROLLBACK");
      } else {
        for (std::size_t i = 0; i < batch.size(); ++i) {
          c.exec("SAVEPOINT job");
          CommitNews mine;
          results[i] = run_one(*batch[i]->body, mine, changes);
          if (!results[i]) {
            c.exec("ROLLBACK TO job");
          } else {
            news.events = news.events || mine.events;
            news.jobs = news.jobs || mine.jobs;
          }
          c.exec("RELEASE job");
        }
        index(changes);
        c.exec("COMMIT");
      }
    } catch (const DbError& e) {
      rollback_quietly(c);
      for (auto& r : results)
        if (r) r = db_error_to_error(e);
      news = {};
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->done.set_value(results[i]);
    if (news.events || news.jobs) {
      std::lock_guard lock(m_listener_mu);
      if (m_listener) m_listener(news);
    }
  }

  std::string m_path;
  SqliteTuning m_tuning;
  SqliteTuning m_writer_tuning;
  std::unique_ptr<Conn> m_writer_conn;
  Pool m_readers;
  std::mutex m_direct_mu;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<Job*> m_queue;
  bool m_stopping = false;
  bool m_reopen_writer = false;
  std::mutex m_listener_mu;
  CommitListener m_listener;
  std::thread m_writer;  // last: starts after everything it uses
};

// ---- PostgreSQL ----

constexpr const char* kEventsChannel = "sd_events";
constexpr const char* kSignalsChannel = "sd_signals";

// Events in commit order, by the transactions that wrote them: each event
// keeps its transaction id (xid8), and a read returns the events of the
// transactions that became visible between two snapshots. A transaction
// that took a lower event id but committed later is in the later window,
// so nothing is skipped; nothing is told twice.
class PgFeed final : public EventFeed {
 public:
  explicit PgFeed(Pool& pool) : m_pool(pool) {
    Lease c(m_pool);
    m_prev = snapshot(*c);
  }

  Result<std::vector<EventRef>> next(int limit) override {
    std::vector<EventRef> out;
    try {
      Lease c(m_pool);
      if (m_cur.empty()) {
        m_cur = snapshot(*c);
        m_after = 0;
      }
      c->query(
          "SELECT ticket_id, id FROM events WHERE xid >= pg_snapshot_xmin($1::pg_snapshot) AND "
          "pg_visible_in_snapshot(xid, $2::pg_snapshot) AND NOT pg_visible_in_snapshot(xid, "
          "$1::pg_snapshot) AND id > $3 ORDER BY id LIMIT $4",
          {m_prev, m_cur, m_after, std::int64_t{limit}}, [&](const Row& r) {
            out.push_back({r.i64(0), r.i64(1)});
          });
    } catch (const DbError& e) {
      return db_error_to_error(e);
    }
    if (static_cast<int>(out.size()) < limit) {
      // This window is read to its end: the next read starts a new one.
      m_prev = m_cur;
      m_cur.clear();
    } else {
      m_after = out.back().event_id;
    }
    return out;
  }

 private:
  static std::string snapshot(Conn& c) {
    std::string s;
    c.query("SELECT pg_current_snapshot()::text", {}, [&](const Row& r) { s = r.text(0); });
    return s;
  }

  Pool& m_pool;
  std::string m_prev;  // events visible here were told
  std::string m_cur;   // the window being read, up to this snapshot
  Id m_after = 0;      // within the window, ids told so far
};

class PgStore final : public Store {
 public:
  explicit PgStore(const StoreOptions& o)
      : m_url(o.url),
        m_pool([url = o.url] { return open_postgres(url); }, o.read_connections,
               o.acquire_timeout) {
    // Fail at start-up, not at the first request, when the server is absent.
    m_pool.release(m_pool.acquire());
  }

  ~PgStore() override {
    m_stop = true;
    if (m_listen_thread.joinable()) m_listen_thread.join();
  }

  Dialect dialect() const override { return Dialect::postgres; }

  Result<int> migrate(Instant now) override {
    try {
      auto c = open_postgres(m_url);
      return sd::store::migrate(*c, now);
    } catch (const DbError& e) {
      return db_error_to_error(e);
    }
  }

  // Returns once the LISTEN connection is up (or after 10 s), so that a
  // node that says it is serving already hears every commit.
  void set_commit_listener(CommitListener listener) override {
    {
      std::lock_guard lock(m_listener_mu);
      m_listener = std::move(listener);
    }
    if (m_listen_thread.joinable()) return;
    m_listen_thread = std::thread([this] { listen_loop(); });
    std::unique_lock lock(m_listener_mu);
    m_ready_cv.wait_for(lock, std::chrono::seconds(10), [&] { return m_listening; });
  }

  std::unique_ptr<EventFeed> open_feed() override { return std::make_unique<PgFeed>(m_pool); }

  void send_signal(const std::string& payload) override {
    if (payload.size() > 7900) return;
    try {
      Lease c(m_pool);
      c->exec("SELECT pg_notify('sd_signals', $1)", {payload});
    } catch (const DbError&) {
      // A lost signal is repaired by the sender's next refresh.
    }
  }

  void set_signal_listener(SignalListener listener) override {
    std::lock_guard lock(m_listener_mu);
    m_signal_listener = std::move(listener);
  }

  std::vector<Status> write_each(const std::vector<Body>& bodies) override {
    std::vector<Status> out;
    for (const auto& b : bodies) out.push_back(run_tx(b, TxMode::write));
    return out;
  }

 protected:
  Status run_tx(const Body& body, TxMode mode) override {
    if (mode == TxMode::write && t_write_depth > 0) return nested_write();
    for (int attempt = 1;; ++attempt) {
      try {
        return attempt_tx(body, mode);
      } catch (const DbError& e) {
        // A serialization failure or deadlock: the transaction was rolled
        // back; run it again after a short, growing pause.
        if (attempt >= kMaxRetries) return db_error_to_error(e);
        std::this_thread::sleep_for(std::chrono::milliseconds(2 * attempt * attempt));
      }
    }
  }

 private:
  // One run of the transaction. Reads run in autocommit: each is one or a
  // few independent lookups, and a BEGIN/COMMIT pair would double their
  // round trips. Throws DbError only when the run may be retried.
  Status attempt_tx(const Body& body, TxMode mode) {
    std::optional<Lease> c;
    try {
      c.emplace(m_pool);
    } catch (const DbError& e) {
      return db_error_to_error(e);
    }
    Conn& conn = **c;
    if (mode == TxMode::read) {
      Tx tx(conn, TxMode::read);
      return guarded(body, tx);
    }
    try {
      conn.exec_script("BEGIN");
      Status st;
      CommitNews news;
      {
        InWrite in_write;
        Tx tx(conn, TxMode::write);
        st = guarded(body, tx);
        news.events = !tx.new_events().empty();
        news.jobs = tx.new_jobs() > 0;
        // The search index, in step, in the same transaction.
        if (st) tx.search().reindex(tx.search_tickets(), tx.search_articles());
      }
      if (!st) {
        rollback_quietly(conn);
        return st;
      }
      // Delivered to every listening node when (and only if) this commits.
      if (news.events || news.jobs)
        conn.exec("SELECT pg_notify('sd_events', $1)",
                  {std::string(news.events ? "e" : "") + (news.jobs ? "j" : "")});
      conn.exec_script("COMMIT");
      return st;
    } catch (const DbError& e) {
      rollback_quietly(conn);
      if (e.kind() == DbError::Kind::retryable) throw;
      return db_error_to_error(e);
    }
  }

  void notify(const CommitNews& news) {
    std::lock_guard lock(m_listener_mu);
    if (m_listener) m_listener(news);
  }

  // Holds a LISTEN connection, reconnecting when it drops, until stopped.
  // After each (re)connection the listener is woken: whatever committed
  // while nobody listened is then read from the feed and the jobs table.
  void listen_loop() {
    while (!m_stop) {
      PGconn* c = PQconnectdb(m_url.c_str());
      bool listening = false;
      if (PQstatus(c) == CONNECTION_OK) {
        PGresult* r = PQexec(
            c, (std::string("LISTEN ") + kEventsChannel + "; LISTEN " + kSignalsChannel).c_str());
        listening = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
      }
      if (listening) {
        {
          std::lock_guard lock(m_listener_mu);
          m_listening = true;
        }
        m_ready_cv.notify_all();
        notify({true, true});
        while (!m_stop && PQstatus(c) == CONNECTION_OK) {
          pollfd fd{PQsocket(c), POLLIN, 0};
          if (poll(&fd, 1, 200) > 0 && !PQconsumeInput(c)) break;
          CommitNews news;
          while (PGnotify* n = PQnotifies(c)) {
            if (std::strcmp(n->relname, kSignalsChannel) == 0) {
              std::string payload = n->extra;
              PQfreemem(n);
              std::lock_guard lock(m_listener_mu);
              if (m_signal_listener) m_signal_listener(payload);
              continue;
            }
            news.events = news.events || std::strchr(n->extra, 'e') != nullptr;
            news.jobs = news.jobs || std::strchr(n->extra, 'j') != nullptr;
            PQfreemem(n);
          }
          if (news.events || news.jobs) notify(news);
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
  CommitListener m_listener;
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
