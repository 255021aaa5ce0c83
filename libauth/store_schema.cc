#include "libauth/store_schema.h"

#include <array>

#include "SQLiteCpp/Transaction.h"
#include "absl/strings/str_cat.h"

namespace vpvm::auth {
namespace {

// Step N takes a database from version N-1 to N. Steps are append-only: a released step is
// never edited, a change is a new step.
constexpr std::array<const char*, kSchemaVersion> kSteps = {
    // 1: tokens and the VMs each is scoped to. Times are Unix microseconds (UTC).
    R"sql(
      CREATE TABLE tokens (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order, never reused
        id                TEXT NOT NULL UNIQUE,
        label             TEXT NOT NULL,
        secret_sha256     BLOB NOT NULL UNIQUE,
        is_master         INTEGER NOT NULL DEFAULT 0,
        access_level      INTEGER NOT NULL,
        all_vms           INTEGER NOT NULL,
        ext_templates     INTEGER NOT NULL DEFAULT 0,
        ext_networks      INTEGER NOT NULL DEFAULT 0,
        ext_images        INTEGER NOT NULL DEFAULT 0,
        expires_at_us     INTEGER,
        disabled          INTEGER NOT NULL DEFAULT 0,
        created_at_us     INTEGER NOT NULL,
        last_used_at_us   INTEGER,
        last_used_address TEXT NOT NULL DEFAULT ''
      );
      CREATE TABLE token_vms (
        token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
        vm_id    TEXT NOT NULL,
        vm_name  TEXT NOT NULL,
        PRIMARY KEY (token_id, vm_id)
      );
    )sql",
    // 2: two-factor enrolment per token; `confirmed` turns on only after a correct code.
    R"sql(
      CREATE TABLE token_totp (
        token_id        TEXT PRIMARY KEY REFERENCES tokens(id) ON DELETE CASCADE,
        secret          BLOB NOT NULL,
        confirmed       INTEGER NOT NULL DEFAULT 0,
        last_step       INTEGER NOT NULL DEFAULT -1,
        failures        INTEGER NOT NULL DEFAULT 0,
        locked_until_us INTEGER
      );
    )sql",
    // 3: indexes for the status filters and for searching by VM name.
    R"sql(
      CREATE INDEX tokens_by_status ON tokens (disabled, expires_at_us);
      CREATE INDEX token_vms_by_name ON token_vms (vm_name);
    )sql",
};

}  // namespace

absl::StatusOr<int> SchemaVersion(SQLite::Database& db) {
  try {
    return db.execAndGet("PRAGMA user_version").getInt();
  } catch (const SQLite::Exception& e) {
    return absl::DataLossError(absl::StrCat("cannot read the schema version: ", e.what()));
  }
}

absl::Status MigrateTo(SQLite::Database& db, int target) {
  absl::StatusOr<int> version = SchemaVersion(db);
  if (!version.ok()) return version.status();
  const int current = *version;
  try {
    if (current > kSchemaVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("the token database is at schema version ", current,
                       ", newer than this vpvm understands (", kSchemaVersion, ")"));
    }
    if (target < current || target > kSchemaVersion) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot migrate from ", current, " to ", target));
    }
    for (int step = current + 1; step <= target; ++step) {
      SQLite::Transaction transaction(db);
      db.exec(kSteps[step - 1]);
      db.exec(absl::StrCat("PRAGMA user_version = ", step));
      transaction.commit();
    }
    return absl::OkStatus();
  } catch (const SQLite::Exception& e) {
    return absl::DataLossError(absl::StrCat("cannot migrate the token database: ", e.what()));
  }
}

}  // namespace vpvm::auth
