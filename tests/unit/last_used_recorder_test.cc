#include "libauth/last_used_recorder.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "libauth/last_use.h"

namespace vpvm::auth {
namespace {

// An in-memory sink that, like the token store, keeps the later of the stored and the offered
// time of each token, and counts offers that would have moved a time backwards. It can be told to
// fail, and to hold a write until released, and it notes whether it was ever called from two
// threads at once.
class FakeLastUseSink final : public LastUseSink {
 public:
  absl::Status WriteLastUses(absl::Span<const LastUse> uses) override {
    const int active = ++active_;
    int seen = max_active_.load();
    while (active > seen && !max_active_.compare_exchange_weak(seen, active)) {
    }

    absl::Status status;
    {
      absl::MutexLock lock(&mu_);
      ++calls_;
      if (hold_) {
        held_ = true;
        mu_.Await(absl::Condition(this, &FakeLastUseSink::NotHolding));
        held_ = false;
      }
      if (failing_) {
        status = absl::UnavailableError("the disk is full");
      } else {
        batch_sizes_.push_back(uses.size());
        for (const LastUse& use : uses) {
          auto [it, inserted] = stored_.try_emplace(use.token_id, use);
          if (inserted) continue;
          if (it->second.at < use.at) {
            it->second = use;
          } else {
            ++backward_offers_;
          }
        }
      }
    }
    --active_;
    return status;
  }

  void SetFailing(bool failing) {
    absl::MutexLock lock(&mu_);
    failing_ = failing;
  }

  // Makes the next writes wait inside the sink until Release().
  void Hold() {
    absl::MutexLock lock(&mu_);
    hold_ = true;
  }
  void AwaitHeldWrite() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&held_));
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    hold_ = false;
  }

  // Waits until the sink has been called at least `n` times; false after `timeout`.
  bool AwaitCalls(int n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n] { return calls_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

  // Waits until `token_id` is stored with time `at`; false after `timeout`.
  bool AwaitStored(const std::string& token_id, absl::Time at, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto stored = [&] {
      auto it = stored_.find(token_id);
      return it != stored_.end() && it->second.at == at;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&stored), timeout);
  }

  int Calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::vector<size_t> BatchSizes() const {
    absl::MutexLock lock(&mu_);
    return batch_sizes_;
  }
  absl::flat_hash_map<std::string, LastUse> StoredUses() const {
    absl::MutexLock lock(&mu_);
    return stored_;
  }
  std::optional<LastUse> Stored(const std::string& token_id) const {
    absl::MutexLock lock(&mu_);
    auto it = stored_.find(token_id);
    if (it == stored_.end()) return std::nullopt;
    return it->second;
  }
  int BackwardOffers() const {
    absl::MutexLock lock(&mu_);
    return backward_offers_;
  }
  int MaxConcurrentWrites() const { return max_active_.load(); }

 private:
  bool NotHolding() const { return !hold_; }

  mutable absl::Mutex mu_;
  int calls_ = 0;
  bool failing_ = false;
  bool hold_ = false;
  bool held_ = false;
  int backward_offers_ = 0;
  std::vector<size_t> batch_sizes_;
  absl::flat_hash_map<std::string, LastUse> stored_;
  std::atomic<int> active_{0};
  std::atomic<int> max_active_{0};
};

absl::Time At(int64_t seconds) { return absl::FromUnixSeconds(1700000000 + seconds); }

LastUsedRecorderOptions OnlyExplicitFlushes() {
  LastUsedRecorderOptions options;
  options.flush_interval = absl::InfiniteDuration();
  return options;
}

LastUsedRecorderOptions Every(absl::Duration interval) {
  LastUsedRecorderOptions options;
  options.flush_interval = interval;
  return options;
}

TEST(LastUsedRecorderTest, ManyRecordsOfOneTokenCollapseIntoOneWriteOfTheNewest) {
  FakeLastUseSink sink;
  LastUsedRecorder recorder(sink, OnlyExplicitFlushes());
  for (int i = 0; i < 1000; ++i) recorder.Record("tok", At(i), absl::StrCat("10.0.0.", i % 250));

  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(sink.BatchSizes(), std::vector<size_t>{1});
  std::optional<LastUse> stored = sink.Stored("tok");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->at, At(999));
  EXPECT_EQ(stored->client_address, "10.0.0.249");
}

TEST(LastUsedRecorderTest, OlderRecordDoesNotOverwriteNewer) {
  FakeLastUseSink sink;
  LastUsedRecorder recorder(sink, OnlyExplicitFlushes());
  recorder.Record("tok", At(10), "192.0.2.1");
  recorder.Record("tok", At(5), "192.0.2.2");
  recorder.Record("tok", At(10), "192.0.2.3");  // same time: the first one stays

  std::optional<LastUse> pending = recorder.Pending("tok");
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->at, At(10));
  EXPECT_EQ(pending->client_address, "192.0.2.1");

  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(sink.Stored("tok")->at, At(10));
  EXPECT_EQ(sink.Stored("tok")->client_address, "192.0.2.1");
}

TEST(LastUsedRecorderTest, PendingShowsTheNewestUnwrittenUseUntilFlushed) {
  FakeLastUseSink sink;
  LastUsedRecorder recorder(sink, OnlyExplicitFlushes());
  EXPECT_FALSE(recorder.Pending("tok").has_value());

  recorder.Record("tok", At(1), "::1");
  recorder.Record("tok", At(2), "unix");
  std::optional<LastUse> pending = recorder.Pending("tok");
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->token_id, "tok");
  EXPECT_EQ(pending->at, At(2));
  EXPECT_EQ(pending->client_address, "unix");
  EXPECT_FALSE(recorder.Pending("other").has_value());

  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_FALSE(recorder.Pending("tok").has_value());
}

TEST(LastUsedRecorderTest, OneBatchHoldsEveryPendingToken) {
  FakeLastUseSink sink;
  LastUsedRecorder recorder(sink, OnlyExplicitFlushes());
  recorder.Record("a", At(1), "192.0.2.1");
  recorder.Record("b", At(2), "192.0.2.2");
  recorder.Record("c", At(3), "192.0.2.3");
  recorder.Record("a", At(4), "192.0.2.4");

  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(sink.BatchSizes(), std::vector<size_t>{3});
  EXPECT_EQ(sink.Stored("a")->at, At(4));
  EXPECT_EQ(sink.Stored("b")->at, At(2));
  EXPECT_EQ(sink.Stored("c")->at, At(3));
}

TEST(LastUsedRecorderTest, FlushWithNothingPendingDoesNotCallTheSink) {
  FakeLastUseSink sink;
  LastUsedRecorder recorder(sink, OnlyExplicitFlushes());
  EXPECT_TRUE(recorder.Flush().ok());
  recorder.Record("tok", At(1), "::1");
  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_TRUE(recorder.Flush().ok());
  EXPECT_TRUE(recorder.Stop().ok());
  EXPECT_EQ(sink.Calls(), 1);
}

TEST(LastUsedRecorderTest, BackgroundThreadFlushesWithoutBeingAsked) {
  FakeLastUseSink sink;
  LastUsedRecorder recorder(sink, Every(absl::Milliseconds(10)));
  recorder.Record("tok", At(1), "::1");
  EXPECT_TRUE(sink.AwaitStored("tok", At(1), absl::Seconds(30)));
}

TEST(LastUsedRecorderTest, BackgroundThreadStaysQuietWhenNothingIsPending) {
  FakeLastUseSink sink;
  LastUsedRecorder recorder(sink, Every(absl::Milliseconds(5)));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(sink.Calls(), 0);
}

TEST(LastUsedRecorderTest, BackgroundBatchesComeAtMostOncePerInterval) {
  constexpr absl::Duration kInterval = absl::Milliseconds(50);
  FakeLastUseSink sink;
  const absl::Time start = absl::Now();
  LastUsedRecorder recorder(sink, Every(kInterval));

  // Keep something pending all the time, so every background round has work.
  for (int i = 0; absl::Now() - start < absl::Milliseconds(500); ++i) {
    recorder.Record("tok", At(i), "::1");
    absl::SleepFor(absl::Microseconds(200));
  }
  const int calls = sink.Calls();
  const absl::Duration elapsed = absl::Now() - start;

  // Each background round first waits a whole interval, so `elapsed` holds at most
  // elapsed / interval of them; one more allows for rounding.
  EXPECT_LE(calls, static_cast<int>(elapsed / kInterval) + 1) << "elapsed " << elapsed;
}

TEST(LastUsedRecorderTest, StopFlushesEverythingPending) {
  FakeLastUseSink sink;
  LastUsedRecorder recorder(sink, OnlyExplicitFlushes());
  for (int i = 0; i < 100; ++i) recorder.Record(absl::StrCat("tok-", i), At(i), "::1");

  ASSERT_TRUE(recorder.Stop().ok());
  EXPECT_EQ(sink.StoredUses().size(), 100u);
  EXPECT_EQ(sink.Stored("tok-42")->at, At(42));
  EXPECT_FALSE(recorder.Pending("tok-42").has_value());
  EXPECT_TRUE(recorder.Stop().ok());  // a second Stop is harmless
}

TEST(LastUsedRecorderTest, DestructorFlushesEverythingPending) {
  FakeLastUseSink sink;
  {
    LastUsedRecorder recorder(sink, Every(absl::Hours(1)));
    recorder.Record("a", At(1), "::1");
    recorder.Record("b", At(2), "::1");
  }
  EXPECT_EQ(sink.BatchSizes(), std::vector<size_t>{2});
  EXPECT_EQ(sink.Stored("b")->at, At(2));
}

TEST(LastUsedRecorderTest, RecordAfterStopIsWrittenByTheDestructor) {
  FakeLastUseSink sink;
  {
    LastUsedRecorder recorder(sink, Every(absl::Milliseconds(1)));
    ASSERT_TRUE(recorder.Stop().ok());
    recorder.Record("late", At(7), "::1");
  }
  ASSERT_TRUE(sink.Stored("late").has_value());
  EXPECT_EQ(sink.Stored("late")->at, At(7));
}

TEST(LastUsedRecorderTest, FailedWriteKeepsUsesForTheNextFlush) {
  FakeLastUseSink sink;
  LastUsedRecorder recorder(sink, OnlyExplicitFlushes());
  sink.SetFailing(true);
  recorder.Record("a", At(10), "192.0.2.1");
  recorder.Record("b", At(10), "192.0.2.1");

  EXPECT_EQ(recorder.Flush().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(recorder.Pending("a").has_value());
  EXPECT_EQ(recorder.Pending("a")->at, At(10));

  // Uses recorded meanwhile merge with the kept ones: newer wins, older is dropped.
  recorder.Record("a", At(5), "192.0.2.5");
  recorder.Record("b", At(20), "192.0.2.20");
  recorder.Record("c", At(1), "192.0.2.9");
  EXPECT_EQ(recorder.Pending("a")->at, At(10));
  EXPECT_EQ(recorder.Pending("b")->at, At(20));

  sink.SetFailing(false);
  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(sink.BatchSizes(), std::vector<size_t>{3});
  EXPECT_EQ(sink.Stored("a")->at, At(10));
  EXPECT_EQ(sink.Stored("a")->client_address, "192.0.2.1");
  EXPECT_EQ(sink.Stored("b")->at, At(20));
  EXPECT_EQ(sink.Stored("b")->client_address, "192.0.2.20");
  EXPECT_EQ(sink.Stored("c")->at, At(1));
  EXPECT_FALSE(recorder.Pending("a").has_value());
}

TEST(LastUsedRecorderTest, BackgroundThreadRetriesAfterAFailedWrite) {
  FakeLastUseSink sink;
  sink.SetFailing(true);
  LastUsedRecorder recorder(sink, Every(absl::Milliseconds(5)));
  recorder.Record("tok", At(1), "::1");
  ASSERT_TRUE(sink.AwaitCalls(2, absl::Seconds(30)));

  sink.SetFailing(false);
  EXPECT_TRUE(sink.AwaitStored("tok", At(1), absl::Seconds(30)));
}

TEST(LastUsedRecorderTest, StopReportsAFailedFinalWriteAndKeepsTheUses) {
  FakeLastUseSink sink;
  LastUsedRecorder recorder(sink, OnlyExplicitFlushes());
  sink.SetFailing(true);
  recorder.Record("tok", At(3), "::1");
  EXPECT_EQ(recorder.Stop().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(recorder.Pending("tok").has_value());

  sink.SetFailing(false);
  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(sink.Stored("tok")->at, At(3));
}

TEST(LastUsedRecorderTest, UseBeingWrittenStaysVisibleAndIsNotFollowedByAnOlderOne) {
  FakeLastUseSink sink;
  LastUsedRecorder recorder(sink, OnlyExplicitFlushes());
  recorder.Record("tok", At(10), "192.0.2.10");

  // While the sink is still writing At(10), an older use arrives late: it must not be written
  // after the newer one.
  sink.Hold();
  std::thread flusher([&] { EXPECT_TRUE(recorder.Flush().ok()); });
  sink.AwaitHeldWrite();
  ASSERT_TRUE(recorder.Pending("tok").has_value());
  EXPECT_EQ(recorder.Pending("tok")->at, At(10));
  recorder.Record("tok", At(5), "192.0.2.5");
  EXPECT_EQ(recorder.Pending("tok")->at, At(10));
  sink.Release();
  flusher.join();

  EXPECT_FALSE(recorder.Pending("tok").has_value());
  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(sink.Calls(), 1);
  EXPECT_EQ(sink.BackwardOffers(), 0);
  EXPECT_EQ(sink.Stored("tok")->at, At(10));

  // A newer use arriving during a write is kept and written next.
  sink.Hold();
  recorder.Record("tok", At(20), "192.0.2.20");
  std::thread second_flusher([&] { EXPECT_TRUE(recorder.Flush().ok()); });
  sink.AwaitHeldWrite();
  recorder.Record("tok", At(30), "192.0.2.30");
  EXPECT_EQ(recorder.Pending("tok")->at, At(30));
  sink.Release();
  second_flusher.join();
  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(sink.Stored("tok")->at, At(30));
  EXPECT_EQ(sink.Stored("tok")->client_address, "192.0.2.30");
  EXPECT_EQ(sink.BackwardOffers(), 0);
}

TEST(LastUsedRecorderTest, ConcurrentRecordsLoseNothing) {
  constexpr int kThreads = 4;
  constexpr int kRecordsPerThread = 10000;
  // Each thread writes shared tokens (all threads race on them) and tokens of its own.
  auto token_of = [](int thread, int i) {
    return i % 2 == 0 ? absl::StrCat("shared-", i % 50) : absl::StrCat("t", thread, "-", i % 30);
  };
  auto time_of = [](int thread, int i) {
    return At(0) + absl::Milliseconds(i) + absl::Microseconds(thread);
  };

  absl::flat_hash_map<std::string, LastUse> expected;
  for (int thread = 0; thread < kThreads; ++thread) {
    for (int i = 0; i < kRecordsPerThread; ++i) {
      LastUse use{token_of(thread, i), time_of(thread, i), absl::StrCat("10.0.0.", thread)};
      auto [it, inserted] = expected.try_emplace(use.token_id, use);
      if (!inserted && it->second.at < use.at) it->second = use;
    }
  }

  FakeLastUseSink sink;
  LastUsedRecorder recorder(sink, Every(absl::Milliseconds(1)));
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int thread = 0; thread < kThreads; ++thread) {
    threads.emplace_back([&, thread] {
      const std::string address = absl::StrCat("10.0.0.", thread);
      for (int i = 0; i < kRecordsPerThread; ++i) {
        recorder.Record(token_of(thread, i), time_of(thread, i), address);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(recorder.Stop().ok());

  const absl::flat_hash_map<std::string, LastUse> stored = sink.StoredUses();
  ASSERT_EQ(stored.size(), expected.size());
  for (const auto& [token_id, use] : expected) {
    auto it = stored.find(token_id);
    ASSERT_NE(it, stored.end()) << token_id;
    EXPECT_EQ(it->second.at, use.at) << token_id;
    EXPECT_EQ(it->second.client_address, use.client_address) << token_id;
  }
  EXPECT_EQ(sink.MaxConcurrentWrites(), 1);
}

}  // namespace
}  // namespace vpvm::auth
