// Settings: small JSON documents by key (desk/settings.cpp gives them shape).
// Within one transaction a key is read from the database once.
#pragma once

#include <optional>
#include <string>

#include "store/repo/repo.hpp"

namespace sd::store {

class SettingRepo : Repo {
 public:
  explicit SettingRepo(Tx& tx) : Repo(tx) {}
  std::optional<std::string> get(const std::string& key);
  void put(const std::string& key, const std::string& value);
  // Stores `value` unless the key has one; returns the value in force.
  std::string put_if_absent(const std::string& key, const std::string& value);
};

inline SettingRepo Tx::settings() { return SettingRepo(*this); }

}  // namespace sd::store
