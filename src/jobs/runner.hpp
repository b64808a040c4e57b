// The jobs runner inside every `servicedesk serve`: one thread that leases
// due jobs (any node may take any job; a lease keeps two from taking the
// same one), runs each through desk::run_job, and records failures with
// their backoff. It looks for due work at least every `poll` (a job written
// by another process or node, or a clock that moved, never waits longer),
// and at once when woken (a commit that enqueued jobs).
// Thread-safety: start, stop and wake may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "desk/jobs.hpp"
#include "domain/time.hpp"
#include "store/store.hpp"

namespace sd::jobs {

struct RunnerOptions {
  std::string node;  // the lease owner's name: unique per running node
  Duration poll = std::chrono::seconds(1);
  Duration lease = std::chrono::seconds(60);  // a job not done by then goes to another node
  int batch = 32;
};

class Runner {
 public:
  Runner(store::Store& store, const Clock& clock, const desk::JobHandlers& handlers,
         RunnerOptions options, desk::OutsideJobHandlers outside = {});
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  void start();
  // Finishes the job batch in hand, then returns.
  void stop();
  void wake();

 private:
  void loop();
  // Claims and runs one batch; returns how many jobs it claimed.
  int run_batch();
  // Records a job's failure with its backoff.
  void failed(const Job& job, const Error& e);

  store::Store& m_store;
  const Clock& m_clock;
  const desk::JobHandlers& m_handlers;
  RunnerOptions m_opt;
  desk::OutsideJobHandlers m_outside;
  std::mutex m_mu;
  std::condition_variable m_cv;
  bool m_stopping = false;
  bool m_woken = false;
  std::thread m_thread;
};

}  // namespace sd::jobs
