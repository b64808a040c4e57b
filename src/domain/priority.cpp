#include "domain/priority.hpp"

#include <algorithm>

namespace sd {

PriorityMatrix::PriorityMatrix() {
  using P = Priority;
  //                    low          medium       high   (criticality)
  m_cells[0] = {P::low, P::low, P::medium};          // not critical
  m_cells[1] = {P::medium, P::high, P::high};        // critical
  m_cells[2] = {P::high, P::critical, P::critical};  // loss of functionality
}

SupportLevel default_support_level(Impact i, Criticality c) {
  return std::max(static_cast<int>(i), static_cast<int>(c)) + 1;
}

bool valid_support_level(int level) {
  return level >= kMinSupportLevel && level <= kMaxSupportLevel;
}

}  // namespace sd
