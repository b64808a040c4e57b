#include "store/repo/settings.hpp"

namespace sd::store {

std::optional<std::string> SettingRepo::get(const std::string& key) {
  std::optional<std::string> out;
  conn().query("SELECT value FROM settings WHERE key = $1", {key},
               [&](const Row& r) { out = r.text(0); });
  return out;
}

void SettingRepo::put(const std::string& key, const std::string& value) {
  conn().exec(
      "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = "
      "excluded.value",
      {key, value});
}

}  // namespace sd::store
