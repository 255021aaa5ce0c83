#pragma once

// Helpers shared by the libauth unit tests: a temporary folder and a deterministic random source.

#include <cstdint>
#include <string>

#include "absl/synchronization/mutex.h"
#include "libauth/random.h"

namespace vpvm::testing {

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Bytes from a seeded counter: repeatable, never secure.
class FakeRandom final : public auth::RandomSource {
 public:
  explicit FakeRandom(uint64_t seed = 1) : state_(seed) {}
  absl::Status Fill(absl::Span<uint8_t> out) override;

 private:
  absl::Mutex mu_;
  uint64_t state_ ABSL_GUARDED_BY(mu_);
};

// The permission bits of `path` (for example 0600), or -1 when it does not exist.
int FileMode(const std::string& path);

// The whole content of `path`.
std::string ReadFile(const std::string& path);

}  // namespace vpvm::testing
