// SQLite connection with a cache of prepared statements.
#pragma once

#include <memory>
#include <string>

#include "store/db.hpp"

namespace sd::store {

enum class SqliteMode { read_write, read_only };

// Memory of one connection: its own page cache, and how much of the file it
// reads through a memory map. No map by default: each connection maps the
// file on its own, so a map counts the database's pages in the server's
// memory once per connection, where pages read by pread stay in the OS's
// page cache (measured: same speed on 100,000 tickets, RSS 86 MiB instead
// of 520 MiB).
struct SqliteTuning {
  long cache_kib = 16384;
  long long mmap_bytes = 0;
};

std::unique_ptr<Conn> open_sqlite(const std::string& path, SqliteMode mode,
                                  const SqliteTuning& tuning = {});

}  // namespace sd::store
