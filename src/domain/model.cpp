#include "domain/model.hpp"

#include <charconv>
#include <cstdio>

namespace sd {

std::string ticket_number(Id id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "SD-%06lld", static_cast<long long>(id));
  return buf;
}

std::optional<Id> parse_ticket_number(std::string_view text) {
  if (text.size() < 4 || (text.substr(0, 3) != "SD-" && text.substr(0, 3) != "sd-"))
    return std::nullopt;
  text.remove_prefix(3);
  Id id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || p != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace sd
