// SPDX-License-Identifier: Apache-2.0
#include "api/auth_service.h"

#include <soci/soci.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "api/json_io.h"
#include "base/ids.h"
#include "store/transaction.h"

namespace bankcc::api {

using json = nlohmann::json;

/// One cached session. Immutable fields are set when loaded; the atomics change under the
/// shared lock.
struct AuthService::Entry {
  std::string tokenHash;
  std::string csrfHash;
  std::string sessionId;
  std::shared_ptr<const Principal> principal;
  bool mustChangePassword = false;
  std::optional<base::SysTime> passwordExpiresAt;
  base::SysTime expiresAt{};
  std::atomic<long long> lastActivity{0};  // micros
  std::atomic<long long> lastWritten{0};   // micros: last activity stored in the database
  std::atomic<long long> checkedAt{0};     // micros: when loaded from the database
  std::atomic<bool> lockAudited{false};
  std::atomic<bool> lockReported{false};  // newlyLockedAgents() named this lock already
  std::atomic<bool> flushQueued{false};   // a flushActivity job is on its way: ask for one only
};

/// What the cache can say about a request.
struct AuthService::Evaluation {
  enum Kind { Allow, Refuse, NeedsAudit } kind = Allow;
  std::optional<Response> refusal;
  std::string action;  // for NeedsAudit: the audit action
  json details;
};

namespace {

long long micros(base::SysTime t) {
  return t.time_since_epoch().count();
}
base::SysTime fromMicros(long long m) {
  return base::SysTime{std::chrono::microseconds{m}};
}

bool unsafeMethod(std::string_view m) {
  return m != "GET" && m != "HEAD" && m != "OPTIONS";
}

bool sameHash(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Response unauthenticated(std::string_view message) {
  return errorResponse(401, "unauthenticated", message);
}

}  // namespace

AuthService::AuthService(const AuthSettings& settings, const base::Clock& clock,
                         const store::AuditKey& auditKey)
    : settings_(settings),
      clock_(clock),
      auditKey_(auditKey),
      hasher_(settings.maxConcurrentHashes, settings.hashStrength) {}

std::string AuthService::hashToken(std::string_view token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  std::string out(crypto_hash_sha256_BYTES * 2, '\0');
  sodium_bin2hex(out.data(), out.size() + 1, digest, sizeof digest);
  return out;
}

std::optional<std::pair<std::string, bool>> AuthService::tokenOf(const Request& request) {
  auto auth = request.header("authorization");
  if (!auth.empty()) {
    // The scheme is case-insensitive (RFC 9110 §11.1).
    constexpr std::string_view kBearer = "bearer ";
    auto lowerEq = [](char want, char got) {
      return want == (got >= 'A' && got <= 'Z' ? static_cast<char>(got - 'A' + 'a') : got);
    };
    if (auth.size() > kBearer.size() && auth.size() - kBearer.size() <= 128 &&
        std::equal(kBearer.begin(), kBearer.end(), auth.begin(), lowerEq)) {
      return std::make_pair(std::string(auth.substr(kBearer.size())), false);
    }
    return std::nullopt;
  }
  auto cookie = request.cookie(kSessionCookie);
  if (!cookie.empty() && cookie.size() <= 128) return std::make_pair(std::string(cookie), true);
  return std::nullopt;
}

std::optional<base::SysTime> AuthService::passwordExpiry(const store::Credentials& c) const {
  if (settings_.passwordPolicy.maxAge.count() <= 0 || !c.passwordChangedAt) return std::nullopt;
  return *c.passwordChangedAt + settings_.passwordPolicy.maxAge;
}

AuthService::Evaluation AuthService::evaluate(Entry& entry, const Request& request,
                                              const Route& route, bool viaCookie,
                                              base::SysTime now) {
  Evaluation ev;
  const auto& principal = *entry.principal;
  if (entry.expiresAt <= now) {
    ev.kind = Evaluation::Refuse;
    ev.refusal = unauthenticated("session expired; log in again");
    return ev;
  }
  const bool idle = now - fromMicros(entry.lastActivity.load()) > settings_.idleLock;
  if (idle && !(route.flags & kAllowLocked)) {
    if (!entry.lockAudited.load()) {
      ev.kind = Evaluation::NeedsAudit;
      ev.action = "auth.session_locked";
      ev.details =
          json{{"session_id", entry.sessionId}, {"idle_seconds", settings_.idleLock.count()}};
    } else {
      ev.kind = Evaluation::Refuse;
    }
    ev.refusal = errorResponse(401, "session_locked",
                               "the session is locked after inactivity; unlock it with your "
                               "password");
    return ev;
  }
  if (viaCookie && unsafeMethod(request.method)) {
    auto header = request.header(kCsrfHeader);
    if (header.empty() || header.size() > 128 || !sameHash(hashToken(header), entry.csrfHash)) {
      ev.kind = Evaluation::NeedsAudit;
      ev.action = "access.denied";
      ev.details = json{{"method", request.method},
                        {"path", request.path},
                        {"reason", "csrf token missing or wrong"}};
      ev.refusal = errorResponse(403, "forbidden", "CSRF token missing or wrong");
      return ev;
    }
  }
  if (!(route.flags & kAllowPasswordChange)) {
    if (entry.mustChangePassword) {
      ev.kind = Evaluation::Refuse;
      ev.refusal = errorResponse(403, "must_change_password",
                                 "change your password first (POST /api/v1/auth/change-password)");
      return ev;
    }
    if (entry.passwordExpiresAt && *entry.passwordExpiresAt <= now) {
      ev.kind = Evaluation::Refuse;
      ev.refusal = errorResponse(403, "password_expired",
                                 "your password expired; change it (POST "
                                 "/api/v1/auth/change-password)");
      return ev;
    }
  }
  if (!principal.has(route.permission)) {
    ev.kind = Evaluation::NeedsAudit;
    ev.action = "access.denied";
    ev.details = json{{"method", request.method},
                      {"path", request.path},
                      {"permission", permissionName(route.permission)}};
    ev.refusal = errorResponse(
        403, "forbidden",
        fmt::format("this needs the permission '{}'", permissionName(route.permission)));
    return ev;
  }
  if (!(route.flags & kNotActivity) && !idle) {
    // Never moves backwards; a racing request may win, which is fine.
    auto last = entry.lastActivity.load();
    while (last < micros(now) && !entry.lastActivity.compare_exchange_weak(last, micros(now))) {
    }
  }
  return ev;
}

std::optional<AuthDecision> AuthService::authenticateCached(const Request& request,
                                                            const Route& route) {
  auto token = tokenOf(request);
  if (!token) return AuthDecision{nullptr, unauthenticated("log in first")};
  const auto tokenHash = hashToken(token->first);
  std::shared_ptr<Entry> entry;
  {
    std::shared_lock lock(cacheMutex_);
    auto it = cache_.find(tokenHash);
    if (it == cache_.end()) return std::nullopt;
    entry = it->second;
  }
  const auto now = clock_.now();
  if (now - fromMicros(entry->checkedAt.load()) > settings_.sessionRecheck) return std::nullopt;
  auto ev = evaluate(*entry, request, route, token->second, now);
  if (ev.kind == Evaluation::NeedsAudit) return std::nullopt;
  if (ev.kind == Evaluation::Refuse) return AuthDecision{nullptr, std::move(ev.refusal)};
  // One activity write per session at a time, however many requests see it due meanwhile.
  const bool due = activityDue(*entry) && !entry->flushQueued.exchange(true);
  return AuthDecision{entry->principal, std::nullopt, due};
}

bool AuthService::activityDue(const Entry& entry) const {
  return fromMicros(entry.lastActivity.load()) - fromMicros(entry.lastWritten.load()) >=
         settings_.activityWrite;
}

std::shared_ptr<AuthService::Entry> AuthService::loadEntry(soci::session& db,
                                                           const std::string& tokenHash,
                                                           base::SysTime now) {
  auto record = store::findSession(db, tokenHash, now);
  if (!record.ok()) return nullptr;
  auto credentials = store::getCredentialsById(db, record->userId);
  if (!credentials.ok() || !credentials->user.active) {
    (void)store::deleteSession(db, record->id);
    return nullptr;
  }
  auto principal = std::make_shared<Principal>();
  principal->userId = credentials->user.id;
  principal->username = credentials->user.username;
  principal->displayName = credentials->user.displayName;
  principal->roles = credentials->user.roles;
  principal->permissions = permissionsOfRoles(principal->roles);
  principal->supervisedTeams = credentials->supervisedTeams;
  principal->agentNo = credentials->agentNo;
  principal->sessionId = record->id;

  auto entry = std::make_shared<Entry>();
  entry->tokenHash = tokenHash;
  entry->csrfHash = record->csrfHash;
  entry->sessionId = record->id;
  entry->principal = principal;
  entry->mustChangePassword = credentials->mustChangePassword;
  entry->passwordExpiresAt = passwordExpiry(*credentials);
  entry->expiresAt = record->expiresAt;
  entry->lastActivity = micros(record->lastActivityAt);
  entry->lastWritten = micros(record->lastActivityAt);
  entry->checkedAt = micros(now);

  std::unique_lock lock(cacheMutex_);
  auto& slot = cache_[tokenHash];
  if (slot) {
    // Keep activity this node saw but has not written yet, and whether the lock was audited.
    entry->lastActivity = std::max(entry->lastActivity.load(), slot->lastActivity.load());
    entry->lastWritten = std::max(entry->lastWritten.load(), slot->lastWritten.load());
    entry->lockAudited = slot->lockAudited.load();
    entry->lockReported = slot->lockReported.load();
  }
  if (slot) sessions_.erase(slot->sessionId);
  slot = entry;
  sessions_[entry->sessionId] = entry;
  return entry;
}

AuthDecision AuthService::authenticate(soci::session& db, const Request& request,
                                       const Route& route, const std::string& requestId) {
  auto token = tokenOf(request);
  if (!token) return AuthDecision{nullptr, unauthenticated("log in first")};
  const auto tokenHash = hashToken(token->first);
  const auto now = clock_.now();
  auto entry = loadEntry(db, tokenHash, now);
  if (!entry) {
    eraseIf([&](const Entry& e) { return e.tokenHash == tokenHash; });
    return AuthDecision{nullptr, unauthenticated("log in first (the session ended or expired)")};
  }
  auto ev = evaluate(*entry, request, route, token->second, now);
  if (ev.kind == Evaluation::NeedsAudit) {
    if (ev.action == "auth.session_locked") entry->lockAudited = true;
    audit(db, request, requestId, entry->principal->username, ev.action,
          ev.action == "access.denied" ? "denied" : "success", ev.details);
  }
  if (ev.kind != Evaluation::Allow) return AuthDecision{nullptr, std::move(ev.refusal)};
  return AuthDecision{entry->principal, std::nullopt, activityDue(*entry)};
}

void AuthService::flushActivity(soci::session* db, const Principal& principal) {
  auto entry = entryOfSession(principal.sessionId);
  if (!entry) return;
  if (db != nullptr && activityDue(*entry)) {
    const auto last = entry->lastActivity.load();
    if (store::touchSession(*db, entry->sessionId, fromMicros(last)).ok()) {
      entry->lastWritten = last;
    }
  }
  entry->flushQueued = false;
}

void AuthService::forgetUser(std::int64_t userId) {
  eraseIf([&](const Entry& e) { return e.principal->userId == userId; });
}

std::shared_ptr<AuthService::Entry> AuthService::entryOfSession(std::string_view sessionId) {
  std::shared_lock lock(cacheMutex_);
  auto it = sessions_.find(std::string(sessionId));
  return it == sessions_.end() ? nullptr : it->second;
}

void AuthService::markActive(std::string_view sessionId, base::SysTime now) {
  if (auto e = entryOfSession(sessionId)) {
    e->lastActivity = micros(now);
    e->lastWritten = micros(now);
    e->lockAudited = false;
    e->lockReported = false;
  }
}

std::vector<std::string> AuthService::newlyLockedAgents(base::SysTime now) {
  // An agent counts as locked when every live session of theirs is: an old idle tab or another
  // PC must not make an agent who works in another session not ready.
  std::set<std::string, std::less<>> active;
  std::vector<Entry*> idle;
  std::shared_lock lock(cacheMutex_);
  for (const auto& [hash, e] : cache_) {
    if (!e->principal || e->principal->agentNo.empty() || e->expiresAt <= now) continue;
    if (now - fromMicros(e->lastActivity.load()) > settings_.idleLock) {
      idle.push_back(e.get());
    } else {
      active.insert(e->principal->agentNo);
    }
  }
  std::set<std::string, std::less<>> agents;
  for (Entry* e : idle) {
    if (active.contains(e->principal->agentNo)) continue;  // reported once the others lock too
    if (!e->lockReported.exchange(true)) agents.insert(e->principal->agentNo);
  }
  return {agents.begin(), agents.end()};
}

std::optional<AuthService::SessionView> AuthService::sessionView(std::string_view sessionId) {
  auto e = entryOfSession(sessionId);
  if (!e) return std::nullopt;
  return SessionView{fromMicros(e->lastActivity.load()), e->expiresAt, e->mustChangePassword,
                     e->passwordExpiresAt};
}

void AuthService::forgetSession(std::string_view sessionId) {
  eraseIf([&](const Entry& e) { return e.sessionId == sessionId; });
}

template <typename Pred>
void AuthService::eraseIf(Pred pred) {
  std::unique_lock lock(cacheMutex_);
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (pred(*it->second)) {
      sessions_.erase(it->second->sessionId);
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
}

void AuthService::forgetUsername(std::string_view username) {
  eraseIf([&](const Entry& e) { return e.principal->username == username; });
}

void AuthService::audit(soci::session& db, const Request& request, const std::string& requestId,
                        std::string_view actor, std::string_view action, std::string_view outcome,
                        const json& details) {
  store::AuditRecord record;
  record.at = clock_.now();
  record.actor = std::string(actor);
  record.sourceAddress = request.remoteAddress;
  record.action = std::string(action);
  record.outcome = std::string(outcome);
  record.details = dumpJson(details.is_object() ? details : json::object());
  record.requestId = requestId;
  if (auto st = store::appendAudit(db, auditKey_, std::move(record)); !st.ok()) {
    spdlog::error("audit record {} not written: {}", action, st.error().describe());
  }
}

bool AuthService::addressThrottled(const std::string& address, base::SysTime now) {
  std::lock_guard lock(throttleMutex_);
  auto it = failures_.find(address);
  if (it == failures_.end()) return false;
  auto& q = it->second;
  while (!q.empty() && now - q.front() >= settings_.addressWindow) q.pop_front();
  if (q.empty()) {
    failures_.erase(it);
    return false;
  }
  return static_cast<int>(q.size()) >= settings_.addressFailureLimit;
}

bool AuthService::addressFailed(const std::string& address, base::SysTime now) {
  std::lock_guard lock(throttleMutex_);
  // Bound the table: an attacker with many addresses must not grow it without end.
  if (failures_.size() > 100000) {
    for (auto it = failures_.begin(); it != failures_.end();) {
      if (it->second.empty() || now - it->second.back() >= settings_.addressWindow) {
        it = failures_.erase(it);
      } else {
        ++it;
      }
    }
  }
  auto& q = failures_[address];
  q.push_back(now);
  while (static_cast<int>(q.size()) > settings_.addressFailureLimit) q.pop_front();
  return static_cast<int>(q.size()) == settings_.addressFailureLimit;
}

}  // namespace bankcc::api
