#include "desk/reports.hpp"

#include <charconv>
#include <map>

#include "domain/permissions.hpp"
#include "store/repo/groups.hpp"
#include "store/repo/organisations.hpp"

namespace sd::desk {
namespace {

store::SlaGroup store_key(SlaReportBy by) {
  switch (by) {
    case SlaReportBy::type:
      return store::SlaGroup::type;
    case SlaReportBy::priority:
      return store::SlaGroup::priority;
    case SlaReportBy::support_level:
      return store::SlaGroup::support_level;
    case SlaReportBy::group:
      return store::SlaGroup::group;
    case SlaReportBy::organisation:
      return store::SlaGroup::organisation;
    case SlaReportBy::day:
    case SlaReportBy::week:
    case SlaReportBy::month:
      return store::SlaGroup::day;
  }
  return store::SlaGroup::type;
}

void add(store::SlaReportRow& to, const store::SlaReportRow& r) {
  to.tickets += r.tickets;
  to.first_response_met += r.first_response_met;
  to.first_response_breached += r.first_response_breached;
  to.resolution_met += r.resolution_met;
  to.resolution_breached += r.resolution_breached;
}

std::int64_t number(const std::string& s) {
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// The day, week (its Monday) or month of a UTC day number.
std::string period_of(std::int64_t day, SlaReportBy by) {
  if (by == SlaReportBy::week) day -= (day + 3) % 7;  // 1970-01-01 was a Thursday
  const std::string date = utc_date(from_unix_ms(day * 86'400'000));
  return by == SlaReportBy::month ? date.substr(0, 7) : date;
}

}  // namespace

Result<SlaReport> sla_report(store::Tx& tx, const Actor& a, const SlaReportQuery& q) {
  if (!is_staff(a) || a.role == Role::agent)
    return make_error(ErrorCode::forbidden, "only supervisors and admins see reports");
  SlaReport out;
  const auto rows = tx.reports().sla(store_key(q.by), q.from, q.to);
  for (const auto& r : rows) add(out.totals, r);
  out.totals.key = "total";
  if (q.by == SlaReportBy::day || q.by == SlaReportBy::week || q.by == SlaReportBy::month) {
    std::map<std::string, store::SlaReportRow> periods;
    for (const auto& r : rows) {
      const std::string p = period_of(number(r.key), q.by);
      auto& into = periods[p];
      into.key = p;
      add(into, r);
    }
    for (auto& [p, r] : periods) out.items.push_back({r, p});
  } else {
    std::map<Id, std::string> names;
    if (q.by == SlaReportBy::group)
      for (const auto& g : tx.groups().list()) names[g.id] = g.name;
    for (const auto& r : rows) {
      SlaReportItem item{r, r.key};
      if (q.by == SlaReportBy::group && !r.key.empty()) item.label = names[number(r.key)];
      if (q.by == SlaReportBy::organisation && !r.key.empty())
        if (auto o = tx.organisations().find(number(r.key))) item.label = o->name;
      out.items.push_back(std::move(item));
    }
  }
  out.escalations = tx.reports().escalations(q.from, q.to);
  return out;
}

Result<store::ReportRepo::Knowledge> knowledge_report(store::Tx& tx, const Actor& a, Instant from,
                                                      Instant to) {
  if (!is_staff(a) || a.role == Role::agent)
    return make_error(ErrorCode::forbidden, "only supervisors and admins see reports");
  return tx.reports().knowledge(from, to, 10);
}

}  // namespace sd::desk
