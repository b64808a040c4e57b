// Numbered schema migrations, one list per dialect. Each is applied once, in
// its own transaction, and never edited after it has landed: a change to
// the schema is a new entry at the end.
#pragma once

#include "store/db.hpp"

namespace sd::store {

// Applies the migrations `conn` has not seen yet; returns how many ran.
int migrate(Conn& conn, std::int64_t now_ms);

// The newest schema version this build knows.
int latest_schema_version();

}  // namespace sd::store
