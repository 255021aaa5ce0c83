#include "daemon/sessions.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "common/status_macros.h"

namespace vpvm::daemon {
namespace {

absl::StatusOr<std::string> RandomText(auth::RandomSource& random, size_t bytes) {
  std::vector<uint8_t> buffer(bytes);
  VPVM_RETURN_IF_ERROR(random.Fill(absl::MakeSpan(buffer)));
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(buffer.data()), buffer.size()));
}

}  // namespace

SessionStore::SessionStore(const auth::Clock& clock, auth::RandomSource& random, Options options)
    : clock_(clock), random_(random), options_(options) {}

absl::Time SessionStore::ExpiryOf(const Entry& entry) const {
  return std::min(entry.session.create_time + options_.lifetime,
                  entry.last_seen + options_.idle_timeout);
}

absl::StatusOr<std::pair<std::string, SessionStore::Session>> SessionStore::Open(
    const std::string& token_id, bool two_factor_verified) {
  VPVM_ASSIGN_OR_RETURN(std::string id, RandomText(random_, 32));
  Entry entry;
  VPVM_ASSIGN_OR_RETURN(entry.session.csrf_token, RandomText(random_, 18));
  entry.session.token_id = token_id;
  entry.session.two_factor_verified = two_factor_verified;
  entry.session.create_time = entry.last_seen = clock_.Now();
  entry.session.expire_time = ExpiryOf(entry);

  absl::MutexLock lock(&mutex_);
  // Ended sessions are dropped here, so that the table cannot grow without bound.
  const absl::Time now = entry.last_seen;
  absl::erase_if(sessions_, [&](const auto& item) { return ExpiryOf(item.second) <= now; });
  sessions_[id] = entry;
  return std::make_pair(std::move(id), entry.session);
}

std::optional<SessionStore::Session> SessionStore::Find(absl::string_view id) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (ExpiryOf(it->second) <= now) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  it->second.session.expire_time = ExpiryOf(it->second);
  return it->second.session;
}

void SessionStore::End(absl::string_view id) {
  absl::MutexLock lock(&mutex_);
  sessions_.erase(std::string(id));
}

void SessionStore::EndAllOf(absl::string_view token_id) {
  absl::MutexLock lock(&mutex_);
  absl::erase_if(sessions_,
                 [&](const auto& item) { return item.second.session.token_id == token_id; });
}

}  // namespace vpvm::daemon
