#pragma once

// The token store: every scoped token and the master token, durable in SQLite and mirrored in
// memory so that verifying a presented secret never touches the disk.
//
// Promises:
//  - only the SHA-256 digest of a secret is stored; a secret is returned once, by Create,
//    Rotate and CreateMaster, and verification compares digests in constant time;
//  - every change is one SQLite transaction and is visible to the very next Verify;
//  - the database file (and its WAL) is mode 0600 whatever the process umask;
//  - a database that is corrupt, unreadable or newer than this build is refused at Open and
//    left exactly as it was.
// All methods are safe to call from several threads.

#include <cstring>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "SQLiteCpp/Database.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libauth/clock.h"
#include "libauth/last_use.h"
#include "libauth/random.h"
#include "libauth/rules.h"
#include "libauth/secret.h"
#include "libauth/token.h"
#include "libauth/totp.h"

namespace vpvm::auth {

class TokenStore final : public LastUseSink {
 public:
  // A token together with its secret, as returned once at creation and rotation.
  struct Issued {
    Token token;
    std::string secret;
  };

  enum class StatusFilter { kAll, kActive, kDisabled, kExpired };

  struct ListQuery {
    StatusFilter status = StatusFilter::kAll;
    // Substring of the label, the Token ID or the name of a listed VM; ASCII letters match
    // regardless of case (SQLite's LIKE), other letters exactly.
    std::string search;
    int page_size = 0;  // 0: kDefaultPageSize; at most kMaxPageSize
    std::string page_token;
  };

  struct Page {
    std::vector<Token> tokens;    // in creation order; the master token is never listed
    std::string next_page_token;  // empty on the last page
    int64_t total_size = 0;       // matches of the query over all pages
  };

  static constexpr int kDefaultPageSize = 50;
  static constexpr int kMaxPageSize = 1000;

  // Opens the database at `path`, creating it when absent, and brings its schema up to date.
  static absl::StatusOr<std::unique_ptr<TokenStore>> Open(const std::string& path,
                                                          const Clock& clock, RandomSource& random);

  absl::StatusOr<Issued> Create(const TokenSpec& spec);
  absl::StatusOr<Token> Get(absl::string_view id) const;
  absl::StatusOr<Page> List(const ListQuery& query) const;
  absl::StatusOr<Token> Edit(absl::string_view id, const TokenEdit& edit);
  // A new secret; everything else is kept and the old secret is refused from now on.
  absl::StatusOr<Issued> Rotate(absl::string_view id);
  absl::StatusOr<Token> SetDisabled(absl::string_view id, bool disabled);
  // Deletes the token.
  absl::Status Revoke(absl::string_view id);
  // Ends the token's 2FA enrolment; the master's own too, since it is the master who asks.
  absl::StatusOr<Token> DisableTwoFactor(absl::string_view id);

  // Two-factor sign-in for the dashboard (TOTP, libauth/totp.h). BeginTwoFactor gives the token
  // a fresh pending secret (the raw key, for the otpauth URI), replacing a pending one; it is
  // refused while 2FA is on. ConfirmTwoFactor turns 2FA on once a code of the pending secret is
  // right; VerifyTwoFactor checks a sign-in code. Every attempt's verdict is saved before it is
  // returned, so a code works once and lockouts hold across restarts.
  struct TwoFactorStatus {
    bool enabled = false;
    bool pending = false;
  };
  absl::StatusOr<std::string> BeginTwoFactor(absl::string_view id);
  absl::StatusOr<TotpVerdict> ConfirmTwoFactor(absl::string_view id, absl::string_view code);
  absl::StatusOr<TotpVerdict> VerifyTwoFactor(absl::string_view id, absl::string_view code);
  absl::StatusOr<TwoFactorStatus> GetTwoFactorStatus(absl::string_view id) const;
  // When the latest refused code locked sign-in, until when; nullopt when not locked.
  absl::StatusOr<std::optional<absl::Time>> TwoFactorLockedUntil(absl::string_view id) const;

  // Records that VM `vm_id` is now called `name` in every token that lists it, so that tokens
  // show, and search finds, the VM's last name. Access never depends on names.
  absl::Status RecordVmName(absl::string_view vm_id, absl::string_view name);

  // The master token. `persist` runs inside the transaction with the new secret and must make
  // it durable (the secret file); when it fails nothing changes.
  bool HasMaster() const;
  absl::StatusOr<Issued> CreateMaster(
      absl::FunctionRef<absl::Status(absl::string_view secret)> persist);
  absl::StatusOr<Issued> RotateMaster(
      absl::FunctionRef<absl::Status(absl::string_view secret)> persist);

  // The token whose secret is `presented`, whatever its status (the caller decides, see
  // access.h); Unauthenticated when the secret is malformed or matches no token. Never reads the
  // disk.
  absl::StatusOr<std::shared_ptr<const Token>> Verify(absl::string_view presented) const;

  // The token with Token ID `id` as it is now, whatever its status; null when there is none.
  // Never reads the disk. For callers that authenticated the token otherwise (a dashboard
  // session opened with its secret).
  std::shared_ptr<const Token> Lookup(absl::string_view id) const;

  absl::Status WriteLastUses(absl::Span<const LastUse> uses) override;

  size_t size() const;  // tokens held, the master included

 private:
  struct Entry {
    Token token;
    SecretDigest digest;
  };
  using EntryPtr = std::shared_ptr<const Entry>;
  // A SHA-256 digest is already uniformly spread: its first bytes serve as the hash.
  struct DigestHash {
    size_t operator()(const SecretDigest& digest) const {
      size_t h;
      std::memcpy(&h, digest.data(), sizeof(h));
      return h;
    }
  };

  TokenStore(std::unique_ptr<SQLite::Database> db, const Clock& clock, RandomSource& random);

  absl::Status LoadAll();
  EntryPtr Find(absl::string_view id) const;
  absl::StatusOr<EntryPtr> FindForChange(absl::string_view id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  absl::StatusOr<Issued> IssueMaster(
      bool rotate, absl::FunctionRef<absl::Status(absl::string_view secret)> persist);
  // Writes `next` to the database (with its VM list when `vms_changed`) and then to memory.
  absl::Status Save(const EntryPtr& previous, EntryPtr next, bool vms_changed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  // The row of a token's 2FA enrolment, and its verification, under db_mu_.
  struct TotpRow;
  absl::StatusOr<std::optional<TotpRow>> ReadTotp(const std::string& id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  absl::StatusOr<TotpVerdict> CheckCode(const EntryPtr& entry, TotpRow row, absl::string_view code)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);
  // ConfirmTwoFactor (a pending enrolment) or VerifyTwoFactor (a confirmed one).
  absl::StatusOr<TotpVerdict> CheckTwoFactorCode(absl::string_view id, absl::string_view code,
                                                 bool confirming);

  // Replaces `previous` by `next` in memory; only after the database committed the change.
  void Publish(const EntryPtr& previous, EntryPtr next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(db_mu_);

  const Clock& clock_;
  RandomSource& random_;

  // Serialises every use of the database connection, and with it every change.
  mutable absl::Mutex db_mu_;
  std::unique_ptr<SQLite::Database> db_ ABSL_GUARDED_BY(db_mu_);

  // The in-memory mirror; readers (Verify, Get) take it shared. A std::shared_mutex rather
  // than absl::Mutex: Debian's Abseil runs deadlock detection on every lock, which costs as
  // much as the rest of a verification.
  mutable std::shared_mutex mu_;
  absl::flat_hash_map<std::string, EntryPtr> by_id_;                   // guarded by mu_
  absl::flat_hash_map<SecretDigest, EntryPtr, DigestHash> by_digest_;  // guarded by mu_
};

}  // namespace vpvm::auth
