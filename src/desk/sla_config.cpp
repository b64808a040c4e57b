#include "desk/sla_config.hpp"

#include <mutex>

#include "auth/crypto.hpp"
#include "store/repo/calendars.hpp"
#include "store/repo/escalation.hpp"
#include "store/repo/settings.hpp"
#include "store/repo/sla_policies.hpp"

namespace sd::desk {
namespace {

constexpr const char* kVersionKey = "sla.config_version";

std::shared_ptr<const SlaConfig> load(store::Tx& tx) {
  auto c = std::make_shared<SlaConfig>();
  c->policies = tx.sla_policies().list();
  for (const auto& p : c->policies)
    if (!c->calendars.count(p.calendar_id)) {
      auto cal = tx.calendars().find(p.calendar_id);
      c->calendars.emplace(p.calendar_id, BusinessClock(cal ? *cal : calendar_24x7()));
    }
  c->rules = tx.escalation_rules().list();
  return c;
}

// The last configuration read, by its version: a random token, so that two
// databases in one process never share one.
std::mutex g_mu;
std::string g_version;
std::shared_ptr<const SlaConfig> g_config;

}  // namespace

std::shared_ptr<const SlaConfig> sla_config(store::Tx& tx) {
  const auto version = tx.settings().get(kVersionKey);
  // Never written (a desk nobody configured yet): read every time.
  if (!version) return load(tx);
  {
    std::lock_guard lock(g_mu);
    if (g_config && g_version == *version) return g_config;
  }
  auto fresh = load(tx);
  std::lock_guard lock(g_mu);
  g_version = *version;
  g_config = fresh;
  return fresh;
}

void config_changed(store::Tx& tx) {
  tx.settings().put(kVersionKey, "\"" + auth::random_token() + "\"");
}

}  // namespace sd::desk
