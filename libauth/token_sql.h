#pragma once

// The SQL behind TokenStore: how a token is written to and read from its rows, and how a list
// query becomes a WHERE clause. Internal to libauth; every function may throw SQLite::Exception,
// which TokenStore turns into a status.

#include <string>
#include <vector>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "absl/status/statusor.h"
#include "libauth/secret.h"
#include "libauth/token.h"
#include "libauth/token_store.h"

namespace vpvm::auth::token_sql {

struct StoredToken {
  Token token;
  SecretDigest digest;
};

// The store's errors: Internal naming what failed, NotFound naming the token.
absl::Status StorageError(absl::string_view what, const std::exception& e);
absl::Status NoSuchToken(absl::string_view id);

// Creates the database file with mode 0600 before SQLite opens it.
absl::Status PrepareDatabaseFile(const std::string& path);

// Every token with its VM list; DataLoss for a row that cannot be a token.
absl::StatusOr<std::vector<StoredToken>> ReadAll(SQLite::Database& db);

// Inserts or replaces the token's row (not its VM list).
void WriteRow(SQLite::Database& db, const Token& token, const SecretDigest& digest);

// Replaces the token's VM list.
void WriteVms(SQLite::Database& db, const Token& token);

// Page tokens are opaque to clients.
std::string EncodePageToken(int64_t last_seq);
absl::StatusOr<int64_t> DecodePageToken(absl::string_view page_token);

// The WHERE clause shared by a page and its total count, and its parameters.
std::string ListConditions(const TokenStore::ListQuery& query);
void BindListParameters(SQLite::Statement& statement, const TokenStore::ListQuery& query,
                        absl::Time now);

}  // namespace vpvm::auth::token_sql
