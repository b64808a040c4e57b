#include "domain/error.hpp"

#include <stdexcept>

namespace boost::system {
void throw_exception_from_error(sd::Error const& e, boost::source_location const&) {
  throw std::logic_error("unchecked sd::Error: " + e.detail);
}
}  // namespace boost::system
