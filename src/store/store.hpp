// The store: transactions over the repositories, on SQLite or PostgreSQL.
//
// write(f) runs f(Tx&) in a transaction and returns only once that
// transaction is durable. On SQLite one writer thread runs the writes of all
// waiting callers in one transaction (group commit, each caller in its own
// savepoint), so concurrent requests share one fsync. read(f) runs on a
// pooled connection. Both block the calling thread: call them from worker
// threads, never from an I/O event loop. Thread-safe.
//
// A body that returns an error or throws anything is rolled back, and its
// connection goes back to the pool. A write started inside a write's body is
// refused (it would wait for itself). On PostgreSQL a transaction that meets
// a serialization failure or a deadlock runs again, a few times at most, so
// a body must be safe to run twice (each run starts from what it captured).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "domain/error.hpp"
#include "store/sqlite_conn.hpp"
#include "store/tx.hpp"

namespace sd::store {

struct StoreOptions {
  std::string url;                       // a file path, or postgresql://...
  int read_connections = 8;              // pool size for reads (and writes on PostgreSQL)
  SqliteTuning sqlite;                   // per reading connection
  long sqlite_writer_cache_kib = 65536;  // the one writer changes index pages all over the file
  Duration acquire_timeout = std::chrono::seconds(10);  // waiting for a pooled connection
};

// The events committed since the last call, in commit order: no event is
// skipped, even one whose transaction took a lower id and committed later,
// and none is told twice. Starts at the moment it is opened. Used by one
// thread at a time.
class EventFeed {
 public:
  virtual ~EventFeed() = default;
  virtual Result<std::vector<EventRef>> next(int limit) = 0;
};

// What a committed transaction wrote that someone may be waiting for.
struct CommitNews {
  bool events = false;
  bool jobs = false;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Dialect dialect() const = 0;
  // Applies pending migrations; returns how many ran.
  virtual Result<int> migrate(Instant now) = 0;
  // Whether the database answers.
  Status ping() {
    return run_tx(
        [](Tx& tx) -> Status {
          tx.m_c.exec("SELECT 1");
          return {};
        },
        TxMode::read);
  }

  // Called after commits that wrote events or jobs: on SQLite by the writer
  // right after its commit; on PostgreSQL by a LISTEN thread, for commits of
  // every node sharing the database (NOTIFY). A wake-up only: what changed
  // is read from the feed or the jobs table. The listener must not block.
  // Setting an empty one stops the calls.
  using CommitListener = std::function<void(const CommitNews&)>;
  virtual void set_commit_listener(CommitListener listener) = 0;

  virtual std::unique_ptr<EventFeed> open_feed() = 0;

  // Short messages between the nodes sharing this store (PostgreSQL NOTIFY,
  // at most ~7900 bytes; every node, the sender too, hears each). On SQLite
  // there is one node and nothing to send. The listener runs on the store's
  // thread, like the commit listener; set it before the commit listener.
  using SignalListener = std::function<void(const std::string&)>;
  virtual void send_signal(const std::string& payload) = 0;
  virtual void set_signal_listener(SignalListener listener) = 0;

  template <class F>
  auto write(F&& f) -> std::invoke_result_t<F, Tx&> {
    return run<std::invoke_result_t<F, Tx&>>(std::forward<F>(f), TxMode::write);
  }
  template <class F>
  auto read(F&& f) -> std::invoke_result_t<F, Tx&> {
    return run<std::invoke_result_t<F, Tx&>>(std::forward<F>(f), TxMode::read);
  }

  // Several independent writes at once, each committed or rolled back on
  // its own; on SQLite they share one group commit. Returns their statuses
  // in order.
  using Body = std::function<Status(Tx&)>;
  virtual std::vector<Status> write_each(const std::vector<Body>& bodies) = 0;

 protected:
  // Runs `body` in a transaction; a failed Status rolls the body back.
  virtual Status run_tx(const Body& body, TxMode mode) = 0;

 private:
  template <class R, class F>
  R run(F&& f, TxMode mode) {
    std::optional<R> out;
    Status s = run_tx(
        [&](Tx& tx) -> Status {
          out.reset();
          out.emplace(f(tx));
          if (out->has_error()) return out->error();
          return {};
        },
        mode);
    if (!s) return s.error();
    return std::move(*out);
  }
};

// Opens the store named by options.url. Throws on failure to open: that is a
// start-up failure.
std::unique_ptr<Store> open_store(const StoreOptions& options);

// Converts a driver failure to a domain error (unique violation: conflict),
// keeping the driver's message as the cause.
Error db_error_to_error(const DbError& e);

}  // namespace sd::store
