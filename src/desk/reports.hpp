// Reports for supervisors (issue 8): service-level compliance per period,
// type, priority, support level, group and organisation, and escalations
// per level.
#pragma once

#include <string>
#include <vector>

#include "domain/actor.hpp"
#include "domain/error.hpp"
#include "store/repo/reports.hpp"

namespace sd::desk {

// By one of the store's keys, or by calendar week (from Monday) or month
// of creation (UTC).
enum class SlaReportBy { type, priority, support_level, group, organisation, day, week, month };

struct SlaReportQuery {
  Instant from{}, to{};  // tickets created in [from, to)
  SlaReportBy by = SlaReportBy::type;
};

struct SlaReportItem {
  store::SlaReportRow row;
  std::string label;  // a group's or organisation's name, the day, week or month
};

struct SlaReport {
  std::vector<SlaReportItem> items;
  store::SlaReportRow totals;
  store::ReportRepo::Escalations escalations;
};

// Supervisors and admins.
Result<SlaReport> sla_report(store::Tx& tx, const Actor& a, const SlaReportQuery& q);

// The knowledge base's report (issue 10): first-contact resolution,
// deflections, solutions given, articles published, votes; [from, to).
// Supervisors and admins.
Result<store::ReportRepo::Knowledge> knowledge_report(store::Tx& tx, const Actor& a, Instant from,
                                                      Instant to);

}  // namespace sd::desk
