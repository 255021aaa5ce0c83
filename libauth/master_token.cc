#include "libauth/master_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

}  // namespace

absl::Status WriteSecretFile(const std::string& path, absl::string_view secret) {
  const std::string temp = absl::StrCat(path, ".new");
  ::unlink(temp.c_str());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return FileError("create", temp);
  absl::Status written = WriteAll(fd, absl::StrCat(secret, "\n"));
  if (written.ok() && (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0)) {
    written = FileError("sync", temp);
  }
  ::close(fd);
  if (written.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    written = FileError("rename into", path);
  }
  if (!written.ok()) ::unlink(temp.c_str());
  return written;
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return FileError("read", path);
  std::stringstream content;
  content << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(content.str()));
}

absl::StatusOr<bool> EnsureMasterToken(TokenStore& store, const std::string& secret_file) {
  if (store.HasMaster()) return false;
  auto persist = [&](absl::string_view secret) { return WriteSecretFile(secret_file, secret); };
  absl::StatusOr<TokenStore::Issued> issued = store.CreateMaster(persist);
  if (issued.ok()) return true;
  if (absl::IsAlreadyExists(issued.status())) return false;  // made meanwhile by another caller
  return issued.status();
}

absl::Status RotateMasterToken(TokenStore& store, const std::string& secret_file) {
  auto persist = [&](absl::string_view secret) { return WriteSecretFile(secret_file, secret); };
  return store.RotateMaster(persist).status();
}

}  // namespace vpvm::auth
