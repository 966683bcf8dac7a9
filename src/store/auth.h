// SPDX-License-Identifier: Apache-2.0
#pragma once

// What authentication keeps in the database: per-user credential state (password hash, forced
// change, failed attempts, lockout), password history, and login sessions. Sessions hold only
// a hash of their token (and of their CSRF token), so a copy of the database does not log
// anyone in. Password hashing and policy live in api/; this file stores their results.
// Conventions of the organisation repositories apply (org_common.h).
// Threads: each function runs on the caller's thread, which owns `session`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/org_users.h"

namespace bankcc::store {

/// A user and the state login needs.
struct Credentials {
  User user;
  bool mustChangePassword = false;  ///< initial or reset password: change before anything else
  std::optional<base::SysTime> passwordChangedAt;
  int failedLogins = 0;  ///< consecutive failures since the last success or unlock
  std::optional<base::SysTime> lockedUntil;  ///< account locked until then (past = unlocked)
  std::string agentNo;  ///< the agent number when this user acts as an agent, else ""
  std::vector<std::string> supervisedTeams;  ///< team codes this user supervises, sorted
};

/// Errors: NotFound.
base::Result<Credentials> getCredentials(soci::session& session, std::string_view username);
/// As getCredentials, by database key.
base::Result<Credentials> getCredentialsById(soci::session& session, std::int64_t userId);

/// Counts one failed login of `username`; when the count reaches `lockThreshold`, locks the
/// account until now + lockFor and resets the count. Returns the state after. Errors: NotFound.
base::Result<Credentials> recordLoginFailure(soci::session& session, const base::Clock& clock,
                                             std::string_view username, int lockThreshold,
                                             std::chrono::seconds lockFor);
/// Resets the failure count after a successful login. Errors: NotFound.
base::Status recordLoginSuccess(soci::session& session, std::string_view username);
/// Clears a lockout and the failure count (an admin's unlock). Errors: NotFound.
base::Status unlockAccount(soci::session& session, std::string_view username);

/// Sets a new password hash: the old hash (when any) goes into the history, which is trimmed
/// to the newest `historyDepth` entries; password_changed_at = now; must_change_password as
/// given; the user's version increments. Errors: NotFound.
base::Result<Credentials> setPassword(soci::session& session, const base::Clock& clock,
                                      std::string_view username, const std::string& passwordHash,
                                      bool mustChange, int historyDepth);
/// The newest `depth` previous hashes of the user (not including the current one), newest
/// first.
base::Result<std::vector<std::string>> passwordHistory(soci::session& session, std::int64_t userId,
                                                       int depth);

struct SessionRecord {
  std::string id;         ///< UUIDv7
  std::string tokenHash;  ///< hex SHA-256 of the bearer token
  std::string csrfHash;   ///< hex SHA-256 of the CSRF token
  std::int64_t userId = 0;
  base::SysTime createdAt{};
  base::SysTime lastActivityAt{};  ///< last user action (the idle lock counts from here)
  base::SysTime expiresAt{};       ///< absolute end, whatever the activity
  std::string sourceAddress;
  std::string userAgent;  ///< truncated to 256 bytes
};

/// Errors: Conflict (token hash or id taken), ValidationFailed.
base::Status createSession(soci::session& session, const SessionRecord& record);
/// Errors: NotFound (no such session, or it expired).
base::Result<SessionRecord> findSession(soci::session& session, std::string_view tokenHash,
                                        base::SysTime now);
/// Moves last_activity_at forward (never backward). Errors: NotFound.
base::Status touchSession(soci::session& session, std::string_view sessionId,
                          base::SysTime lastActivityAt);
/// Ends one session (logout). NotFound when it did not exist.
base::Status deleteSession(soci::session& session, std::string_view sessionId);
/// Ends every session of a user but `exceptSessionId` (password change, disable, reset).
/// Returns how many ended.
base::Result<std::int64_t> deleteUserSessions(soci::session& session, std::int64_t userId,
                                              std::string_view exceptSessionId = {});
/// Deletes sessions that expired before `now`. Returns how many.
base::Result<std::int64_t> purgeExpiredSessions(soci::session& session, base::SysTime now);

}  // namespace bankcc::store
