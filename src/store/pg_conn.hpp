// PostgreSQL connection (libpq) with a cache of prepared statements.
#pragma once

#include "store/db.hpp"

#include <memory>
#include <string>

namespace sd::store {

std::unique_ptr<Conn> open_postgres(const std::string& url);

}  // namespace sd::store
