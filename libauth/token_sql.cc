#include "libauth/token_sql.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace vpvm::auth::token_sql {

absl::Status StorageError(absl::string_view what, const std::exception& e) {
  return absl::InternalError(absl::StrCat("token store: cannot ", what, ": ", e.what()));
}

absl::Status NoSuchToken(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("token ", id, " not found"));
}

namespace {

int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

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

std::string EscapeLike(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

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

absl::StatusOr<std::vector<StoredToken>> ReadAll(SQLite::Database& db) {
  std::vector<StoredToken> loaded;
  absl::flat_hash_map<std::string, size_t> index;
  SQLite::Statement rows(db, R"sql(
      SELECT id, label, secret_sha256, is_master, access_level, all_vms, ext_templates,
             ext_networks, ext_images, expires_at_us, disabled, created_at_us,
             last_used_at_us, last_used_address,
             EXISTS (SELECT 1 FROM token_totp o WHERE o.token_id = t.id AND o.confirmed = 1)
      FROM tokens t)sql");
  while (rows.executeStep()) {
    StoredToken entry;
    Token& t = entry.token;
    t.id = rows.getColumn(0).getString();
    t.label = rows.getColumn(1).getString();
    const SQLite::Column digest = rows.getColumn(2);
    if (digest.getBytes() != static_cast<int>(entry.digest.size())) {
      return absl::DataLossError(absl::StrCat("token ", t.id, " has a damaged secret digest"));
    }
    std::memcpy(entry.digest.data(), digest.getBlob(), entry.digest.size());
    t.is_master = rows.getColumn(3).getInt() != 0;
    const int level = rows.getColumn(4).getInt();
    if (level != static_cast<int>(AccessLevel::kOperator) &&
        level != static_cast<int>(AccessLevel::kAdmin)) {
      return absl::DataLossError(absl::StrCat("token ", t.id, " has an unknown level ", level));
    }
    t.access_level = static_cast<AccessLevel>(level);
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
    index[t.id] = loaded.size();
    loaded.push_back(std::move(entry));
  }
  SQLite::Statement vms(db, "SELECT token_id, vm_id, vm_name FROM token_vms ORDER BY rowid");
  while (vms.executeStep()) {
    auto it = index.find(vms.getColumn(0).getString());
    if (it == index.end()) continue;
    loaded[it->second].token.vm_scope.vms.push_back(
        VmRef{vms.getColumn(1).getString(), vms.getColumn(2).getString()});
  }
  return loaded;
}

}  // namespace vpvm::auth::token_sql
