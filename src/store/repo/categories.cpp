#include "store/repo/categories.hpp"

#include "store/repo/sql.hpp"

namespace sd::store {
namespace {
using namespace sql;
constexpr const char* kCols = "SELECT id, name, parent_id, created_at FROM categories";
Category category_from(const Row& r) {
  return Category{r.i64(0), r.text(1), opt_i64(r, 2), instant(r, 3)};
}
}  // namespace

Id CategoryRepo::insert(const Category& c) {
  Id id = 0;
  conn().query(
      "INSERT INTO categories (name, parent_id, created_at) VALUES ($1, $2, $3) RETURNING id",
      {c.name, opt(c.parent_id), at(c.created_at)}, [&](const Row& r) { id = r.i64(0); });
  return id;
}

std::optional<Category> CategoryRepo::find(Id id) {
  std::optional<Category> out;
  conn().query(std::string(kCols) + " WHERE id = $1", {id},
               [&](const Row& r) { out = category_from(r); });
  return out;
}

void CategoryRepo::update(const Category& c) {
  conn().exec("UPDATE categories SET name = $2, parent_id = $3 WHERE id = $1",
              {c.id, c.name, opt(c.parent_id)});
}

std::vector<Category> CategoryRepo::list() {
  std::vector<Category> out;
  conn().query(std::string(kCols) + " ORDER BY id", {},
               [&](const Row& r) { out.push_back(category_from(r)); });
  return out;
}

}  // namespace sd::store
