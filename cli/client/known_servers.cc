#include "cli/client/known_servers.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/certificate_fingerprint.h"
#include "common/default_paths.h"

namespace vpvm::client {

std::string KnownServers::DefaultPath() { return UserConfigDir() + "/known_servers"; }

absl::StatusOr<KnownServers> KnownServers::Load(std::string path) {
  KnownServers known(std::move(path));
  std::ifstream in(known.path_);
  if (!in) return known;

  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text.front() == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(text, ' ', absl::SkipEmpty());
    absl::StatusOr<std::string> fingerprint =
        fields.size() == 2 ? NormalizeFingerprint(fields[1]) : absl::InvalidArgumentError("");
    if (!fingerprint.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          known.path_, " line ", number, " is not \"HOST:PORT FINGERPRINT\"; fix or remove it"));
    }
    known.pins_[fields[0]] = *fingerprint;
  }
  return known;
}

std::optional<std::string> KnownServers::Find(const std::string& target) const {
  auto it = pins_.find(target);
  if (it == pins_.end()) return std::nullopt;
  return it->second;
}

absl::Status KnownServers::Pin(const std::string& target, const std::string& fingerprint) {
  pins_[target] = fingerprint;
  std::ostringstream content;
  content << "# Servers whose TLS certificates vpvm trusts: HOST:PORT SHA-256-FINGERPRINT\n";
  for (const auto& [server, pin] : pins_) content << server << ' ' << pin << '\n';

  std::error_code error;
  const std::filesystem::path folder = std::filesystem::path(path_).parent_path();
  std::filesystem::create_directories(folder, error);
  const std::string temporary = path_ + ".tmp";
  const mode_t old_mask = ::umask(077);
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << content.str();
    out.close();
    if (!out) {
      ::umask(old_mask);
      return absl::InternalError(absl::StrCat("cannot write ", temporary));
    }
  }
  ::umask(old_mask);
  if (std::rename(temporary.c_str(), path_.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot replace ", path_));
  }
  return absl::OkStatus();
}

}  // namespace vpvm::client
