#include "jobs/runner.hpp"

#include <spdlog/spdlog.h>

namespace sd::jobs {

namespace {
std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += ' ';
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string describe(const Error& e) {
  return e.cause.empty() ? e.detail : e.detail + ": " + e.cause;
}
}  // namespace

Runner::Runner(store::Store& store, const Clock& clock, const desk::JobHandlers& handlers,
               RunnerOptions options, desk::OutsideJobHandlers outside)
    : m_store(store),
      m_clock(clock),
      m_handlers(handlers),
      m_opt(std::move(options)),
      m_outside(std::move(outside)) {}

Runner::~Runner() { stop(); }

void Runner::start() {
  if (m_thread.joinable()) return;
  auto s = m_store.write([&](store::Tx& tx) -> Result<bool> {
    if (auto st = desk::schedule_maintenance(tx, m_clock.now()); !st) return st.error();
    return true;
  });
  if (!s)
    spdlog::warn(R"("msg":"could not schedule the daily maintenance","error":{})",
                 json_quote(describe(s.error())));
  m_thread = std::thread([this] { loop(); });
}

void Runner::stop() {
  {
    std::lock_guard lock(m_mu);
    m_stopping = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void Runner::wake() {
  {
    std::lock_guard lock(m_mu);
    m_woken = true;
  }
  m_cv.notify_all();
}

void Runner::loop() {
  for (;;) {
    {
      std::lock_guard lock(m_mu);
      if (m_stopping) return;
      m_woken = false;
    }
    const int claimed = run_batch();
    // A full batch means more may be due: go again at once.
    if (claimed >= m_opt.batch) continue;
    std::unique_lock lock(m_mu);
    m_cv.wait_for(lock, m_opt.poll, [&] { return m_stopping || m_woken; });
  }
}

int Runner::run_batch() {
  const Instant now = m_clock.now();
  auto claimed = m_store.write([&](store::Tx& tx) -> Result<std::vector<Job>> {
    return desk::claim_jobs(tx, m_opt.node, now, m_opt.lease, m_opt.batch);
  });
  if (!claimed) {
    spdlog::warn(R"("msg":"could not claim jobs","error":{})",
                 json_quote(describe(claimed.error())));
    return 0;
  }
  if (claimed->empty()) return 0;
  std::vector<store::Store::Body> bodies;
  std::vector<const Job*> inside;
  for (const Job& job : *claimed) {
    if (m_outside.count(job.kind)) continue;
    inside.push_back(&job);
    bodies.push_back([&, job](store::Tx& tx) -> Status {
      return desk::run_job(tx, m_handlers, m_opt.node, job, m_clock.now());
    });
  }
  const auto results = m_store.write_each(bodies);
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i]) continue;
    const Error& e = results[i].error();
    // The lease went to another node: that node runs it, nothing to record.
    if (e.code == ErrorCode::conflict && e.detail == desk::kLeaseLost) continue;
    failed(*inside[i], e);
  }
  // Work outside the database, one job at a time, each marked done after.
  for (const Job& job : *claimed) {
    auto h = m_outside.find(job.kind);
    if (h == m_outside.end()) continue;
    if (auto s = h->second(job, m_clock.now()); !s) {
      failed(job, s.error());
      continue;
    }
    auto done = m_store.write([&](store::Tx& tx) -> Result<bool> {
      return tx.jobs().complete(job.id, m_opt.node, m_clock.now());
    });
    if (!done)
      spdlog::warn(R"("msg":"could not mark a job done","job_id":{},"error":{})", job.id,
                   json_quote(describe(done.error())));
  }
  return static_cast<int>(claimed->size());
}

void Runner::failed(const Job& job, const Error& e) {
  const std::string why = describe(e);
  spdlog::warn(R"("msg":"job failed","job_id":{},"kind":{},"attempt":{},"error":{})", job.id,
               json_quote(job.kind), job.attempts, json_quote(why));
  auto r = m_store.write([&](store::Tx& tx) -> Result<bool> {
    if (auto s = desk::record_job_failure(tx, m_opt.node, job, why, m_clock.now()); !s)
      return s.error();
    return true;
  });
  if (!r)
    spdlog::warn(R"("msg":"could not record a job's failure","job_id":{},"error":{})", job.id,
                 json_quote(describe(r.error())));
}

}  // namespace sd::jobs
