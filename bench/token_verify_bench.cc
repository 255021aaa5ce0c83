// Verifying a presented secret against a store of 100,000 tokens, the path every request takes,
// beside a plain SHA-256 of the same secret measured in the same run.

#include <openssl/evp.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Transaction.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "libauth/clock.h"
#include "libauth/secret.h"
#include "libauth/store_schema.h"
#include "libauth/token_store.h"

namespace vpvm::auth {
namespace {

constexpr int kTokens = 100'000;

// A store of kTokens tokens, written in one transaction (creating them one by one would measure
// 100,000 fsyncs), then opened the way the daemon opens it.
struct Fixture {
  std::string dir;
  SystemClock clock;
  OsRandom random;
  std::vector<std::string> secrets;
  std::unique_ptr<TokenStore> store;

  Fixture() {
    char pattern[] = "/tmp/vpvm-bench-XXXXXX";
    dir = ::mkdtemp(pattern);
    const std::string path = dir + "/vpvm.db";
    {
      SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      if (!MigrateTo(db).ok()) std::abort();
      SQLite::Transaction transaction(db);
      SQLite::Statement insert(db,
                               "INSERT INTO tokens (id, label, secret_sha256, access_level, "
                               "all_vms, created_at_us) VALUES (?, ?, ?, 2, 1, 0)");
      for (int i = 0; i < kTokens; ++i) {
        std::string secret = *GenerateSecret(random);
        SecretDigest digest = *DigestPresentedSecret(secret);
        insert.bind(1, *GenerateTokenId(random));
        insert.bind(2, absl::StrCat("bench ", i));
        insert.bind(3, digest.data(), static_cast<int>(digest.size()));
        insert.exec();
        insert.reset();
        secrets.push_back(std::move(secret));
      }
      transaction.commit();
    }
    store = std::move(*TokenStore::Open(path, clock, random));
    if (store->size() != kTokens) std::abort();
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

Fixture& Shared() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

// The same client presenting its secret again and again, as a busy CI pipeline does.
void BM_VerifyOneSecretInStoreOf100k(benchmark::State& state) {
  Fixture& f = Shared();
  const std::string secret = f.secrets[f.secrets.size() / 2];
  for (auto _ : state) {
    auto token = f.store->Verify(secret);
    if (!token.ok()) state.SkipWithError("a stored secret did not verify");
    benchmark::DoNotOptimize(token);
  }
}
BENCHMARK(BM_VerifyOneSecretInStoreOf100k);
BENCHMARK(BM_VerifyOneSecretInStoreOf100k)->Threads(2)->UseRealTime();

// Every request from a different token, cycling through all 100,000: the worst case for caches.
void BM_VerifyInStoreOf100k(benchmark::State& state) {
  Fixture& f = Shared();
  size_t i = 0;
  for (auto _ : state) {
    auto token = f.store->Verify(f.secrets[i++ % f.secrets.size()]);
    if (!token.ok()) state.SkipWithError("a stored secret did not verify");
    benchmark::DoNotOptimize(token);
  }
}
BENCHMARK(BM_VerifyInStoreOf100k);
BENCHMARK(BM_VerifyInStoreOf100k)->Threads(2)->UseRealTime();

void BM_VerifyUnknownSecret(benchmark::State& state) {
  Fixture& f = Shared();
  OsRandom random;
  const std::string stranger = *GenerateSecret(random);
  for (auto _ : state) benchmark::DoNotOptimize(f.store->Verify(stranger));
}
BENCHMARK(BM_VerifyUnknownSecret);

// The reference: one SHA-256 of the same kind of secret, the digest fetched once and the
// context reused, the fastest plain use of OpenSSL we know.
void BM_Sha256Reference(benchmark::State& state) {
  Fixture& f = Shared();
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& s = f.secrets[i++ % f.secrets.size()];
    EVP_DigestInit_ex2(ctx, md, nullptr);
    EVP_DigestUpdate(ctx, s.data(), s.size());
    EVP_DigestFinal_ex(ctx, out, &length);
    benchmark::DoNotOptimize(out);
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
}
BENCHMARK(BM_Sha256Reference);

// The reference for the one-secret case: SHA-256 of that same secret.
void BM_Sha256OneSecretReference(benchmark::State& state) {
  Fixture& f = Shared();
  const std::string secret = f.secrets[f.secrets.size() / 2];
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  for (auto _ : state) {
    EVP_DigestInit_ex2(ctx, md, nullptr);
    EVP_DigestUpdate(ctx, secret.data(), secret.size());
    EVP_DigestFinal_ex(ctx, out, &length);
    benchmark::DoNotOptimize(out);
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
}
BENCHMARK(BM_Sha256OneSecretReference);

// What the reference costs when OpenSSL allocates a context on every call.
void BM_Sha256OneShot(benchmark::State& state) {
  Fixture& f = Shared();
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& s = f.secrets[i++ % f.secrets.size()];
    EVP_Digest(s.data(), s.size(), out, &length, md, nullptr);
    benchmark::DoNotOptimize(out);
  }
  EVP_MD_free(md);
}
BENCHMARK(BM_Sha256OneShot);

// For scale: an indexed SQLite point query, what the request path must avoid.
void BM_SqlitePointQueryForScale(benchmark::State& state) {
  Fixture& f = Shared();
  SQLite::Database db(f.dir + "/vpvm.db", SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT id FROM tokens WHERE secret_sha256 = ?");
  size_t i = 0;
  for (auto _ : state) {
    SecretDigest d = *DigestPresentedSecret(f.secrets[i++ % f.secrets.size()]);
    q.bind(1, d.data(), static_cast<int>(d.size()));
    benchmark::DoNotOptimize(q.executeStep());
    q.reset();
  }
}
BENCHMARK(BM_SqlitePointQueryForScale);

}  // namespace
}  // namespace vpvm::auth

BENCHMARK_MAIN();
