#include "libauth/token_store.h"

#include <cstring>
#include <mutex>

#include "SQLiteCpp/Statement.h"
#include "SQLiteCpp/Transaction.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "libauth/store_schema.h"
#include "libauth/token_sql.h"

namespace vpvm::auth {
namespace {

constexpr char kMasterLabel[] = "Master token";

int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }

using token_sql::NoSuchToken;
using token_sql::StorageError;

}  // namespace

TokenStore::TokenStore(std::unique_ptr<SQLite::Database> db, const Clock& clock,
                       RandomSource& random)
    : clock_(clock), random_(random), db_(std::move(db)) {}

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Open(const std::string& path,
                                                             const Clock& clock,
                                                             RandomSource& random) {
  VPVM_RETURN_IF_ERROR(token_sql::PrepareDatabaseFile(path));
  std::unique_ptr<SQLite::Database> db;
  try {
    db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE);
    // The header is read first: a file that is not a database, or one from a newer vpvm, is
    // refused here, before any pragma below could write to it.
    absl::StatusOr<int> version = SchemaVersion(*db);
    if (!version.ok()) {
      return absl::DataLossError(absl::StrCat("the token database ", path,
                                              " cannot be used: ", version.status().message()));
    }
    if (*version > kSchemaVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("the token database ", path, " is at schema version ", *version,
                       ", newer than this vpvm understands (", kSchemaVersion, ")"));
    }
    db->exec("PRAGMA journal_mode = WAL");
    db->exec("PRAGMA synchronous = FULL");
    db->exec("PRAGMA foreign_keys = ON");
    db->setBusyTimeout(5000);
  } catch (const SQLite::Exception& e) {
    return absl::DataLossError(
        absl::StrCat("the token database ", path, " cannot be used: ", e.what()));
  }
  VPVM_RETURN_IF_ERROR(MigrateTo(*db));

  std::unique_ptr<TokenStore> store(new TokenStore(std::move(db), clock, random));
  VPVM_RETURN_IF_ERROR(store->LoadAll());
  return store;
}

absl::Status TokenStore::LoadAll() {
  absl::MutexLock db_lock(&db_mu_);
  std::vector<token_sql::StoredToken> stored;
  try {
    VPVM_ASSIGN_OR_RETURN(stored, token_sql::ReadAll(*db_));
  } catch (const SQLite::Exception& e) {
    return absl::DataLossError(absl::StrCat("cannot read the token database: ", e.what()));
  }
  std::unique_lock lock(mu_);
  for (token_sql::StoredToken& row : stored) {
    auto entry = std::make_shared<const Entry>(Entry{std::move(row.token), row.digest});
    by_digest_[entry->digest] = entry;
    by_id_[entry->token.id] = std::move(entry);
  }
  return absl::OkStatus();
}

TokenStore::EntryPtr TokenStore::Find(absl::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

absl::StatusOr<TokenStore::EntryPtr> TokenStore::FindForChange(absl::string_view id) const {
  EntryPtr entry = Find(id);
  if (entry == nullptr) return NoSuchToken(id);
  if (entry->token.is_master) {
    return absl::FailedPreconditionError(
        "the master token cannot be changed this way; rotate it with its own command");
  }
  return entry;
}

void TokenStore::Publish(const EntryPtr& previous, EntryPtr next) {
  std::unique_lock lock(mu_);
  if (previous != nullptr) {
    by_digest_.erase(previous->digest);
    by_id_.erase(previous->token.id);
  }
  if (next != nullptr) {
    by_digest_[next->digest] = next;
    by_id_[next->token.id] = std::move(next);
  }
}

absl::Status TokenStore::Save(const EntryPtr& previous, EntryPtr next, bool vms_changed) {
  try {
    SQLite::Transaction transaction(*db_);
    token_sql::WriteRow(*db_, next->token, next->digest);
    if (vms_changed) token_sql::WriteVms(*db_, next->token);
    transaction.commit();
  } catch (const SQLite::Exception& e) {
    return StorageError(absl::StrCat("save token ", next->token.id), e);
  }
  Publish(previous, std::move(next));
  return absl::OkStatus();
}

absl::StatusOr<TokenStore::Issued> TokenStore::Create(const TokenSpec& spec) {
  const absl::Time now = clock_.Now();
  VPVM_ASSIGN_OR_RETURN(TokenSpec valid, ValidateNewToken(spec, now));
  VPVM_ASSIGN_OR_RETURN(std::string secret, GenerateSecret(random_));

  absl::MutexLock db_lock(&db_mu_);
  auto entry = std::make_shared<Entry>();
  do {
    VPVM_ASSIGN_OR_RETURN(entry->token.id, GenerateTokenId(random_));
  } while (Find(entry->token.id) != nullptr);
  Token& t = entry->token;
  t.label = std::move(valid.label);
  t.access_level = valid.access_level;
  t.vm_scope = std::move(valid.vm_scope);
  t.extended = valid.extended;
  t.expires_at = valid.expires_at;
  t.created_at = now;
  entry->digest = *DigestPresentedSecret(secret);

  Issued issued{entry->token, std::move(secret)};
  VPVM_RETURN_IF_ERROR(Save(nullptr, std::move(entry), /*vms_changed=*/true));
  return issued;
}

absl::StatusOr<Token> TokenStore::Get(absl::string_view id) const {
  EntryPtr entry = Find(id);
  if (entry == nullptr) return NoSuchToken(id);
  return entry->token;
}

absl::StatusOr<TokenStore::Page> TokenStore::List(const ListQuery& query) const {
  if (query.page_size < 0) return absl::InvalidArgumentError("the page size cannot be negative");
  const int page_size =
      query.page_size == 0 ? kDefaultPageSize : std::min(query.page_size, kMaxPageSize);
  int64_t after_seq = 0;
  if (!query.page_token.empty()) {
    VPVM_ASSIGN_OR_RETURN(after_seq, token_sql::DecodePageToken(query.page_token));
  }
  const absl::Time now = clock_.Now();
  const std::string where = token_sql::ListConditions(query);

  absl::MutexLock db_lock(&db_mu_);
  Page page;
  try {
    SQLite::Statement count(*db_, absl::StrCat("SELECT COUNT(*) FROM tokens t WHERE ", where));
    token_sql::BindListParameters(count, query, now);
    count.executeStep();
    page.total_size = count.getColumn(0).getInt64();

    SQLite::Statement select(*db_, absl::StrCat("SELECT t.seq, t.id FROM tokens t WHERE ", where,
                                                " AND t.seq > :after ORDER BY t.seq LIMIT :limit"));
    token_sql::BindListParameters(select, query, now);
    select.bind(":after", static_cast<int64_t>(after_seq));
    select.bind(":limit", page_size + 1);
    int64_t last_seq = 0;
    while (select.executeStep()) {
      if (static_cast<int>(page.tokens.size()) == page_size) {
        page.next_page_token = token_sql::EncodePageToken(last_seq);
        break;
      }
      last_seq = select.getColumn(0).getInt64();
      if (EntryPtr entry = Find(select.getColumn(1).getString())) {
        page.tokens.push_back(entry->token);
      }
    }
  } catch (const SQLite::Exception& e) {
    return StorageError("list tokens", e);
  }
  return page;
}

absl::StatusOr<Token> TokenStore::Edit(absl::string_view id, const TokenEdit& edit) {
  absl::MutexLock db_lock(&db_mu_);
  VPVM_ASSIGN_OR_RETURN(EntryPtr current, FindForChange(id));
  VPVM_ASSIGN_OR_RETURN(Token edited, ApplyEdit(current->token, edit, clock_.Now()));

  auto next = std::make_shared<Entry>(Entry{std::move(edited), current->digest});
  const bool vms_changed = next->token.vm_scope != current->token.vm_scope;
  Token result = next->token;
  VPVM_RETURN_IF_ERROR(Save(current, std::move(next), vms_changed));
  return result;
}

absl::StatusOr<TokenStore::Issued> TokenStore::Rotate(absl::string_view id) {
  VPVM_ASSIGN_OR_RETURN(std::string secret, GenerateSecret(random_));
  absl::MutexLock db_lock(&db_mu_);
  VPVM_ASSIGN_OR_RETURN(EntryPtr current, FindForChange(id));

  auto next = std::make_shared<Entry>(Entry{current->token, *DigestPresentedSecret(secret)});
  Issued issued{next->token, std::move(secret)};
  VPVM_RETURN_IF_ERROR(Save(current, std::move(next), /*vms_changed=*/false));
  return issued;
}

absl::StatusOr<Token> TokenStore::SetDisabled(absl::string_view id, bool disabled) {
  absl::MutexLock db_lock(&db_mu_);
  VPVM_ASSIGN_OR_RETURN(EntryPtr current, FindForChange(id));

  auto next = std::make_shared<Entry>(*current);
  next->token.disabled = disabled;
  Token result = next->token;
  VPVM_RETURN_IF_ERROR(Save(current, std::move(next), /*vms_changed=*/false));
  return result;
}

absl::Status TokenStore::Revoke(absl::string_view id) {
  absl::MutexLock db_lock(&db_mu_);
  VPVM_ASSIGN_OR_RETURN(EntryPtr current, FindForChange(id));
  try {
    SQLite::Statement remove(*db_, "DELETE FROM tokens WHERE id = ?");
    remove.bind(1, current->token.id);
    remove.exec();
  } catch (const SQLite::Exception& e) {
    return StorageError(absl::StrCat("revoke token ", id), e);
  }
  Publish(current, nullptr);
  return absl::OkStatus();
}

absl::StatusOr<Token> TokenStore::DisableTwoFactor(absl::string_view id) {
  absl::MutexLock db_lock(&db_mu_);
  EntryPtr current = Find(id);
  if (current == nullptr) return NoSuchToken(id);
  try {
    SQLite::Statement remove(*db_, "DELETE FROM token_totp WHERE token_id = ?");
    remove.bind(1, current->token.id);
    remove.exec();
  } catch (const SQLite::Exception& e) {
    return StorageError(absl::StrCat("disable 2FA of token ", id), e);
  }
  auto next = std::make_shared<Entry>(*current);
  next->token.two_factor_enabled = false;
  Token result = next->token;
  Publish(current, std::move(next));
  return result;
}

absl::Status TokenStore::RecordVmName(absl::string_view vm_id, absl::string_view name) {
  absl::MutexLock db_lock(&db_mu_);
  std::vector<std::pair<EntryPtr, EntryPtr>> changes;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, entry] : by_id_) {
      for (size_t i = 0; i < entry->token.vm_scope.vms.size(); ++i) {
        const VmRef& vm = entry->token.vm_scope.vms[i];
        if (vm.id != vm_id || vm.name == name) continue;
        auto next = std::make_shared<Entry>(*entry);
        next->token.vm_scope.vms[i].name = std::string(name);
        changes.emplace_back(entry, std::move(next));
      }
    }
  }
  if (changes.empty()) return absl::OkStatus();
  try {
    SQLite::Statement rename(*db_, "UPDATE token_vms SET vm_name = ? WHERE vm_id = ?");
    rename.bind(1, std::string(name));
    rename.bind(2, std::string(vm_id));
    rename.exec();
  } catch (const SQLite::Exception& e) {
    return StorageError(absl::StrCat("record the new name of VM ", vm_id), e);
  }
  for (auto& [previous, next] : changes) Publish(previous, std::move(next));
  return absl::OkStatus();
}

bool TokenStore::HasMaster() const { return Find(kMasterTokenId) != nullptr; }

absl::StatusOr<TokenStore::Issued> TokenStore::CreateMaster(
    absl::FunctionRef<absl::Status(absl::string_view secret)> persist) {
  return IssueMaster(/*rotate=*/false, persist);
}

absl::StatusOr<TokenStore::Issued> TokenStore::RotateMaster(
    absl::FunctionRef<absl::Status(absl::string_view secret)> persist) {
  return IssueMaster(/*rotate=*/true, persist);
}

absl::StatusOr<TokenStore::Issued> TokenStore::IssueMaster(
    bool rotate, absl::FunctionRef<absl::Status(absl::string_view secret)> persist) {
  VPVM_ASSIGN_OR_RETURN(std::string secret, GenerateSecret(random_));
  absl::MutexLock db_lock(&db_mu_);
  EntryPtr current = Find(kMasterTokenId);
  if (rotate && current == nullptr) return absl::NotFoundError("there is no master token yet");
  if (!rotate && current != nullptr) {
    return absl::AlreadyExistsError("the master token exists already");
  }

  auto next = std::make_shared<Entry>();
  if (current != nullptr) {
    next->token = current->token;
  } else {
    Token& t = next->token;
    t.id = kMasterTokenId;
    t.label = kMasterLabel;
    t.is_master = true;
    t.access_level = AccessLevel::kAdmin;
    t.vm_scope = VmScope::All();
    t.extended = ExtendedPermissions{true, true, true};
    t.created_at = clock_.Now();
  }
  next->digest = *DigestPresentedSecret(secret);

  try {
    SQLite::Transaction transaction(*db_);
    token_sql::WriteRow(*db_, next->token, next->digest);
    VPVM_RETURN_IF_ERROR(persist(secret));
    transaction.commit();
  } catch (const SQLite::Exception& e) {
    return StorageError("store the master token", e);
  }
  Issued issued{next->token, std::move(secret)};
  Publish(current, std::move(next));
  return issued;
}

std::shared_ptr<const Token> TokenStore::Lookup(absl::string_view id) const {
  EntryPtr entry = Find(id);
  if (entry == nullptr) return nullptr;
  return std::shared_ptr<const Token>(entry, &entry->token);
}

absl::StatusOr<std::shared_ptr<const Token>> TokenStore::Verify(absl::string_view presented) const {
  absl::StatusOr<SecretDigest> presented_digest = DigestPresentedSecret(presented);
  if (!presented_digest.ok()) {
    return absl::UnauthenticatedError(presented_digest.status().message());
  }
  const SecretDigest& digest = *presented_digest;

  std::shared_lock lock(mu_);
  auto it = by_digest_.find(digest);
  // The table's own key comparison is not constant-time; the digest it found is compared again
  // in constant time, so that nothing but a full match ever authenticates.
  if (it == by_digest_.end() || !DigestsEqual(it->first, digest)) {
    return absl::UnauthenticatedError("unknown token");
  }
  const EntryPtr& entry = it->second;
  return std::shared_ptr<const Token>(entry, &entry->token);
}

absl::Status TokenStore::WriteLastUses(absl::Span<const LastUse> uses) {
  absl::MutexLock db_lock(&db_mu_);
  std::vector<std::pair<EntryPtr, EntryPtr>> changes;
  try {
    SQLite::Transaction transaction(*db_);
    SQLite::Statement update(
        *db_,
        "UPDATE tokens SET last_used_at_us = :at, last_used_address = :address WHERE id = :id");
    for (const LastUse& use : uses) {
      EntryPtr current = Find(use.token_id);
      if (current == nullptr) continue;  // revoked meanwhile
      // An older use never hides a newer one, whatever order batches arrive in.
      if (current->token.last_used_at.has_value() && *current->token.last_used_at >= use.at) {
        continue;
      }
      update.bind(":at", static_cast<int64_t>(ToMicros(use.at)));
      update.bind(":address", use.client_address);
      update.bind(":id", use.token_id);
      update.exec();
      update.reset();
      auto next = std::make_shared<Entry>(*current);
      next->token.last_used_at = use.at;
      next->token.last_used_address = use.client_address;
      changes.emplace_back(std::move(current), std::move(next));
    }
    transaction.commit();
  } catch (const SQLite::Exception& e) {
    return StorageError("record last use", e);
  }
  for (auto& [previous, next] : changes) Publish(previous, std::move(next));
  return absl::OkStatus();
}

size_t TokenStore::size() const {
  std::shared_lock lock(mu_);
  return by_id_.size();
}

}  // namespace vpvm::auth
