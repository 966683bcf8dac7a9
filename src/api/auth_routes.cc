// SPDX-License-Identifier: Apache-2.0
// The /api/v1/auth/* routes and the administrators' password reset and account unlock.

#include <soci/soci.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "api/auth_service.h"
#include "api/json_io.h"
#include "base/ids.h"
#include "store/transaction.h"

namespace bankcc::api {

using json = nlohmann::json;

namespace {

std::string randomToken() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, bytes, sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

std::string cookieHeader(std::string_view name, std::string_view value, bool httpOnly, bool secure,
                         std::chrono::seconds maxAge) {
  std::string out =
      fmt::format("{}={}; Path=/; SameSite=Strict; Max-Age={}", name, value, maxAge.count());
  if (httpOnly) out += "; HttpOnly";
  if (secure) out += "; Secure";
  return out;
}

json userJson(const store::Credentials& c) {
  return json{{"username", c.user.username},
              {"display_name", c.user.displayName},
              {"roles", c.user.roles},
              {"agent_no", c.agentNo.empty() ? json(nullptr) : json(c.agentNo)},
              {"supervised_teams", c.supervisedTeams}};
}

std::string lowerAscii(std::string s) {
  for (auto& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string cut(std::string_view s, std::size_t n) {
  return std::string(s.substr(0, n));
}

/// Reads a JSON body into a FieldReader-checked set of strings; the response on failure.
template <typename Fn>
std::optional<Response> readBody(const Request& request, Fn&& read) {
  auto parsed = parseJsonObject(request);
  if (auto* bad = std::get_if<Response>(&parsed)) return std::move(*bad);
  FieldReader in(std::get<json>(parsed));
  read(in);
  return in.finish();
}

Response noContent(std::vector<std::pair<std::string, std::string>> headers = {}) {
  Response r;
  r.status = 204;
  r.contentType.clear();
  r.headers = std::move(headers);
  return r;
}

}  // namespace

Response AuthService::issueSession(Call& call, const store::Credentials& credentials) {
  const auto now = clock_.now();
  const std::string token = randomToken();
  const std::string csrf = randomToken();
  store::SessionRecord record;
  record.id = base::newUuidV7(clock_);
  record.tokenHash = hashToken(token);
  record.csrfHash = hashToken(csrf);
  record.userId = credentials.user.id;
  record.createdAt = now;
  record.lastActivityAt = now;
  record.expiresAt = now + settings_.sessionLifetime;
  record.sourceAddress = call.request().remoteAddress;
  record.userAgent = cut(call.request().header("user-agent"), 256);

  auto tx = store::Transaction::begin(call.db());
  if (!tx.ok()) return errorFrom(tx.error());
  if (auto st = store::createSession(call.db(), record); !st.ok()) return errorFrom(st.error());
  store::AuditRecord audit;
  audit.at = now;
  audit.actor = credentials.user.username;
  audit.sourceAddress = call.request().remoteAddress;
  audit.action = "auth.login";
  audit.targetType = "user";
  audit.targetId = credentials.user.username;
  audit.outcome = "success";
  audit.details = dumpJson(json{{"session_id", record.id}});
  audit.requestId = call.requestId();
  if (auto st = store::appendAudit(call.db(), auditKey_, std::move(audit)); !st.ok()) {
    return errorFrom(st.error());
  }
  if (auto st = tx->commit(); !st.ok()) return errorFrom(st.error());

  const auto expiry = passwordExpiry(credentials);
  const bool secure = call.request().secure;
  Response r =
      jsonResponse(200, dumpJson(json{{"token", token},
                                      {"csrf_token", csrf},
                                      {"expires_at", formatTimestamp(record.expiresAt)},
                                      {"must_change_password", credentials.mustChangePassword},
                                      {"password_expired", expiry && *expiry <= now},
                                      {"idle_lock_seconds", settings_.idleLock.count()},
                                      {"user", userJson(credentials)}}));
  r.headers.emplace_back(
      "Set-Cookie", cookieHeader(kSessionCookie, token, true, secure, settings_.sessionLifetime));
  r.headers.emplace_back("Set-Cookie",
                         cookieHeader(kCsrfCookie, csrf, false, secure, settings_.sessionLifetime));
  return r;
}

Response AuthService::login(Call& call) {
  std::optional<std::string> username, password;
  if (auto bad = readBody(call.request(), [&](FieldReader& in) {
        username = in.string("username", Need::Required, 64);
        password = in.string("password", Need::Required, 1024);
      })) {
    return std::move(*bad);
  }
  const auto now = clock_.now();
  const std::string& address = call.request().remoteAddress;
  const std::string name = lowerAscii(*username);
  if (addressThrottled(address, now)) {
    auto r = errorResponse(429, "rate_limited",
                           "too many failed logins from this address; try again later");
    r.headers.emplace_back("Retry-After", std::to_string(settings_.addressWindow.count()));
    return r;
  }
  auto fail = [&](std::string_view reason, std::string_view actor) {
    audit(call.db(), call.request(), call.requestId(), actor, "auth.login_failed", "failure",
          json{{"username", cut(name, 64)}, {"reason", reason}});
    if (addressFailed(address, now)) {
      audit(call.db(), call.request(), call.requestId(), "system", "auth.address_throttled",
            "success",
            json{{"address", address},
                 {"failures", settings_.addressFailureLimit},
                 {"window_seconds", settings_.addressWindow.count()}});
    }
    return errorResponse(401, "unauthenticated", "wrong username or password");
  };

  auto credentials = store::getCredentials(call.db(), name);
  if (!credentials.ok()) {
    if (credentials.error().code != base::Errc::NotFound) return errorFrom(credentials.error());
    hasher_.verifyDummy(*password);  // as slow as a wrong password: no username oracle
    return fail("unknown_user", "-");
  }
  if (credentials->lockedUntil && *credentials->lockedUntil > now) {
    audit(call.db(), call.request(), call.requestId(), name, "auth.login_failed", "failure",
          json{{"username", name}, {"reason", "account_locked"}});
    return errorResponse(
        403, "account_locked",
        fmt::format("the account is locked until {} after too many failed logins; an "
                    "administrator can unlock it",
                    formatTimestamp(*credentials->lockedUntil)));
  }
  if (!credentials->user.active || !credentials->user.passwordHash) {
    hasher_.verifyDummy(*password);
    return fail(credentials->user.active ? "no_password" : "disabled", name);
  }
  if (!hasher_.verify(*credentials->user.passwordHash, *password)) {
    auto after = store::recordLoginFailure(call.db(), clock_, name, settings_.accountFailureLimit,
                                           settings_.accountLockFor);
    if (after.ok() && after->lockedUntil && *after->lockedUntil > now) {
      audit(call.db(), call.request(), call.requestId(), "system", "auth.account_locked", "success",
            json{{"username", name},
                 {"failures", settings_.accountFailureLimit},
                 {"locked_until", formatTimestamp(*after->lockedUntil)}});
    }
    return fail("wrong_password", name);
  }
  if (auto st = store::recordLoginSuccess(call.db(), name); !st.ok()) return errorFrom(st.error());
  return issueSession(call, *credentials);
}

Response AuthService::logout(Call& call) {
  const auto& me = call.principal();
  (void)store::deleteSession(call.db(), me.sessionId);
  forgetSession(me.sessionId);
  if (auto st = call.audit("auth.logout", "user", me.username, json{{"session_id", me.sessionId}});
      !st.ok()) {
    spdlog::error("audit auth.logout not written: {}", st.error().describe());
  }
  if (onSessionEnded) onSessionEnded(me.sessionId);
  const bool secure = call.request().secure;
  return noContent(
      {{"Set-Cookie", cookieHeader(kSessionCookie, "", true, secure, std::chrono::seconds{0})},
       {"Set-Cookie", cookieHeader(kCsrfCookie, "", false, secure, std::chrono::seconds{0})}});
}

Response AuthService::unlock(Call& call) {
  std::optional<std::string> password;
  if (auto bad = readBody(call.request(), [&](FieldReader& in) {
        password = in.string("password", Need::Required, 1024);
      })) {
    return std::move(*bad);
  }
  const auto& me = call.principal();
  auto credentials = store::getCredentials(call.db(), me.username);
  if (!credentials.ok()) return errorFrom(credentials.error());
  const auto now = clock_.now();
  if (!credentials->user.passwordHash ||
      !hasher_.verify(*credentials->user.passwordHash, *password)) {
    auto after = store::recordLoginFailure(call.db(), clock_, me.username,
                                           settings_.accountFailureLimit, settings_.accountLockFor);
    (void)call.audit("auth.unlock_failed", "user", me.username, json::object(), "failure");
    if (after.ok() && after->lockedUntil && *after->lockedUntil > now) {
      (void)store::deleteUserSessions(call.db(), me.userId);
      forgetUser(me.userId);
      (void)call.audit("auth.account_locked", "user", me.username,
                       json{{"failures", settings_.accountFailureLimit},
                            {"locked_until", formatTimestamp(*after->lockedUntil)}});
      return errorResponse(403, "account_locked",
                           "too many wrong passwords: the account is locked");
    }
    return errorResponse(401, "session_locked", "wrong password; the session stays locked");
  }
  (void)store::recordLoginSuccess(call.db(), me.username);
  if (auto st = store::touchSession(call.db(), me.sessionId, now); !st.ok()) {
    return errorFrom(st.error());
  }
  markActive(me.sessionId, now);
  (void)call.audit("auth.unlocked", "user", me.username, json{{"session_id", me.sessionId}});
  return jsonResponse(200, R"({"status":"unlocked"})");
}

std::optional<Response> AuthService::checkNewPassword(Call& call,
                                                      const store::Credentials& credentials,
                                                      const std::string& password) {
  const auto& policy = settings_.passwordPolicy;
  auto problems = checkPasswordPolicy(policy, password, credentials.user.username);
  std::vector<FieldError> fields;
  for (auto& p : problems) fields.push_back({"new_password", std::move(p)});
  if (!fields.empty()) return validationFailed(fields);
  if (credentials.user.passwordHash && hasher_.verify(*credentials.user.passwordHash, password)) {
    return validationFailed({{"new_password", "must differ from the current password"}});
  }
  auto history = store::passwordHistory(call.db(), credentials.user.id, policy.historyDepth);
  if (!history.ok()) return errorFrom(history.error());
  for (const auto& old : *history) {
    if (hasher_.verify(old, password)) {
      return validationFailed(
          {{"new_password",
            fmt::format("must differ from your last {} passwords", policy.historyDepth)}});
    }
  }
  return std::nullopt;
}

Response AuthService::changePassword(Call& call) {
  std::optional<std::string> current, fresh;
  if (auto bad = readBody(call.request(), [&](FieldReader& in) {
        current = in.string("current_password", Need::Required, 1024);
        fresh = in.string("new_password", Need::Required, 1024);
      })) {
    return std::move(*bad);
  }
  const auto& me = call.principal();
  auto credentials = store::getCredentials(call.db(), me.username);
  if (!credentials.ok()) return errorFrom(credentials.error());
  if (!credentials->user.passwordHash ||
      !hasher_.verify(*credentials->user.passwordHash, *current)) {
    (void)store::recordLoginFailure(call.db(), clock_, me.username, settings_.accountFailureLimit,
                                    settings_.accountLockFor);
    (void)call.audit("auth.password_change_failed", "user", me.username,
                     json{{"reason", "wrong current password"}}, "failure");
    return validationFailed({{"current_password", "wrong password"}});
  }
  if (auto bad = checkNewPassword(call, *credentials, *fresh)) return std::move(*bad);
  auto hash = hasher_.hash(*fresh);
  if (!hash.ok()) return errorFrom(hash.error());

  auto tx = store::Transaction::begin(call.db());
  if (!tx.ok()) return errorFrom(tx.error());
  auto stored = store::setPassword(call.db(), clock_, me.username, *hash, false,
                                   settings_.passwordPolicy.historyDepth);
  if (!stored.ok()) return errorFrom(stored.error());
  auto ended = store::deleteUserSessions(call.db(), me.userId, me.sessionId);
  if (!ended.ok()) return errorFrom(ended.error());
  if (auto st = call.audit("auth.password_changed", "user", me.username,
                           json{{"other_sessions_ended", *ended}});
      !st.ok()) {
    return errorFrom(st.error());
  }
  if (auto st = tx->commit(); !st.ok()) return errorFrom(st.error());
  forgetUser(me.userId);  // this session reloads without the forced change; others are gone
  return jsonResponse(200, R"({"status":"changed"})");
}

// Served from the session cache (no database): desktops poll it, and it must stay cheap.
Response AuthService::sessionInfo(Call& call) {
  const auto& me = call.principal();
  auto view = sessionView(me.sessionId);
  if (!view) return errorResponse(401, "unauthenticated", "the session ended; log in again");
  const auto now = clock_.now();
  json permissions = json::array();
  for (auto p : allPermissions()) {
    if (me.has(p)) permissions.push_back(permissionName(p));
  }
  json body{{"session_id", me.sessionId},
            {"user",
             {{"username", me.username},
              {"display_name", me.displayName},
              {"roles", me.roles},
              {"agent_no", me.agentNo.empty() ? json(nullptr) : json(me.agentNo)},
              {"supervised_teams", me.supervisedTeams}}},
            {"permissions", permissions},
            {"must_change_password", view->mustChangePassword},
            {"idle_lock_seconds", settings_.idleLock.count()},
            {"expires_at", formatTimestamp(view->expiresAt)},
            {"last_activity_at", formatTimestamp(view->lastActivity)},
            {"locked", now - view->lastActivity > settings_.idleLock}};
  const auto& expiry = view->passwordExpiresAt;
  body["password_expires_at"] = expiry ? json(formatTimestamp(*expiry)) : json(nullptr);
  body["password_expired"] = expiry && *expiry <= now;
  return jsonResponse(200, dumpJson(body));
}

Response AuthService::resetPassword(Call& call) {
  std::optional<std::string> password;
  if (auto bad = readBody(call.request(), [&](FieldReader& in) {
        password = in.string("password", Need::Required, 1024);
      })) {
    return std::move(*bad);
  }
  const std::string& username = call.param("username");
  auto credentials = store::getCredentials(call.db(), username);
  if (!credentials.ok()) return errorFrom(credentials.error());
  std::vector<FieldError> fields;
  for (auto& p : checkPasswordPolicy(settings_.passwordPolicy, *password, username)) {
    fields.push_back({"password", std::move(p)});
  }
  if (!fields.empty()) return validationFailed(fields);
  auto hash = hasher_.hash(*password);
  if (!hash.ok()) return errorFrom(hash.error());

  auto tx = store::Transaction::begin(call.db());
  if (!tx.ok()) return errorFrom(tx.error());
  auto stored = store::setPassword(call.db(), clock_, username, *hash, true,
                                   settings_.passwordPolicy.historyDepth);
  if (!stored.ok()) return errorFrom(stored.error());
  auto ended = store::deleteUserSessions(call.db(), credentials->user.id);
  if (!ended.ok()) return errorFrom(ended.error());
  if (auto st =
          call.audit("user.password_reset", "user", username, json{{"sessions_ended", *ended}});
      !st.ok()) {
    return errorFrom(st.error());
  }
  if (auto st = tx->commit(); !st.ok()) return errorFrom(st.error());
  forgetUser(credentials->user.id);
  return noContent();
}

Response AuthService::unlockUser(Call& call) {
  const std::string& username = call.param("username");
  auto tx = store::Transaction::begin(call.db());
  if (!tx.ok()) return errorFrom(tx.error());
  if (auto st = store::unlockAccount(call.db(), username); !st.ok()) return errorFrom(st.error());
  if (auto st = call.audit("user.unlocked", "user", username, json::object()); !st.ok()) {
    return errorFrom(st.error());
  }
  if (auto st = tx->commit(); !st.ok()) return errorFrom(st.error());
  return noContent();
}

void registerAuthRoutes(Router& router, AuthService& auth) {
  auto bind = [&auth](Response (AuthService::*fn)(Call&)) {
    return [&auth, fn](Call& call) { return (auth.*fn)(call); };
  };
  constexpr unsigned kAnyState = kDatabase | kAllowLocked | kAllowPasswordChange;
  router.add({"POST", "/api/v1/auth/login", Permission::Public, kDatabase | kPasswordWork,
              bind(&AuthService::login), "Log in with username and password"});
  router.add({"POST", "/api/v1/auth/logout", Permission::Authenticated, kAnyState,
              bind(&AuthService::logout), "End this session"});
  router.add({"POST", "/api/v1/auth/unlock", Permission::Authenticated, kAnyState | kPasswordWork,
              bind(&AuthService::unlock), "Unlock an idle-locked session with the password"});
  router.add({"POST", "/api/v1/auth/change-password", Permission::Authenticated,
              kDatabase | kAllowPasswordChange | kPasswordWork, bind(&AuthService::changePassword),
              "Change one's own password"});
  router.add({"GET", "/api/v1/auth/session", Permission::Authenticated,
              kAllowLocked | kAllowPasswordChange | kNotActivity, bind(&AuthService::sessionInfo),
              "This session, its user and permissions"});
  router.add({"POST", "/api/v1/users/{username}/password", Permission::UsersWrite,
              kDatabase | kPasswordWork, bind(&AuthService::resetPassword),
              "Reset a user's password (they must change it at next login)"});
  router.add({"POST", "/api/v1/users/{username}/unlock", Permission::UsersWrite, kDatabase,
              bind(&AuthService::unlockUser), "Unlock an account locked by failed logins"});
}

}  // namespace bankcc::api
