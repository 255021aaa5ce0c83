#include "libauth/master_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace vpvm::auth {
namespace {

absl::Status FileError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::InternalError(std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

std::string StagedPath(const std::string& secret_file) { return secret_file + ".staged"; }

// Writes `secret` to a new file at `path` and syncs it; it becomes the secret file only when
// Install renames it, after the database committed.
absl::Status Stage(const std::string& path, absl::string_view secret) {
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return FileError("create", path);
  absl::Status written = WriteAll(fd, absl::StrCat(secret, "\n"));
  if (written.ok() && (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0)) {
    written = FileError("sync", path);
  }
  ::close(fd);
  if (!written.ok()) ::unlink(path.c_str());
  return written;
}

absl::Status Install(const std::string& staged, const std::string& secret_file) {
  if (::rename(staged.c_str(), secret_file.c_str()) != 0) {
    return FileError("rename into", secret_file);
  }
  // The rename itself must survive a crash.
  const std::string folder = std::filesystem::path(secret_file).parent_path().string();
  int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return absl::OkStatus();
}

// Stages the new secret inside the store's transaction and installs it once committed.
absl::Status IssueMaster(TokenStore& store, const std::string& secret_file, bool rotate) {
  const std::string staged = StagedPath(secret_file);
  auto persist = [&](absl::string_view secret) { return Stage(staged, secret); };
  absl::StatusOr<TokenStore::Issued> issued =
      rotate ? store.RotateMaster(persist) : store.CreateMaster(persist);
  if (!issued.ok()) {
    ::unlink(staged.c_str());
    return issued.status();
  }
  return Install(staged, secret_file);
}

}  // namespace

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return FileError("read", path);
  std::stringstream content;
  content << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(content.str()));
}

absl::Status RecoverStagedSecret(TokenStore& store, const std::string& secret_file) {
  const std::string staged = StagedPath(secret_file);
  absl::StatusOr<std::string> secret = ReadSecretFile(staged);
  if (!secret.ok()) return absl::OkStatus();  // nothing staged
  absl::StatusOr<std::shared_ptr<const Token>> token = store.Verify(*secret);
  if (token.ok() && (*token)->is_master) return Install(staged, secret_file);
  // Staged but never committed: the secret file still holds the valid secret.
  ::unlink(staged.c_str());
  return absl::OkStatus();
}

absl::StatusOr<bool> EnsureMasterToken(TokenStore& store, const std::string& secret_file) {
  VPVM_RETURN_IF_ERROR(RecoverStagedSecret(store, secret_file));
  if (store.HasMaster()) return false;
  absl::Status created = IssueMaster(store, secret_file, /*rotate=*/false);
  if (created.ok()) return true;
  if (absl::IsAlreadyExists(created)) return false;  // made meanwhile by another caller
  return created;
}

absl::Status RotateMasterToken(TokenStore& store, const std::string& secret_file) {
  VPVM_RETURN_IF_ERROR(RecoverStagedSecret(store, secret_file));
  return IssueMaster(store, secret_file, /*rotate=*/true);
}

}  // namespace vpvm::auth
