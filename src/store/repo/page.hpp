// Keyset paging: a page of records and where the next one starts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/model.hpp"

namespace sd::store {

// A position in a sorted list: the sort key and id of the last row seen.
struct Cursor {
  std::int64_t key = 0;  // for sorts on numbers
  std::string text;      // for sorts on text
  Id id = 0;
};

template <class T>
struct Page {
  std::vector<T> items;
  std::optional<Cursor> next;
};

}  // namespace sd::store
