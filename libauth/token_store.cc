#include "libauth/token_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "SQLiteCpp/Statement.h"
#include "SQLiteCpp/Transaction.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "libauth/store_schema.h"

namespace vpvm::auth {
namespace {

constexpr char kMasterLabel[] = "Master token";

int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

absl::Status StorageError(absl::string_view what, const std::exception& e) {
  return absl::InternalError(absl::StrCat("token store: cannot ", what, ": ", e.what()));
}

absl::Status NoSuchToken(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("token ", id, " not found"));
}

// Creates the database file with mode 0600 before SQLite sees it (SQLite would use 0644, and
// gives its -wal and -shm files the mode of the database file), and tightens an existing one.
absl::Status PrepareDatabaseFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot open the token database ", path, ": ", std::strerror(errno)));
  }
  const bool tightened = ::fchmod(fd, 0600) == 0;
  ::close(fd);
  if (!tightened) {
    return absl::PermissionDeniedError(absl::StrCat("cannot make ", path, " private"));
  }
  for (const char* suffix : {"-wal", "-shm"}) {
    std::string side = absl::StrCat(path, suffix);
    if (::access(side.c_str(), F_OK) == 0 && ::chmod(side.c_str(), 0600) != 0) {
      return absl::PermissionDeniedError(absl::StrCat("cannot make ", side, " private"));
    }
  }
  return absl::OkStatus();
}

std::optional<absl::Time> OptionalTime(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return FromMicros(column.getInt64());
}

void BindOptionalTime(SQLite::Statement& statement, const char* name,
                      const std::optional<absl::Time>& t) {
  if (t.has_value()) {
    statement.bind(name, static_cast<int64_t>(ToMicros(*t)));
  } else {
    statement.bind(name);
  }
}

void WriteVms(SQLite::Database& db, const Token& token) {
  SQLite::Statement clear(db, "DELETE FROM token_vms WHERE token_id = ?");
  clear.bind(1, token.id);
  clear.exec();
  SQLite::Statement insert(db, "INSERT INTO token_vms (token_id, vm_id, vm_name) VALUES (?, ?, ?)");
  for (const VmRef& vm : token.vm_scope.vms) {
    insert.bind(1, token.id);
    insert.bind(2, vm.id);
    insert.bind(3, vm.name);
    insert.exec();
    insert.reset();
  }
}

// Inserts or replaces the token's row (not its VM list).
void WriteRow(SQLite::Database& db, const Token& token, const SecretDigest& digest) {
  SQLite::Statement upsert(db, R"sql(
      INSERT INTO tokens (id, label, secret_sha256, is_master, access_level, all_vms,
                          ext_templates, ext_networks, ext_images, expires_at_us, disabled,
                          created_at_us, last_used_at_us, last_used_address)
      VALUES (:id, :label, :digest, :master, :level, :all, :tpl, :net, :img, :expires,
              :disabled, :created, :used, :address)
      ON CONFLICT (id) DO UPDATE SET
        label = excluded.label, secret_sha256 = excluded.secret_sha256,
        access_level = excluded.access_level, all_vms = excluded.all_vms,
        ext_templates = excluded.ext_templates, ext_networks = excluded.ext_networks,
        ext_images = excluded.ext_images, expires_at_us = excluded.expires_at_us,
        disabled = excluded.disabled, last_used_at_us = excluded.last_used_at_us,
        last_used_address = excluded.last_used_address)sql");
  upsert.bind(":id", token.id);
  upsert.bind(":label", token.label);
  upsert.bind(":digest", digest.data(), static_cast<int>(digest.size()));
  upsert.bind(":master", token.is_master ? 1 : 0);
  upsert.bind(":level", static_cast<int>(token.access_level));
  upsert.bind(":all", token.vm_scope.all_vms ? 1 : 0);
  upsert.bind(":tpl", token.extended.templates ? 1 : 0);
  upsert.bind(":net", token.extended.networks ? 1 : 0);
  upsert.bind(":img", token.extended.images ? 1 : 0);
  BindOptionalTime(upsert, ":expires", token.expires_at);
  upsert.bind(":disabled", token.disabled ? 1 : 0);
  upsert.bind(":created", static_cast<int64_t>(ToMicros(token.created_at)));
  BindOptionalTime(upsert, ":used", token.last_used_at);
  upsert.bind(":address", token.last_used_address);
  upsert.exec();
}

std::string EscapeLike(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Page tokens are opaque to clients: base64 of the creation sequence number of the last row
// shown.
std::string EncodePageToken(int64_t last_seq) {
  return absl::WebSafeBase64Escape(absl::StrCat("after:", last_seq));
}

absl::StatusOr<int64_t> DecodePageToken(absl::string_view page_token) {
  std::string decoded;
  int64_t seq = 0;
  absl::string_view raw;
  if (absl::WebSafeBase64Unescape(page_token, &decoded)) raw = decoded;
  if (!absl::ConsumePrefix(&raw, "after:") || !absl::SimpleAtoi(raw, &seq)) {
    return absl::InvalidArgumentError("the page token is not one this server issued");
  }
  return seq;
}

// The WHERE clause shared by a page and its total count.
std::string ListConditions(const TokenStore::ListQuery& query) {
  std::string where = "t.is_master = 0";
  switch (query.status) {
    case TokenStore::StatusFilter::kAll:
      break;
    case TokenStore::StatusFilter::kActive:
      absl::StrAppend(
          &where, " AND t.disabled = 0 AND (t.expires_at_us IS NULL OR t.expires_at_us > :now)");
      break;
    case TokenStore::StatusFilter::kDisabled:
      absl::StrAppend(&where, " AND t.disabled = 1");
      break;
    case TokenStore::StatusFilter::kExpired:
      absl::StrAppend(&where,
                      " AND t.disabled = 0 AND t.expires_at_us IS NOT NULL"
                      " AND t.expires_at_us <= :now");
      break;
  }
  if (!query.search.empty()) {
    absl::StrAppend(&where,
                    " AND (t.label LIKE :pattern ESCAPE '\\' OR t.id LIKE :pattern ESCAPE '\\'"
                    " OR EXISTS (SELECT 1 FROM token_vms v"
                    " WHERE v.token_id = t.id AND v.vm_name LIKE :pattern ESCAPE '\\'))");
  }
  return where;
}

void BindListParameters(SQLite::Statement& statement, const TokenStore::ListQuery& query,
                        absl::Time now) {
  if (query.status == TokenStore::StatusFilter::kActive ||
      query.status == TokenStore::StatusFilter::kExpired) {
    statement.bind(":now", static_cast<int64_t>(ToMicros(now)));
  }
  if (!query.search.empty()) {
    statement.bind(":pattern", absl::StrCat("%", EscapeLike(query.search), "%"));
  }
}

}  // namespace

TokenStore::TokenStore(std::unique_ptr<SQLite::Database> db, const Clock& clock,
                       RandomSource& random)
    : clock_(clock), random_(random), db_(std::move(db)) {}

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Open(const std::string& path,
                                                             const Clock& clock,
                                                             RandomSource& random) {
  VPVM_RETURN_IF_ERROR(PrepareDatabaseFile(path));
  std::unique_ptr<SQLite::Database> db;
  try {
    db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE);
    // The header is read first: a file that is not a database, or one from a newer vpvm, is
    // refused here, before any pragma below could write to it.
    if (int version = SchemaVersion(*db); version > kSchemaVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("the token database ", path, " is at schema version ", version,
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
  absl::flat_hash_map<std::string, Entry> loaded;
  try {
    SQLite::Statement rows(*db_, R"sql(
        SELECT id, label, secret_sha256, is_master, access_level, all_vms, ext_templates,
               ext_networks, ext_images, expires_at_us, disabled, created_at_us,
               last_used_at_us, last_used_address,
               EXISTS (SELECT 1 FROM token_totp o WHERE o.token_id = t.id AND o.confirmed = 1)
        FROM tokens t)sql");
    while (rows.executeStep()) {
      Entry entry;
      Token& t = entry.token;
      t.id = rows.getColumn(0).getString();
      t.label = rows.getColumn(1).getString();
      const SQLite::Column digest = rows.getColumn(2);
      if (digest.getBytes() != static_cast<int>(entry.digest.size())) {
        return absl::DataLossError(absl::StrCat("token ", t.id, " has a damaged secret digest"));
      }
      std::memcpy(entry.digest.data(), digest.getBlob(), entry.digest.size());
      t.is_master = rows.getColumn(3).getInt() != 0;
      t.access_level = rows.getColumn(4).getInt() == static_cast<int>(AccessLevel::kAdmin)
                           ? AccessLevel::kAdmin
                           : AccessLevel::kOperator;
      t.vm_scope.all_vms = rows.getColumn(5).getInt() != 0;
      t.extended.templates = rows.getColumn(6).getInt() != 0;
      t.extended.networks = rows.getColumn(7).getInt() != 0;
      t.extended.images = rows.getColumn(8).getInt() != 0;
      t.expires_at = OptionalTime(rows.getColumn(9));
      t.disabled = rows.getColumn(10).getInt() != 0;
      t.created_at = FromMicros(rows.getColumn(11).getInt64());
      t.last_used_at = OptionalTime(rows.getColumn(12));
      t.last_used_address = rows.getColumn(13).getString();
      t.two_factor_enabled = rows.getColumn(14).getInt() != 0;
      loaded.emplace(t.id, std::move(entry));
    }
    SQLite::Statement vms(*db_, "SELECT token_id, vm_id, vm_name FROM token_vms ORDER BY rowid");
    while (vms.executeStep()) {
      auto it = loaded.find(vms.getColumn(0).getString());
      if (it == loaded.end()) continue;
      it->second.token.vm_scope.vms.push_back(
          VmRef{vms.getColumn(1).getString(), vms.getColumn(2).getString()});
    }
  } catch (const SQLite::Exception& e) {
    return absl::DataLossError(absl::StrCat("cannot read the token database: ", e.what()));
  }

  std::unique_lock lock(mu_);
  for (auto& [id, entry] : loaded) {
    auto ptr = std::make_shared<const Entry>(std::move(entry));
    by_digest_[ptr->digest] = ptr;
    by_id_[id] = std::move(ptr);
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
    WriteRow(*db_, next->token, next->digest);
    if (vms_changed) WriteVms(*db_, next->token);
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
    VPVM_ASSIGN_OR_RETURN(after_seq, DecodePageToken(query.page_token));
  }
  const absl::Time now = clock_.Now();
  const std::string where = ListConditions(query);

  absl::MutexLock db_lock(&db_mu_);
  Page page;
  try {
    SQLite::Statement count(*db_, absl::StrCat("SELECT COUNT(*) FROM tokens t WHERE ", where));
    BindListParameters(count, query, now);
    count.executeStep();
    page.total_size = count.getColumn(0).getInt64();

    SQLite::Statement select(*db_, absl::StrCat("SELECT t.seq, t.id FROM tokens t WHERE ", where,
                                                " AND t.seq > :after ORDER BY t.seq LIMIT :limit"));
    BindListParameters(select, query, now);
    select.bind(":after", static_cast<int64_t>(after_seq));
    select.bind(":limit", page_size + 1);
    int64_t last_seq = 0;
    while (select.executeStep()) {
      if (static_cast<int>(page.tokens.size()) == page_size) {
        page.next_page_token = EncodePageToken(last_seq);
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
    WriteRow(*db_, next->token, next->digest);
    VPVM_RETURN_IF_ERROR(persist(secret));
    transaction.commit();
  } catch (const SQLite::Exception& e) {
    return StorageError("store the master token", e);
  }
  Issued issued{next->token, std::move(secret)};
  Publish(current, std::move(next));
  return issued;
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
