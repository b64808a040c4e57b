// Desk-wide settings stored as JSON documents: the priority matrix.
#pragma once

#include "domain/priority.hpp"
#include "store/repo.hpp"

#include <boost/json/object.hpp>

namespace sd::api {

// The stored matrix, or the default one when none is stored.
PriorityMatrix load_priority_matrix(store::Tx& tx);
boost::json::object matrix_to_json(const PriorityMatrix& m);

}  // namespace sd::api
