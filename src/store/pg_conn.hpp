// PostgreSQL connection (libpq) with a cache of prepared statements.
#pragma once

#include <memory>
#include <string>

#include "store/db.hpp"

namespace sd::store {

std::unique_ptr<Conn> open_postgres(const std::string& url);

}  // namespace sd::store
