// Priority from impact x criticality by a configurable matrix, and the
// support level the source document assigns to each (its table of levels).
#pragma once

#include <array>
#include <string>

#include "domain/enums.hpp"
#include "domain/error.hpp"

namespace sd {

// matrix[impact][criticality] -> priority.
class PriorityMatrix {
 public:
  PriorityMatrix();  // the default matrix
  Priority at(Impact i, Criticality c) const {
    return m_cells[static_cast<std::size_t>(i)][static_cast<std::size_t>(c)];
  }
  void set(Impact i, Criticality c, Priority p) {
    m_cells[static_cast<std::size_t>(i)][static_cast<std::size_t>(c)] = p;
  }
  bool operator==(const PriorityMatrix&) const = default;

 private:
  std::array<std::array<Priority, 3>, 3> m_cells;
};

// Document's table: low criticality / not critical -> 1st level, medium /
// critical -> 2nd, high / loss of functionality -> 3rd. When the two disagree
// the higher level wins: a case is as hard as its hardest side.
SupportLevel default_support_level(Impact i, Criticality c);

bool valid_support_level(int level);

}  // namespace sd
