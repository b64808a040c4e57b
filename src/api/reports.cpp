// /reports/sla: service-level compliance for supervisors, as JSON or CSV;
// /reports/knowledge: first-contact resolution and the knowledge base's part.
#include "desk/reports.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "api/json_io.hpp"
#include "api/query.hpp"
#include "api/router.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;
using store::Tx;

struct ByName {
  const char* name;
  desk::SlaReportBy by;
};
constexpr ByName kBy[] = {
    {"type", desk::SlaReportBy::type},
    {"priority", desk::SlaReportBy::priority},
    {"support_level", desk::SlaReportBy::support_level},
    {"group", desk::SlaReportBy::group},
    {"organisation", desk::SlaReportBy::organisation},
    {"day", desk::SlaReportBy::day},
    {"week", desk::SlaReportBy::week},
    {"month", desk::SlaReportBy::month},
};

json::value rate(std::int64_t met, std::int64_t breached) {
  if (met + breached == 0) return nullptr;
  return static_cast<double>(met) / static_cast<double>(met + breached);
}

// A priority key is its number in the store; the API names it.
std::string key_text(const std::string& key, desk::SlaReportBy by) {
  if (by == desk::SlaReportBy::priority && key.size() == 1 && key[0] >= '1' && key[0] <= '4')
    return std::string(to_string(static_cast<Priority>(key[0] - '0')));
  return key;
}

json::object row_json(const store::SlaReportRow& r, const std::string& key,
                      const std::string& label) {
  return {{"key", key},
          {"label", label},
          {"tickets", r.tickets},
          {"first_response_met", r.first_response_met},
          {"first_response_breached", r.first_response_breached},
          {"first_response_rate", rate(r.first_response_met, r.first_response_breached)},
          {"resolution_met", r.resolution_met},
          {"resolution_breached", r.resolution_breached},
          {"resolution_rate", rate(r.resolution_met, r.resolution_breached)}};
}

// A CSV field: quoted, with quotes doubled; a leading = + - @ is kept from
// spreadsheets by a quote mark (no formula from the desk's data).
std::string csv(const std::string& s) {
  std::string out = "\"";
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) out += '\'';
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_rate(std::int64_t met, std::int64_t breached) {
  if (met + breached == 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f",
                static_cast<double>(met) / static_cast<double>(met + breached));
  return buf;
}

// A report's period from its from and to parameters (YYYY-MM-DD, UTC, both
// days included; by default the last 30 days), as [from, to).
struct Period {
  Instant from{}, to{};
};
Result<Period> report_period(const Ctx& ctx) {
  const Instant today = std::chrono::floor<std::chrono::days>(ctx.s.clock.now());
  Period p;
  p.to = today + std::chrono::days(1);
  p.from = p.to - std::chrono::days(30);
  if (auto f = ctx.param("from")) {
    auto d = parse_date(*f);
    if (!d) return make_error(ErrorCode::invalid_input, "query parameter from must be YYYY-MM-DD");
    p.from = *d;
  }
  if (auto t = ctx.param("to")) {
    auto d = parse_date(*t);
    if (!d) return make_error(ErrorCode::invalid_input, "query parameter to must be YYYY-MM-DD");
    p.to = *d + std::chrono::days(1);
  }
  if (p.to <= p.from)
    return make_error(ErrorCode::invalid_input, "query parameter to must not be before from");
  if (p.to - p.from > std::chrono::days(3660))
    return make_error(ErrorCode::invalid_input, "a report covers at most ten years");
  return p;
}

// GET /api/v1/reports/knowledge?from=YYYY-MM-DD&to=YYYY-MM-DD
Result<Response> knowledge_report(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"from", "to"}); !s) return s.error();
  auto period = report_period(ctx);
  if (!period) return period.error();
  auto k = ctx.s.store.read(
      [&](Tx& tx) { return desk::knowledge_report(tx, ctx.actor(), period->from, period->to); });
  if (!k) return k.error();
  json::array top;
  for (const auto& t : k->top_deflecting)
    top.push_back(
        json::object{{"article_id", t.article_id}, {"title", t.title}, {"count", t.count}});
  json::value fcr = nullptr;
  if (k->resolved > 0)
    fcr = static_cast<double>(k->first_contact) / static_cast<double>(k->resolved);
  return json_response(200, json::object{{"from", utc_date(period->from)},
                                         {"to", utc_date(period->to - std::chrono::days(1))},
                                         {"resolved", k->resolved},
                                         {"first_contact", k->first_contact},
                                         {"first_contact_rate", fcr},
                                         {"deflections", k->deflections},
                                         {"solutions_linked", k->solutions_linked},
                                         {"articles_published", k->articles_published},
                                         {"helpful_yes", k->helpful_yes},
                                         {"helpful_no", k->helpful_no},
                                         {"top_deflecting", std::move(top)}});
}

// GET /api/v1/reports/sla?from=YYYY-MM-DD&to=YYYY-MM-DD&group_by=...&format=json|csv
Result<Response> sla_report(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"from", "to", "group_by", "format"}); !s)
    return s.error();
  desk::SlaReportQuery q;
  auto period = report_period(ctx);
  if (!period) return period.error();
  q.from = period->from;
  q.to = period->to;
  const std::string by = std::string(ctx.param("group_by").value_or("type"));
  bool known = false;
  for (const auto& b : kBy)
    if (by == b.name) {
      q.by = b.by;
      known = true;
    }
  if (!known)
    return make_error(ErrorCode::invalid_input,
                      "query parameter group_by must be type, priority, support_level, group, "
                      "organisation, day, week or month");
  const std::string format = std::string(ctx.param("format").value_or("json"));
  if (format != "json" && format != "csv")
    return make_error(ErrorCode::invalid_input, "query parameter format must be json or csv");
  auto report = ctx.s.store.read([&](Tx& tx) { return desk::sla_report(tx, ctx.actor(), q); });
  if (!report) return report.error();

  if (format == "csv") {
    std::string body =
        "key,label,tickets,first_response_met,first_response_breached,first_response_rate,"
        "resolution_met,resolution_breached,resolution_rate\r\n";
    auto line = [&](const store::SlaReportRow& r, const std::string& key,
                    const std::string& label) {
      body += csv(key) + "," + csv(label) + "," + std::to_string(r.tickets) + "," +
              std::to_string(r.first_response_met) + "," +
              std::to_string(r.first_response_breached) + "," +
              csv_rate(r.first_response_met, r.first_response_breached) + "," +
              std::to_string(r.resolution_met) + "," + std::to_string(r.resolution_breached) + "," +
              csv_rate(r.resolution_met, r.resolution_breached) + "\r\n";
    };
    for (const auto& i : report->items) line(i.row, key_text(i.row.key, q.by), i.label);
    line(report->totals, "total", "");
    Response r;
    r.status = 200;
    r.content_type = "text/csv; charset=utf-8";
    r.body = std::move(body);
    r.headers.emplace_back("Content-Disposition",
                           "attachment; filename=\"service-levels-" + by + ".csv\"");
    return r;
  }
  json::array items;
  for (const auto& i : report->items)
    items.push_back(row_json(i.row, key_text(i.row.key, q.by), i.label));
  json::object esc, sl, dl;
  for (const auto& [level, n] : report->escalations.support_level) sl[std::to_string(level)] = n;
  for (const auto& [level, n] : report->escalations.directory_level) dl[std::to_string(level)] = n;
  esc["support_level"] = std::move(sl);
  esc["directory_level"] = std::move(dl);
  return json_response(200, json::object{{"from", utc_date(q.from)},
                                         {"to", utc_date(q.to - std::chrono::days(1))},
                                         {"group_by", by},
                                         {"items", std::move(items)},
                                         {"totals", row_json(report->totals, "total", "")},
                                         {"escalations", std::move(esc)}});
}

}  // namespace

void add_report_routes(std::vector<Route>& out) {
  out.push_back({Method::get, "/api/v1/reports/sla", sla_report, Policy::supervisor});
  out.push_back({Method::get, "/api/v1/reports/knowledge", knowledge_report, Policy::supervisor});
}

}  // namespace sd::api
