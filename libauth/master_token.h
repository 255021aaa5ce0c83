#pragma once

// The master token's lifecycle around its secret file (`master.token` in the state folder): made
// on first use of a fresh store, its secret written once to a 0600 file, and rotated on demand.
// The file is written to a temporary name, synced and renamed inside the store's transaction, so
// that the file and the database never disagree after a crash.

#include <string>

#include "absl/status/statusor.h"
#include "libauth/token_store.h"

namespace vpvm::auth {

// Creates the master token when `store` has none and writes its secret to `secret_file`.
// Returns true when it created one. An existing master token is left alone.
absl::StatusOr<bool> EnsureMasterToken(TokenStore& store, const std::string& secret_file);

// Gives the master token a new secret, written to `secret_file`; the old one stops working.
absl::Status RotateMasterToken(TokenStore& store, const std::string& secret_file);

// Replaces `path` atomically with `secret` and a newline, mode 0600.
absl::Status WriteSecretFile(const std::string& path, absl::string_view secret);

// The secret in `path`, surrounding whitespace removed.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

}  // namespace vpvm::auth
