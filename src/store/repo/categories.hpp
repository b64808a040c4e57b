// The category tree tickets are classified in.
#pragma once

#include <optional>
#include <vector>

#include "domain/model.hpp"
#include "store/repo/repo.hpp"

namespace sd::store {

class CategoryRepo : Repo {
 public:
  explicit CategoryRepo(Tx& tx) : Repo(tx) {}
  Id insert(const Category& c);
  std::optional<Category> find(Id id);
  void update(const Category& c);
  std::vector<Category> list();
};

inline CategoryRepo Tx::categories() { return CategoryRepo(*this); }

}  // namespace sd::store
