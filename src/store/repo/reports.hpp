// Aggregates for supervisors' reports, computed by the database.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "domain/time.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

// How a service-level report groups tickets.
enum class SlaGroup { type, priority, support_level, group, organisation, day };

// Tickets under a policy, by one key, created in a period.
struct SlaReportRow {
  std::string key;  // the type or priority name, the level, the id, the UTC day number
  std::int64_t tickets = 0;
  std::int64_t first_response_met = 0, first_response_breached = 0;
  std::int64_t resolution_met = 0, resolution_breached = 0;
};

class ReportRepo : Repo {
 public:
  explicit ReportRepo(Tx& tx) : Repo(tx) {}
  // Tickets with a policy created in [from, to), grouped by `by`.
  std::vector<SlaReportRow> sla(SlaGroup by, Instant from, Instant to);
  // Escalation events written in [from, to): functional ones by the
  // support level reached, hierarchical ones by the directory level told.
  struct Escalations {
    std::map<int, std::int64_t> support_level, directory_level;
  };
  Escalations escalations(Instant from, Instant to);

  // The knowledge base's part in the period [from, to).
  struct Knowledge {
    // Tickets resolved in the period; those of them resolved at support
    // level 1, never escalated to another level and never reopened.
    std::int64_t resolved = 0, first_contact = 0;
    std::int64_t deflections = 0, solutions_linked = 0, articles_published = 0;
    std::int64_t helpful_yes = 0, helpful_no = 0;  // votes cast in the period
    struct Top {
      Id article_id = 0;
      std::string title;
      std::int64_t count = 0;
    };
    std::vector<Top> top_deflecting;
  };
  Knowledge knowledge(Instant from, Instant to, int top);
};

inline ReportRepo Tx::reports() { return ReportRepo(*this); }

}  // namespace sd::store
