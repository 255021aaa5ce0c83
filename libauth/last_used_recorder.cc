#include "libauth/last_used_recorder.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace vpvm::auth {
namespace {

// Keeps the newer of `use` and whatever `uses` holds for the same token.
void KeepNewer(absl::flat_hash_map<std::string, LastUse>& uses, const LastUse& use) {
  auto [it, inserted] = uses.try_emplace(use.token_id, use);
  if (!inserted && it->second.at < use.at) it->second = use;
}

}  // namespace

LastUsedRecorder::LastUsedRecorder(LastUseSink& sink, LastUsedRecorderOptions options)
    : sink_(sink), flush_interval_(std::max(options.flush_interval, absl::Milliseconds(1))) {
  absl::MutexLock lock(&thread_mu_);
  thread_ = std::thread([this] { RunBackground(); });
}

LastUsedRecorder::~LastUsedRecorder() { Stop().IgnoreError(); }

void LastUsedRecorder::Record(absl::string_view token_id, absl::Time at,
                              absl::string_view client_address) {
  absl::MutexLock lock(&mu_);
  if (in_flight_ != nullptr) {
    // Writing an older use after the batch under way would move the stored time backwards.
    auto flying = in_flight_->find(token_id);
    if (flying != in_flight_->end() && flying->second.at >= at) return;
  }

  auto [it, inserted] = pending_.try_emplace(token_id);
  LastUse& use = it->second;
  if (inserted) {
    use.token_id = it->first;
  } else if (use.at >= at) {
    return;
  }
  use.at = at;
  use.client_address.assign(client_address.data(), client_address.size());
}

absl::Status LastUsedRecorder::Flush() {
  absl::MutexLock flush_lock(&flush_mu_);

  std::shared_ptr<const UseMap> batch;
  {
    absl::MutexLock lock(&mu_);
    if (pending_.empty()) return absl::OkStatus();
    batch = std::make_shared<const UseMap>(std::exchange(pending_, UseMap()));
    in_flight_ = batch;
  }

  std::vector<LastUse> uses;
  uses.reserve(batch->size());
  for (const auto& [token_id, use] : *batch) uses.push_back(use);
  absl::Status status = sink_.WriteLastUses(uses);

  absl::MutexLock lock(&mu_);
  in_flight_ = nullptr;
  if (!status.ok()) {
    for (const LastUse& use : uses) KeepNewer(pending_, use);
  }
  return status;
}

absl::Status LastUsedRecorder::Stop() {
  {
    absl::MutexLock lock(&thread_mu_);
    if (thread_.joinable()) {
      stop_.Notify();
      thread_.join();
    }
  }
  return Flush();
}

std::optional<LastUse> LastUsedRecorder::Pending(absl::string_view token_id) const {
  absl::MutexLock lock(&mu_);
  if (auto it = pending_.find(token_id); it != pending_.end()) return it->second;
  if (in_flight_ != nullptr) {
    if (auto it = in_flight_->find(token_id); it != in_flight_->end()) return it->second;
  }
  return std::nullopt;
}

void LastUsedRecorder::RunBackground() {
  // A failed flush needs no handling here: its uses stay pending for the next round, and Stop()
  // reports the last word.
  while (!stop_.WaitForNotificationWithTimeout(flush_interval_)) Flush().IgnoreError();
}

}  // namespace vpvm::auth
