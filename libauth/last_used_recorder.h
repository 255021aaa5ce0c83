#pragma once

// Keeps every token's last use (time and client address) off the request path.
//
// Record() runs on every authenticated request: it only updates an in-memory table of the newest
// unwritten use per token, never touches the disk and never waits for the sink. A background
// thread hands that table to the LastUseSink as one batch, at most about once per flush interval
// and only when something is pending. A batch the sink refuses stays pending, merged with newer
// uses, and is tried again at the next flush. Stop() (or the destructor) flushes what is left,
// so a clean shutdown loses nothing.
//
// The recorder never sends the sink an older use of a token while a newer one is pending or
// being written. It does not remember what was written before, though: a use recorded after a
// newer one of the same token has already been stored (two requests racing across a flush), or
// one from another host sharing the store, may reach the sink later. So a sink keeps the later of
// the stored and the offered time.

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "libauth/last_use.h"

namespace vpvm::auth {

struct LastUsedRecorderOptions {
  // How often the background thread looks for pending uses. absl::InfiniteDuration() turns the
  // background thread's flushes off (only Flush() and Stop() write). Values below 1 ms count as
  // 1 ms.
  absl::Duration flush_interval = absl::Seconds(1);
};

class LastUsedRecorder {
 public:
  // Starts the background thread. `sink` must outlive the recorder; the recorder never calls it
  // from two threads at once.
  explicit LastUsedRecorder(LastUseSink& sink, LastUsedRecorderOptions options = {});
  // Stops and flushes, as Stop() does.
  ~LastUsedRecorder();

  LastUsedRecorder(const LastUsedRecorder&) = delete;
  LastUsedRecorder& operator=(const LastUsedRecorder&) = delete;

  // Notes that `token_id` was used at `at` from `client_address`, unless a use of that token at
  // the same time or later is already waiting to be written. Thread-safe and cheap; may be
  // called after Stop(), in which case the next Flush() (or the destructor) writes it.
  void Record(absl::string_view token_id, absl::Time at, absl::string_view client_address);

  // Writes everything pending now, in one batch, and returns the sink's answer (OK if nothing
  // was pending). Waits for a flush already under way to finish first.
  absl::Status Flush();

  // Ends the background thread, then flushes what is pending and returns that flush's answer.
  // Later calls only flush.
  absl::Status Stop();

  // The newest use of `token_id` that the sink may not have stored yet, if any. Views combine it
  // with the stored value to show the freshest last use.
  std::optional<LastUse> Pending(absl::string_view token_id) const;

 private:
  using UseMap = absl::flat_hash_map<std::string, LastUse>;

  void RunBackground();

  LastUseSink& sink_;
  const absl::Duration flush_interval_;

  mutable absl::Mutex mu_;
  // Newest unwritten use per token.
  UseMap pending_ ABSL_GUARDED_BY(mu_);
  // The batch the sink is writing now, if any. Immutable once published here, so the flushing
  // thread reads it without `mu_`.
  std::shared_ptr<const UseMap> in_flight_ ABSL_GUARDED_BY(mu_);

  // Held for a whole flush, so that batches reach the sink one at a time and in order.
  absl::Mutex flush_mu_ ABSL_ACQUIRED_BEFORE(mu_);

  absl::Mutex thread_mu_;
  absl::Notification stop_;
  std::thread thread_ ABSL_GUARDED_BY(thread_mu_);
};

}  // namespace vpvm::auth
