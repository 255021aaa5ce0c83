#pragma once

// Web dashboard sessions (DESIGN.md §3): kept server-side, in memory, and referenced by a random
// id that the gateway puts in an HttpOnly cookie. A session ends when its holder signs out, when
// it has been idle or open too long, and at once when its token is revoked, disabled, rotated or
// loses its 2FA (EndAllOf); a token that expires or is disabled is refused by the gate anyway.
// Sessions do not outlive the daemon.

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libauth/clock.h"
#include "libauth/random.h"

namespace vpvm::daemon {

class SessionStore {
 public:
  struct Options {
    absl::Duration idle_timeout = absl::Minutes(30);
    absl::Duration lifetime = absl::Hours(12);
  };

  struct Session {
    std::string token_id;
    // Sent back by the dashboard in X-CSRF-Token with every change.
    std::string csrf_token;
    absl::Time create_time;
    absl::Time expire_time;  // the earlier of the lifetime's end and the idle timeout's
    bool two_factor_verified = false;
  };

  SessionStore(const auth::Clock& clock, auth::RandomSource& random, Options options);

  // A new session for `token_id`; its id is the first member.
  absl::StatusOr<std::pair<std::string, Session>> Open(const std::string& token_id,
                                                       bool two_factor_verified);
  // The live session `id`, which this use keeps from idling out; nullopt when there is none.
  std::optional<Session> Find(absl::string_view id);
  void End(absl::string_view id);
  void EndAllOf(absl::string_view token_id);

  const Options& options() const { return options_; }

 private:
  struct Entry {
    Session session;
    absl::Time last_seen;
  };

  absl::Time ExpiryOf(const Entry& entry) const;

  const auth::Clock& clock_;
  auth::RandomSource& random_;
  const Options options_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace vpvm::daemon
