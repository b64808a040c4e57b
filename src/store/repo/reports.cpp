#include "store/repo/reports.hpp"

#include <charconv>

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;

const char* key_sql(SlaGroup by) {
  switch (by) {
    case SlaGroup::type:
      return "t.type";
    case SlaGroup::priority:
      return "CAST(t.priority AS TEXT)";
    case SlaGroup::support_level:
      return "CAST(t.support_level AS TEXT)";
    case SlaGroup::group:
      return "COALESCE(CAST(t.group_id AS TEXT), '')";
    case SlaGroup::organisation:
      return "COALESCE(CAST(t.organisation_id AS TEXT), '')";
    case SlaGroup::day:
      return "CAST(t.created_at / 86400000 AS TEXT)";
  }
  return "t.type";
}

}  // namespace

std::vector<SlaReportRow> ReportRepo::sla(SlaGroup by, Instant from, Instant to) {
  const std::string key = key_sql(by);
  std::vector<SlaReportRow> out;
  conn().query(
      "SELECT " + key +
          ", COUNT(*), SUM(CASE WHEN s.first_response_at IS NOT NULL AND "
          "s.first_response_breached_at IS NULL THEN 1 ELSE 0 END), SUM(CASE WHEN "
          "s.first_response_breached_at IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN "
          "t.status_category IN ('resolved', 'closed') AND s.resolution_breached_at IS NULL AND "
          "t.status <> 'cancelled' THEN 1 ELSE 0 END), SUM(CASE WHEN s.resolution_breached_at IS "
          "NOT NULL THEN 1 ELSE 0 END) FROM tickets t JOIN ticket_slas s ON s.ticket_id = t.id "
          "WHERE s.policy_id IS NOT NULL AND t.created_at >= $1 AND t.created_at < $2 GROUP BY " +
          key + " ORDER BY " + key,
      {at(from), at(to)}, [&](const Row& r) {
        SlaReportRow row;
        row.key = r.text(0);
        row.tickets = r.i64(1);
        row.first_response_met = r.i64(2);
        row.first_response_breached = r.i64(3);
        row.resolution_met = r.i64(4);
        row.resolution_breached = r.i64(5);
        out.push_back(std::move(row));
      });
  return out;
}

ReportRepo::Escalations ReportRepo::escalations(Instant from, Instant to) {
  Escalations e;
  conn().query(
      "SELECT field, new_value, COUNT(*) FROM events WHERE kind = 'escalation' AND field IN "
      "('support_level', 'escalation_level') AND created_at >= $1 AND created_at < $2 GROUP BY "
      "field, new_value",
      {at(from), at(to)}, [&](const Row& r) {
        const std::string field = r.text(0), value = r.text(1);
        int level = 0;
        std::from_chars(value.data(), value.data() + value.size(), level);
        (field == "support_level" ? e.support_level : e.directory_level)[level] += r.i64(2);
      });
  return e;
}

ReportRepo::Knowledge ReportRepo::knowledge(Instant from, Instant to, int top) {
  Knowledge k;
  const Params period{at(from), at(to)};
  conn().query(
      "SELECT COUNT(*), COALESCE(SUM(CASE WHEN t.support_level = 1 AND NOT EXISTS (SELECT 1 FROM "
      "events e WHERE e.ticket_id = t.id AND ((e.kind = 'escalation' AND e.field = "
      "'support_level') OR (e.kind = 'status_change' AND e.old_value = 'resolved' AND "
      "e.new_value NOT IN ('closed', 'resolved')))) THEN 1 ELSE 0 END), 0) FROM tickets t WHERE "
      "t.resolved_at >= $1 AND t.resolved_at < $2",
      period, [&](const Row& r) {
        k.resolved = r.i64(0);
        k.first_contact = r.i64(1);
      });
  conn().query("SELECT COUNT(*) FROM deflections WHERE created_at >= $1 AND created_at < $2",
               period, [&](const Row& r) { k.deflections = r.i64(0); });
  conn().query("SELECT COUNT(*) FROM ticket_solutions WHERE created_at >= $1 AND created_at < $2",
               period, [&](const Row& r) { k.solutions_linked = r.i64(0); });
  conn().query(
      "SELECT COUNT(*) FROM articles WHERE status = 'published' AND published_at >= $1 AND "
      "published_at < $2",
      period, [&](const Row& r) { k.articles_published = r.i64(0); });
  conn().query(
      "SELECT COALESCE(SUM(helpful), 0), COUNT(*) FROM article_votes WHERE created_at >= $1 AND "
      "created_at < $2",
      period, [&](const Row& r) {
        k.helpful_yes = r.i64(0);
        k.helpful_no = r.i64(1) - k.helpful_yes;
      });
  conn().query(
      "SELECT d.article_id, COALESCE(a.title, ''), COUNT(*) FROM deflections d LEFT JOIN "
      "articles a ON a.id = d.article_id WHERE d.created_at >= $1 AND d.created_at < $2 AND "
      "d.article_id IS NOT NULL GROUP BY d.article_id, a.title ORDER BY 3 DESC, 1 LIMIT $3",
      {at(from), at(to), std::int64_t{top}}, [&](const Row& r) {
        k.top_deflecting.push_back({r.i64(0), r.text(1), r.i64(2)});
      });
  return k;
}

}  // namespace sd::store
