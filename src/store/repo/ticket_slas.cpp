#include "store/repo/ticket_slas.hpp"

#include <charconv>

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;

constexpr const char* kSelect =
    "SELECT ticket_id, policy_id, first_response_at, pauses, first_response_warned_at, "
    "first_response_breached_at, resolution_warned_at, resolution_breached_at, "
    "first_response_due_at, first_response_warning_at, resolution_due_at, resolution_warning_at, "
    "paused, resolution_left_ms, updated_at, coverage, contract_id FROM ticket_slas";

// "from:to:kind;" per pause, `to` empty while open; kind s (pause status)
// or r (resolved).
std::string pauses_text(const std::vector<SlaPause>& v) {
  std::string out;
  for (const auto& p : v) {
    out += std::to_string(to_unix_ms(p.from)) + ":";
    if (p.to) out += std::to_string(to_unix_ms(*p.to));
    out += p.kind == SlaPauseKind::resolved ? ":r;" : ":s;";
  }
  return out;
}

std::int64_t number(std::string_view s) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size())
    throw DbError(DbError::Kind::other, "a malformed pause in ticket_slas.pauses");
  return v;
}

std::vector<SlaPause> pauses_from(std::string_view s) {
  std::vector<SlaPause> out;
  while (!s.empty()) {
    const auto end = s.find(';');
    const std::string_view item = s.substr(0, end);
    const auto a = item.find(':');
    const auto b = item.find(':', a == std::string_view::npos ? a : a + 1);
    if (a == std::string_view::npos || b == std::string_view::npos || b + 2 != item.size())
      throw DbError(DbError::Kind::other, "a malformed pause in ticket_slas.pauses");
    SlaPause p;
    p.from = from_unix_ms(number(item.substr(0, a)));
    if (b > a + 1) p.to = from_unix_ms(number(item.substr(a + 1, b - a - 1)));
    p.kind = item[b + 1] == 'r' ? SlaPauseKind::resolved : SlaPauseKind::status;
    out.push_back(p);
    if (end == std::string_view::npos) break;
    s.remove_prefix(end + 1);
  }
  return out;
}

TicketSla sla_from(const Row& r) {
  TicketSla t;
  t.ticket_id = r.i64(0);
  t.state.policy_id = opt_i64(r, 1);
  t.state.first_response_at = opt_instant(r, 2);
  t.state.pauses = pauses_from(r.text(3));
  for (std::size_t i = 0; i < kSlaMoments; ++i)
    t.state.written[i] = opt_instant(r, 4 + static_cast<int>(i));
  t.first_response_due_at = opt_instant(r, 8);
  t.first_response_warning_at = opt_instant(r, 9);
  t.resolution_due_at = opt_instant(r, 10);
  t.resolution_warning_at = opt_instant(r, 11);
  t.paused = r.i64(12) != 0;
  if (auto left = opt_i64(r, 13)) t.resolution_left = Duration{*left};
  t.updated_at = instant(r, 14);
  t.coverage = enum_col<Coverage>(r, 15, "ticket_slas.coverage");
  t.contract_id = opt_i64(r, 16);
  return t;
}

}  // namespace

std::optional<TicketSla> TicketSlaRepo::find(Id ticket_id) {
  std::optional<TicketSla> out;
  conn().query(std::string(kSelect) + " WHERE ticket_id = $1", {ticket_id},
               [&](const Row& r) { out = sla_from(r); });
  return out;
}

std::unordered_map<Id, TicketSla> TicketSlaRepo::find_many(const std::vector<Id>& ticket_ids) {
  std::unordered_map<Id, TicketSla> out;
  if (ticket_ids.empty()) return out;
  Binder b(dialect());
  std::vector<std::int64_t> v(ticket_ids.begin(), ticket_ids.end());
  conn().query(std::string(kSelect) + " WHERE " + b.any_of("ticket_id", v), b.params,
               [&](const Row& r) {
                 auto s = sla_from(r);
                 out.emplace(s.ticket_id, std::move(s));
               });
  return out;
}

void TicketSlaRepo::save(const TicketSla& s) {
  Params p{s.ticket_id,
           opt(s.state.policy_id),
           opt_at(s.state.first_response_at),
           pauses_text(s.state.pauses),
           opt_at(s.state.written[0]),
           opt_at(s.state.written[1]),
           opt_at(s.state.written[2]),
           opt_at(s.state.written[3]),
           opt_at(s.first_response_due_at),
           opt_at(s.first_response_warning_at),
           opt_at(s.resolution_due_at),
           opt_at(s.resolution_warning_at),
           flag(s.paused),
           s.resolution_left ? Value{s.resolution_left->count()} : Value{nullptr},
           at(s.updated_at),
           name(s.coverage),
           opt(s.contract_id)};
  conn().exec(
      "INSERT INTO ticket_slas (ticket_id, policy_id, first_response_at, pauses, "
      "first_response_warned_at, first_response_breached_at, resolution_warned_at, "
      "resolution_breached_at, first_response_due_at, first_response_warning_at, "
      "resolution_due_at, resolution_warning_at, paused, resolution_left_ms, updated_at, coverage, "
      "contract_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
      "$17) ON CONFLICT (ticket_id) "
      "DO UPDATE SET policy_id = excluded.policy_id, first_response_at = "
      "excluded.first_response_at, pauses = excluded.pauses, first_response_warned_at = "
      "excluded.first_response_warned_at, first_response_breached_at = "
      "excluded.first_response_breached_at, resolution_warned_at = excluded.resolution_warned_at, "
      "resolution_breached_at = excluded.resolution_breached_at, first_response_due_at = "
      "excluded.first_response_due_at, first_response_warning_at = "
      "excluded.first_response_warning_at, resolution_due_at = excluded.resolution_due_at, "
      "resolution_warning_at = excluded.resolution_warning_at, paused = excluded.paused, "
      "resolution_left_ms = excluded.resolution_left_ms, updated_at = excluded.updated_at, "
      "coverage = excluded.coverage, contract_id = excluded.contract_id",
      p);
}

}  // namespace sd::store
