// TokenStore's two-factor enrolments: the token_totp table (schema step 2).

#include "SQLiteCpp/Statement.h"
#include "SQLiteCpp/Transaction.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "libauth/token_sql.h"
#include "libauth/token_store.h"

namespace vpvm::auth {

using token_sql::NoSuchToken;
using token_sql::StorageError;

struct TokenStore::TotpRow {
  std::string secret;
  bool confirmed = false;
  TotpState state;
};

absl::StatusOr<std::optional<TokenStore::TotpRow>> TokenStore::ReadTotp(
    const std::string& id) const {
  try {
    SQLite::Statement query(*db_,
                            "SELECT secret, confirmed, last_step, failures, locked_until_us "
                            "FROM token_totp WHERE token_id = ?");
    query.bind(1, id);
    if (!query.executeStep()) return std::nullopt;
    TotpRow row;
    const SQLite::Column secret = query.getColumn(0);
    row.secret.assign(static_cast<const char*>(secret.getBlob()),
                      static_cast<size_t>(secret.getBytes()));
    row.confirmed = query.getColumn(1).getInt() != 0;
    row.state.last_used_step = query.getColumn(2).getInt64();
    row.state.failures = query.getColumn(3).getInt();
    if (!query.getColumn(4).isNull()) {
      row.state.locked_until = absl::FromUnixMicros(query.getColumn(4).getInt64());
    }
    return row;
  } catch (const SQLite::Exception& e) {
    return StorageError(absl::StrCat("read the 2FA enrolment of token ", id), e);
  }
}

absl::StatusOr<std::string> TokenStore::BeginTwoFactor(absl::string_view id) {
  absl::MutexLock db_lock(&db_mu_);
  EntryPtr entry = Find(id);
  if (entry == nullptr) return NoSuchToken(id);
  VPVM_ASSIGN_OR_RETURN(std::optional<TotpRow> row, ReadTotp(entry->token.id));
  if (row.has_value() && row->confirmed) {
    return absl::FailedPreconditionError(
        "two-factor sign-in is on for this token already; the master can turn it off");
  }
  VPVM_ASSIGN_OR_RETURN(std::string secret, GenerateTotpSecret(random_));
  try {
    SQLite::Statement insert(*db_,
                             "INSERT OR REPLACE INTO token_totp (token_id, secret, confirmed) "
                             "VALUES (?, ?, 0)");
    insert.bind(1, entry->token.id);
    insert.bind(2, secret.data(), static_cast<int>(secret.size()));
    insert.exec();
  } catch (const SQLite::Exception& e) {
    return StorageError(absl::StrCat("begin 2FA enrolment of token ", id), e);
  }
  return secret;
}

absl::StatusOr<TotpVerdict> TokenStore::CheckCode(const EntryPtr& entry, TotpRow row,
                                                  absl::string_view code) {
  VPVM_ASSIGN_OR_RETURN(TotpVerdict verdict, VerifyTotp(row.secret, code, clock_.Now(), row.state));
  const bool turns_on = verdict == TotpVerdict::kAccepted && !row.confirmed;
  try {
    SQLite::Statement update(*db_,
                             "UPDATE token_totp SET confirmed = ?, last_step = ?, failures = ?, "
                             "locked_until_us = ? WHERE token_id = ?");
    update.bind(1, row.confirmed || turns_on ? 1 : 0);
    update.bind(2, static_cast<int64_t>(row.state.last_used_step));
    update.bind(3, row.state.failures);
    if (row.state.locked_until.has_value()) {
      update.bind(4, absl::ToUnixMicros(*row.state.locked_until));
    } else {
      update.bind(4);
    }
    update.bind(5, entry->token.id);
    update.exec();
  } catch (const SQLite::Exception& e) {
    return StorageError(absl::StrCat("record a 2FA code of token ", entry->token.id), e);
  }
  if (turns_on) {
    auto next = std::make_shared<Entry>(*entry);
    next->token.two_factor_enabled = true;
    Publish(entry, std::move(next));
  }
  return verdict;
}

absl::StatusOr<TotpVerdict> TokenStore::ConfirmTwoFactor(absl::string_view id,
                                                         absl::string_view code) {
  return CheckTwoFactorCode(id, code, /*confirming=*/true);
}

absl::StatusOr<TotpVerdict> TokenStore::VerifyTwoFactor(absl::string_view id,
                                                        absl::string_view code) {
  return CheckTwoFactorCode(id, code, /*confirming=*/false);
}

absl::StatusOr<TotpVerdict> TokenStore::CheckTwoFactorCode(absl::string_view id,
                                                           absl::string_view code,
                                                           bool confirming) {
  absl::MutexLock db_lock(&db_mu_);
  EntryPtr entry = Find(id);
  if (entry == nullptr) return NoSuchToken(id);
  VPVM_ASSIGN_OR_RETURN(std::optional<TotpRow> row, ReadTotp(entry->token.id));
  if (confirming && (!row.has_value() || row->confirmed)) {
    return absl::FailedPreconditionError(
        row.has_value() ? "two-factor sign-in is on already"
                        : "no two-factor enrolment is pending for this token: begin one first");
  }
  if (!confirming && (!row.has_value() || !row->confirmed)) {
    return absl::FailedPreconditionError("two-factor sign-in is not on for this token");
  }
  return CheckCode(entry, *std::move(row), code);
}

absl::StatusOr<TokenStore::TwoFactorStatus> TokenStore::GetTwoFactorStatus(
    absl::string_view id) const {
  absl::MutexLock db_lock(&db_mu_);
  EntryPtr entry = Find(id);
  if (entry == nullptr) return NoSuchToken(id);
  VPVM_ASSIGN_OR_RETURN(std::optional<TotpRow> row, ReadTotp(entry->token.id));
  TwoFactorStatus status;
  status.enabled = row.has_value() && row->confirmed;
  status.pending = row.has_value() && !row->confirmed;
  return status;
}

absl::StatusOr<std::optional<absl::Time>> TokenStore::TwoFactorLockedUntil(
    absl::string_view id) const {
  absl::MutexLock db_lock(&db_mu_);
  EntryPtr entry = Find(id);
  if (entry == nullptr) return NoSuchToken(id);
  VPVM_ASSIGN_OR_RETURN(std::optional<TotpRow> row, ReadTotp(entry->token.id));
  if (!row.has_value() || !row->state.locked_until.has_value() ||
      *row->state.locked_until <= clock_.Now()) {
    return std::nullopt;
  }
  return row->state.locked_until;
}

}  // namespace vpvm::auth
