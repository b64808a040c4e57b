#include "store/repo/settings.hpp"

namespace sd::store {

std::optional<std::string> SettingRepo::get(const std::string& key) {
  auto& memo = settings_memo();
  if (auto it = memo.find(key); it != memo.end()) return it->second;
  std::optional<std::string> out;
  conn().query("SELECT value FROM settings WHERE key = $1", {key},
               [&](const Row& r) { out = r.text(0); });
  memo.emplace(key, out);
  return out;
}

void SettingRepo::put(const std::string& key, const std::string& value) {
  conn().exec(
      "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = "
      "excluded.value",
      {key, value});
  settings_memo()[key] = value;
}

std::string SettingRepo::put_if_absent(const std::string& key, const std::string& value) {
  conn().exec("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
              {key, value});
  settings_memo().erase(key);
  return get(key).value_or(value);
}

}  // namespace sd::store
