// The store: transactions over the repository, on SQLite or PostgreSQL.
//
// write(f) runs f(Tx&) in a transaction and returns only once that
// transaction is durable. On SQLite one writer thread runs the writes of all
// waiting callers in one transaction (group commit, each caller in its own
// savepoint), so concurrent requests share one fsync. read(f) runs on a
// pooled connection. Both block the calling thread: call them from worker
// threads, never from an I/O event loop. Thread-safe.
#pragma once

#include "domain/error.hpp"
#include "store/repo.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

namespace sd::store {

struct StoreOptions {
  std::string url;          // a file path, or postgresql://...
  int read_connections = 8;  // pool size for reads (and writes on PostgreSQL)
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Dialect dialect() const = 0;
  // Applies pending migrations; returns how many ran.
  virtual Result<int> migrate(Millis now) = 0;
  // Whether the database answers.
  Status ping() {
    return run_tx(
        [](Tx& tx) -> Status {
          tx.conn().exec("SELECT 1");
          return {};
        },
        Mode::read);
  }

  // Called with the events of each committed transaction: on SQLite by the
  // writer right after commit; on PostgreSQL by a LISTEN thread, for commits
  // of every node sharing the database. The listener must not block: it
  // runs on the store's own thread. Setting an empty one stops the calls.
  using EventListener = std::function<void(const std::vector<EventRef>&)>;
  virtual void set_event_listener(EventListener listener) = 0;

  // Short messages between the nodes sharing this store (PostgreSQL NOTIFY,
  // at most ~7900 bytes; every node, the sender too, hears each). On SQLite
  // there is one node and nothing to send. The listener runs on the store's
  // thread, like the event listener; set it before the event listener.
  using SignalListener = std::function<void(const std::string&)>;
  virtual void send_signal(const std::string& payload) = 0;
  virtual void set_signal_listener(SignalListener listener) = 0;

  template <class F>
  auto write(F&& f) -> std::invoke_result_t<F, Tx&> {
    return run<std::invoke_result_t<F, Tx&>>(std::forward<F>(f), Mode::write);
  }
  template <class F>
  auto read(F&& f) -> std::invoke_result_t<F, Tx&> {
    return run<std::invoke_result_t<F, Tx&>>(std::forward<F>(f), Mode::read);
  }

 protected:
  enum class Mode { read, write };
  // Runs `body` in a transaction; a failed Status rolls the body back.
  virtual Status run_tx(const std::function<Status(Tx&)>& body, Mode mode) = 0;

 private:
  template <class R, class F>
  R run(F&& f, Mode mode) {
    std::optional<R> out;
    Status s = run_tx(
        [&](Tx& tx) -> Status {
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

// Converts a driver failure to a domain error (unique violation: conflict).
Error db_error_to_error(const DbError& e);

}  // namespace sd::store
