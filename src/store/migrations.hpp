// Numbered schema migrations. Each is applied once, in its own transaction,
// and never edited after it has landed: a change to the schema is a new
// entry at the end.
#pragma once

#include <string>

#include "domain/time.hpp"
#include "store/db.hpp"

namespace sd::store {

// Applies the migrations `conn` has not seen yet, up to `up_to` (0: all);
// returns how many ran. Throws DbError when one fails (it is rolled back).
int migrate(Conn& conn, Instant now, int up_to = 0);

// The newest schema version this build knows.
int latest_schema_version();

// The version a database is at (REQUIRES: migrated at least once).
int schema_version(Conn& conn);

// The SQL of one migration as it runs on `d`; empty for an unknown version.
std::string migration_sql(int version, Dialect d);

}  // namespace sd::store
