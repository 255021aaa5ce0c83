#pragma once

// The token database's schema as numbered migrations. The version lives in SQLite's
// `PRAGMA user_version`; each step runs in its own transaction, so a database is always at one
// numbered version, never between two.

#include "SQLiteCpp/Database.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vpvm::auth {

// The version that this build writes and expects.
inline constexpr int kSchemaVersion = 3;

// The version recorded in `db` (0 for a new, empty database); DataLoss when `db` cannot be read
// as a database.
absl::StatusOr<int> SchemaVersion(SQLite::Database& db);

// Applies every step above the current version up to `target`. Refuses a database newer than
// this build (FailedPrecondition) rather than guessing at it.
absl::Status MigrateTo(SQLite::Database& db, int target = kSchemaVersion);

}  // namespace vpvm::auth
