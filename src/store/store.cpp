#include "store/store.hpp"

#include "store/migrations.hpp"
#include "store/pg_conn.hpp"
#include "store/sqlite_conn.hpp"

#include <condition_variable>
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

// Runs body on conn, converting driver exceptions to errors.
Status guarded(const std::function<Status(Tx&)>& body, Conn& conn) {
  try {
    Tx tx(conn);
    return body(tx);
  } catch (const DbError& e) {
    return db_error_to_error(e);
  }
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

// Runs body in BEGIN/COMMIT on a pooled connection.
Status pooled_tx(Pool& pool, const std::function<Status(Tx&)>& body, const char* begin) {
  std::unique_ptr<Conn> c;
  try {
    c = pool.acquire();
  } catch (const DbError& e) {
    return make_error(ErrorCode::unavailable, "the database cannot be reached");
  }
  Status st;
  try {
    c->exec(begin);
    st = guarded(body, *c);
    c->exec(st ? "COMMIT" : "ROLLBACK");
  } catch (const DbError& e) {
    try {
      if (!c->broken()) c->exec("ROLLBACK");
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

  Status ping() override {
    return run_tx([](Tx& tx) -> Status {
      tx.conn().exec("SELECT 1");
      return {};
    }, Mode::read);
  }

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
    // Runs on the caller's thread with the writer's lock held, for work that
    // manages its own transactions (migrations).
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
    try {
      c.exec("BEGIN IMMEDIATE");
      if (batch.size() == 1) {
        // Alone in its transaction, a job needs no savepoint: statements
        // inside one pay for a statement journal.
        results[0] = guarded(*batch[0]->body, c);
        c.exec(results[0] ? "COMMIT" : "ROLLBACK");
      } else {
        for (std::size_t i = 0; i < batch.size(); ++i) {
          c.exec("SAVEPOINT job");
          results[i] = guarded(*batch[i]->body, c);
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
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->done.set_value(results[i]);
  }

  std::string m_path;
  std::unique_ptr<Conn> m_writer_conn;
  Pool m_readers;
  std::mutex m_direct_mu;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<Job*> m_queue;
  bool m_stopping = false;
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

  Status ping() override {
    return run_tx([](Tx& tx) -> Status {
      tx.conn().exec("SELECT 1");
      return {};
    }, Mode::read);
  }

 protected:
  Status run_tx(const std::function<Status(Tx&)>& body, Mode mode) override {
    return pooled_tx(m_pool, body,
                     mode == Mode::read ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                        : "BEGIN");
  }

 private:
  std::string m_url;
  Pool m_pool;
};

}  // namespace

std::unique_ptr<Store> open_store(const StoreOptions& options) {
  if (options.url.starts_with("postgresql://") || options.url.starts_with("postgres://"))
    return std::make_unique<PgStore>(options);
  return std::make_unique<SqliteStore>(options);
}

}  // namespace sd::store
