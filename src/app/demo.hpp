// Fictional demo data: an organisation with requesters, agents in a group
// per support level, a supervisor and an admin, a category tree, and tickets
// of every type, level and status with timelines. Nothing here is a real
// person.
#pragma once

#include <string>
#include <vector>

#include "store/store.hpp"

namespace sd::app {

struct DemoLogin {
  std::string email;
  std::string role;
};

inline constexpr const char* kDemoPassword = "demo-2026";

// The accounts load_demo creates that are worth signing in with.
std::vector<DemoLogin> demo_logins();

struct DemoResult {
  long tickets = 0;
  long articles = 0;
};

// Loads the demo into an empty, migrated store: `tickets` tickets, the
// knowledge base's hand-written articles (es-MX and English), and
// `extra_articles` more made from them (for load tests). REQUIRES: no users
// yet.
Result<DemoResult> load_demo(store::Store& store, long tickets, Instant now,
                             long extra_articles = 0);

}  // namespace sd::app
