// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to api: sessions and logins (CONVENTIONS.md "Authentication and sessions").
//   - A session token is 32 random bytes (base64url); the database keeps its SHA-256 only.
//     Browsers get it in an HttpOnly, SameSite=Strict cookie plus a CSRF token in a cookie
//     scripts can read (double submit), which they echo in X-CSRF-Token on every
//     state-changing request. API clients send `Authorization: Bearer <token>`.
//   - Sessions are cached in memory (token hash -> principal); a cached session is re-read from
//     the database at most every `sessionRecheck`, so authenticated requests normally touch
//     no database at all. Activity is written back at most every `activityWrite`.
//   - Per-address throttling is kept in memory (per node); account lockout in the database
//     (all nodes).
// Threads: thread-safe. authenticateCached() never blocks (io threads); everything that takes a
// soci::session runs on a worker thread that owns it.

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "api/api_server.h"
#include "api/call.h"
#include "api/http.h"
#include "api/passwords.h"
#include "api/router.h"
#include "base/clock.h"
#include "store/audit_log.h"
#include "store/auth.h"

namespace bankcc::api {

inline constexpr std::string_view kSessionCookie = "bankcc_session";
inline constexpr std::string_view kCsrfCookie = "bankcc_csrf";
inline constexpr std::string_view kCsrfHeader = "x-csrf-token";

/// The outcome of authenticating one request.
struct AuthDecision {
  /// The caller, when the request may proceed to its handler.
  std::shared_ptr<const Principal> principal;
  /// The error response otherwise.
  std::optional<Response> refusal;
  /// The session's activity should be written to the database (flushActivity on a worker).
  bool activityDue = false;
};

class AuthService {
 public:
  AuthService(const AuthSettings& settings, const base::Clock& clock,
              const store::AuditKey& auditKey);

  /// From the cache alone: a decision, or nullopt when the database is needed (not cached,
  /// due for a re-check, or the refusal must be audited). Never blocks. Io threads.
  std::optional<AuthDecision> authenticateCached(const Request& request, const Route& route);
  /// The full check with the database; writes audit records for locks and denials. Worker.
  AuthDecision authenticate(soci::session& db, const Request& request, const Route& route,
                            const std::string& requestId);
  /// Writes the session's activity when it is due (`db` null: the database is unreachable, so
  /// only the pending request is cleared and a later request asks again). Worker.
  void flushActivity(soci::session* db, const Principal& principal);

  // Route handlers (kDatabase; see auth_routes.cc).
  Response login(Call& call);
  Response logout(Call& call);
  Response unlock(Call& call);
  Response changePassword(Call& call);
  Response sessionInfo(Call& call);
  /// POST /users/{username}/password (admin reset: must change at next login) and
  /// /users/{username}/unlock.
  Response resetPassword(Call& call);
  Response unlockUser(Call& call);

  /// Agent numbers of cached sessions that have locked after inactivity since the last call
  /// (each lock once; an unlock re-arms it). Any thread.
  std::vector<std::string> newlyLockedAgents(base::SysTime now);
  /// Drops every cached session of `userId` (roles changed, user disabled).
  void forgetUser(std::int64_t userId);
  void forgetUsername(std::string_view username);
  /// Called when a session ends (logout), e.g. to close its WebSockets.
  std::function<void(const std::string& sessionId)> onSessionEnded;

  PasswordHasher& hasher() { return hasher_; }
  const AuthSettings& settings() const { return settings_; }

  /// The token a request carries (bearer first, then cookie) and whether it came by cookie.
  static std::optional<std::pair<std::string, bool>> tokenOf(const Request& request);
  /// Hex SHA-256.
  static std::string hashToken(std::string_view token);

 private:
  struct Entry;
  struct Evaluation;

  Evaluation evaluate(Entry& entry, const Request& request, const Route& route, bool viaCookie,
                      base::SysTime now);
  std::shared_ptr<Entry> loadEntry(soci::session& db, const std::string& tokenHash,
                                   base::SysTime now);
  void audit(soci::session& db, const Request& request, const std::string& requestId,
             std::string_view actor, std::string_view action, std::string_view outcome,
             const nlohmann::json& details);
  bool addressThrottled(const std::string& address, base::SysTime now);
  /// Counts a failure; true when this failure starts throttling the address.
  bool addressFailed(const std::string& address, base::SysTime now);
  Response issueSession(Call& call, const store::Credentials& credentials);
  std::optional<Response> checkNewPassword(Call& call, const store::Credentials& credentials,
                                           const std::string& password);
  std::optional<base::SysTime> passwordExpiry(const store::Credentials& c) const;
  /// The cached entry of a session, or null.
  std::shared_ptr<Entry> entryOfSession(std::string_view sessionId);
  /// Unlocks a session in the cache: activity now, lock not yet audited.
  void markActive(std::string_view sessionId, base::SysTime now);
  void forgetSession(std::string_view sessionId);
  struct SessionView {
    base::SysTime lastActivity;
    base::SysTime expiresAt;
    bool mustChangePassword = false;
    std::optional<base::SysTime> passwordExpiresAt;
  };
  /// From the cache; nullopt when the session is not cached.
  std::optional<SessionView> sessionView(std::string_view sessionId);
  template <typename Pred>
  void eraseIf(Pred pred);
  bool activityDue(const Entry& entry) const;

  const AuthSettings settings_;
  const base::Clock& clock_;
  const store::AuditKey& auditKey_;
  PasswordHasher hasher_;

  mutable std::shared_mutex cacheMutex_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> cache_;     // by token hash
  std::unordered_map<std::string, std::shared_ptr<Entry>> sessions_;  // by session id

  std::mutex throttleMutex_;
  std::unordered_map<std::string, std::deque<base::SysTime>> failures_;  // by address
};

/// Adds /api/v1/auth/* and the user password/unlock routes, served by `auth`.
void registerAuthRoutes(Router& router, AuthService& auth);

}  // namespace bankcc::api
