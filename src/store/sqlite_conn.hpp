// SQLite connection with a cache of prepared statements.
#pragma once

#include <memory>
#include <string>

#include "store/db.hpp"

namespace sd::store {

enum class SqliteMode { read_write, read_only };

// Memory of one connection: its own page cache, and how much of the file it
// reads through a memory map (pages the OS shares between connections).
struct SqliteTuning {
  long cache_kib = 8192;
  long long mmap_bytes = 256LL << 20;
};

std::unique_ptr<Conn> open_sqlite(const std::string& path, SqliteMode mode,
                                  const SqliteTuning& tuning = {});

}  // namespace sd::store
