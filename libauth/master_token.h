#pragma once

// The master token's lifecycle around its secret file (`master.token` in the state folder): made
// on first use of a fresh store, its secret written once to a 0600 file, and rotated on demand.
//
// The file and the database never disagree for good: a new secret is first written to a staged
// file beside the secret file, the database commits, and only then does the staged file replace
// the secret file. After a crash between the two, RecoverStagedSecret (run by both functions
// below) installs a staged secret that the database knows and discards one it does not.

#include <string>

#include "absl/status/statusor.h"
#include "libauth/token_store.h"

namespace vpvm::auth {

// Creates the master token when `store` has none and writes its secret to `secret_file`.
// Returns true when it created one. An existing master token is left alone.
absl::StatusOr<bool> EnsureMasterToken(TokenStore& store, const std::string& secret_file);

// Gives the master token a new secret, written to `secret_file`; the old one stops working.
absl::Status RotateMasterToken(TokenStore& store, const std::string& secret_file);

// Finishes or discards a rotation that a crash interrupted.
absl::Status RecoverStagedSecret(TokenStore& store, const std::string& secret_file);

// The secret in `path`, surrounding whitespace removed.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

}  // namespace vpvm::auth
