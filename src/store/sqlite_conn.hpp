// SQLite connection with a cache of prepared statements.
#pragma once

#include "store/db.hpp"

#include <memory>
#include <string>

namespace sd::store {

enum class SqliteMode { read_write, read_only };

std::unique_ptr<Conn> open_sqlite(const std::string& path, SqliteMode mode);

}  // namespace sd::store
