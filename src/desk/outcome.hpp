// What a use case of desk/ returns: the record it changed, the timeline
// events it wrote and the jobs it enqueued, all in the caller's transaction.
// Effects collects the last two while the use case runs; it is the only way
// desk/ appends events and enqueues jobs.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "domain/job.hpp"
#include "domain/model.hpp"
#include "store/repo/events.hpp"
#include "store/repo/jobs.hpp"

namespace sd::desk {

template <class T>
struct Outcome {
  T value;
  std::vector<Event> events;  // as stored, with their ids
  std::vector<Job> jobs;      // newly enqueued (a deduplicated one is not here)
};

class Effects {
 public:
  explicit Effects(store::Tx& tx) : m_tx(tx) {}

  // Appends an event to its ticket's timeline.
  Id event(Event e) {
    e.id = m_tx.events().append(e);
    m_events.push_back(std::move(e));
    return m_events.back().id;
  }

  // Enqueues a job unless one with its dedupe key exists.
  std::optional<Id> job(const JobSpec& spec, Instant now) {
    auto id = m_tx.jobs().enqueue(spec, now);
    if (id) {
      Job j;
      j.id = *id;
      j.kind = spec.kind;
      j.payload = spec.payload;
      j.due_at = spec.due_at;
      j.dedupe_key = spec.dedupe_key;
      j.max_attempts = spec.max_attempts;
      j.created_at = j.updated_at = now;
      m_jobs.push_back(std::move(j));
    }
    return id;
  }

  const std::vector<Event>& events() const { return m_events; }

  // A use case called from another: its events and jobs become this one's;
  // its value is returned.
  template <class T>
  T take(Outcome<T>&& o) {
    for (auto& e : o.events) m_events.push_back(std::move(e));
    for (auto& j : o.jobs) m_jobs.push_back(std::move(j));
    return std::move(o.value);
  }

  template <class T>
  Outcome<T> done(T value) {
    return Outcome<T>{std::move(value), std::move(m_events), std::move(m_jobs)};
  }

 private:
  store::Tx& m_tx;
  std::vector<Event> m_events;
  std::vector<Job> m_jobs;
};

}  // namespace sd::desk
