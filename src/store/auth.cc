// SPDX-License-Identifier: Apache-2.0
#include "store/auth.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>

#include "base/ids.h"
#include "store/org_support.h"
#include "store/sql_error.h"

namespace bankcc::store {
namespace {

using base::Errc;
using detail::OrgTable;

constexpr std::size_t kMaxPasswordHash = 512;
constexpr std::size_t kMaxUserAgent = 256;
constexpr std::size_t kMaxSourceAddress = 256;

constexpr const char* kSelectCredentials =
    "SELECT id, username, display_name, password_hash, active, version, created_at, updated_at, "
    "must_change_password, password_changed_at, failed_logins, locked_until FROM users";

struct CredentialsRow {
  long long id = 0;
  std::string username, displayName, passwordHash;
  soci::indicator hashIndicator = soci::i_null;
  int active = 0;
  long long version = 0, createdAt = 0, updatedAt = 0;
  int mustChange = 0;
  long long changedAt = 0;
  soci::indicator changedAtIndicator = soci::i_null;
  int failedLogins = 0;
  long long lockedUntil = 0;
  soci::indicator lockedUntilIndicator = soci::i_null;

  // SOCI's comma syntax, continued on a statement being prepared.
  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(username), soci::into(displayName),
        soci::into(passwordHash, hashIndicator), soci::into(active), soci::into(version),
        soci::into(createdAt), soci::into(updatedAt), soci::into(mustChange),
        soci::into(changedAt, changedAtIndicator), soci::into(failedLogins),
        soci::into(lockedUntil, lockedUntilIndicator);
  }
  Credentials toCredentials() const {
    Credentials c;
    c.user.id = id;
    c.user.username = username;
    c.user.displayName = displayName;
    if (hashIndicator == soci::i_ok) c.user.passwordHash = passwordHash;
    c.user.active = active != 0;
    c.user.version = version;
    c.user.createdAt = detail::fromMicros(createdAt);
    c.user.updatedAt = detail::fromMicros(updatedAt);
    c.mustChangePassword = mustChange != 0;
    if (changedAtIndicator == soci::i_ok) c.passwordChangedAt = detail::fromMicros(changedAt);
    c.failedLogins = failedLogins;
    if (lockedUntilIndicator == soci::i_ok) c.lockedUntil = detail::fromMicros(lockedUntil);
    return c;
  }
};

/// Fills roles, agent number and supervised teams of `c` (whose user.id is set).
void fillRelations(soci::session& session, Credentials& c) {
  const long long userId = c.user.id;
  std::string text;
  {
    soci::statement st = (session.prepare << "SELECT r.code FROM user_roles ur "
                                             "JOIN roles r ON r.id = ur.role_id "
                                             "WHERE ur.user_id = :user ORDER BY r.code",
                          soci::use(userId, "user"), soci::into(text));
    st.execute();
    while (st.fetch()) c.user.roles.push_back(text);
  }
  session << "SELECT agent_no FROM agents WHERE user_id = :user", soci::use(userId, "user"),
      soci::into(text);
  c.agentNo = session.got_data() ? text : std::string();
  {
    soci::statement st = (session.prepare << "SELECT t.code FROM team_supervisors ts "
                                             "JOIN teams t ON t.id = ts.team_id "
                                             "WHERE ts.user_id = :user ORDER BY t.code",
                          soci::use(userId, "user"), soci::into(text));
    st.execute();
    while (st.fetch()) c.supervisedTeams.push_back(text);
  }
  // ORDER BY sorts byte-wise on both backends (the "C" collation on PostgreSQL); sort again
  // so the contract does not hang on a column's collation.
  std::sort(c.supervisedTeams.begin(), c.supervisedTeams.end());
}

/// The credentials of `username`. Throws soci errors: call inside guarded().
base::Result<Credentials> byUsername(soci::session& session, std::string_view username) {
  auto c = detail::findRow(session, kSelectCredentials, "username", username,
                           &CredentialsRow::toCredentials);
  if (!c) return detail::notFound(OrgTable::Users, username);
  fillRelations(session, *c);
  return std::move(*c);
}

base::Status validatePasswordHash(const std::string& hash) {
  bool printable = !hash.empty() && hash.size() <= kMaxPasswordHash;
  for (char c : hash) printable = printable && c > ' ' && c < 0x7f;
  if (!printable) {
    return detail::invalid("password_hash", fmt::format("must be 1-{} printable ASCII characters "
                                                        "(an encoded hash)",
                                                        kMaxPasswordHash));
  }
  return {};
}

bool isHexSha256(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

/// The longest prefix of `s` of at most `max` bytes that does not end inside a UTF-8 sequence.
std::string truncateUtf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t end = max;
  // Back up over continuation bytes (10xxxxxx) to the start of the cut sequence.
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xc0) == 0x80) --end;
  return std::string(s.substr(0, end));
}

base::Status validate(const SessionRecord& r) {
  if (!base::isUuid(r.id)) return detail::invalid("id", "must be a lower-case UUID");
  if (!isHexSha256(r.tokenHash)) {
    return detail::invalid("token_hash", "must be 64 lower-case hex digits (SHA-256)");
  }
  if (!isHexSha256(r.csrfHash)) {
    return detail::invalid("csrf_hash", "must be 64 lower-case hex digits (SHA-256)");
  }
  if (r.userId <= 0) return detail::invalid("user_id", "must be a user's key");
  if (r.expiresAt <= r.createdAt) return detail::invalid("expires_at", "must be after created_at");
  if (r.sourceAddress.size() > kMaxSourceAddress) {
    return detail::invalid("source_address",
                           fmt::format("must be at most {} bytes", kMaxSourceAddress));
  }
  return {};
}

struct SessionRow {
  std::string id, tokenHash, csrfHash;
  long long userId = 0, createdAt = 0, lastActivityAt = 0, expiresAt = 0;
  std::string sourceAddress, userAgent;

  SessionRecord toRecord() const {
    SessionRecord r;
    r.id = id;
    r.tokenHash = tokenHash;
    r.csrfHash = csrfHash;
    r.userId = userId;
    r.createdAt = detail::fromMicros(createdAt);
    r.lastActivityAt = detail::fromMicros(lastActivityAt);
    r.expiresAt = detail::fromMicros(expiresAt);
    r.sourceAddress = sourceAddress;
    r.userAgent = userAgent;
    return r;
  }
};

}  // namespace

base::Result<Credentials> getCredentials(soci::session& session, std::string_view username) {
  return detail::guarded(session, "reading credentials",
                         [&]() { return byUsername(session, username); });
}

base::Result<Credentials> getCredentialsById(soci::session& session, std::int64_t userId) {
  return detail::guarded(session, "reading credentials", [&]() -> base::Result<Credentials> {
    const long long id = userId;
    std::string username;
    session << "SELECT username FROM users WHERE id = :id", soci::use(id, "id"),
        soci::into(username);
    if (!session.got_data()) {
      return base::err(Errc::NotFound, fmt::format("no user with key {}", userId));
    }
    return byUsername(session, username);
  });
}

base::Result<Credentials> recordLoginFailure(soci::session& session, const base::Clock& clock,
                                             std::string_view username, int lockThreshold,
                                             std::chrono::seconds lockFor) {
  const std::string doing =
      fmt::format("recording a failed login of user {}", detail::quoted(username));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Credentials> {
    // One statement, so concurrent failures each count. The right-hand sides see the row as it
    // was before the update (both backends). A threshold below 1 never locks.
    const long long threshold = lockThreshold < 1 ? (1LL << 62) : lockThreshold;
    const long long until =
        detail::toMicros(clock.now() + std::chrono::duration_cast<base::Duration>(lockFor));
    const std::string key(username);
    soci::statement st =
        (session.prepare << "UPDATE users SET "
                            "locked_until = CASE WHEN failed_logins + 1 >= :threshold1 THEN :until "
                            "ELSE locked_until END, "
                            "failed_logins = CASE WHEN failed_logins + 1 >= :threshold2 THEN 0 "
                            "ELSE failed_logins + 1 END "
                            "WHERE username = :username",
         soci::use(threshold, "threshold1"), soci::use(until, "until"),
         soci::use(threshold, "threshold2"), soci::use(key, "username"));
    st.execute(true);
    if (st.get_affected_rows() == 0) return detail::notFound(OrgTable::Users, username);
    return byUsername(session, username);
  });
}

base::Status recordLoginSuccess(soci::session& session, std::string_view username) {
  const std::string doing = fmt::format("recording a login of user {}", detail::quoted(username));
  return detail::guarded(session, doing, [&]() -> base::Status {
    const std::string key(username);
    soci::statement st = (session.prepare << "UPDATE users SET failed_logins = 0 "
                                             "WHERE username = :username",
                          soci::use(key, "username"));
    st.execute(true);
    if (st.get_affected_rows() == 0) return detail::notFound(OrgTable::Users, username);
    return {};
  });
}

base::Status unlockAccount(soci::session& session, std::string_view username) {
  const std::string doing = fmt::format("unlocking user {}", detail::quoted(username));
  return detail::guarded(session, doing, [&]() -> base::Status {
    const std::string key(username);
    soci::statement st = (session.prepare << "UPDATE users SET failed_logins = 0, "
                                             "locked_until = NULL WHERE username = :username",
                          soci::use(key, "username"));
    st.execute(true);
    if (st.get_affected_rows() == 0) return detail::notFound(OrgTable::Users, username);
    return {};
  });
}

base::Result<Credentials> setPassword(soci::session& session, const base::Clock& clock,
                                      std::string_view username, const std::string& passwordHash,
                                      bool mustChange, int historyDepth) {
  BANKCC_TRY(validatePasswordHash(passwordHash));
  const std::string doing =
      fmt::format("setting the password of user {}", detail::quoted(username));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Credentials> {
    const std::string key(username);
    long long userId = 0;
    std::string oldHash;
    soci::indicator oldIndicator = soci::i_null;
    session << "SELECT id, password_hash FROM users WHERE username = :username",
        soci::use(key, "username"), soci::into(userId), soci::into(oldHash, oldIndicator);
    if (!session.got_data()) return detail::notFound(OrgTable::Users, username);

    const long long now = detail::toMicros(clock.now());
    if (oldIndicator == soci::i_ok) {
      session << "INSERT INTO password_history (user_id, password_hash, changed_at) "
                 "VALUES (:user, :hash, :now)",
          soci::use(userId, "user"), soci::use(oldHash, "hash"), soci::use(now, "now");
    }
    const long long depth = std::max(historyDepth, 0);
    session << "DELETE FROM password_history WHERE user_id = :user1 AND id NOT IN "
               "(SELECT id FROM password_history WHERE user_id = :user2 "
               "ORDER BY changed_at DESC, id DESC LIMIT :depth)",
        soci::use(userId, "user1"), soci::use(userId, "user2"), soci::use(depth, "depth");

    const int must = mustChange ? 1 : 0;
    session << "UPDATE users SET password_hash = :hash, password_changed_at = :changed, "
               "must_change_password = :must, version = version + 1, updated_at = :now "
               "WHERE id = :user",
        soci::use(passwordHash, "hash"), soci::use(now, "changed"), soci::use(must, "must"),
        soci::use(now, "now"), soci::use(userId, "user");
    return byUsername(session, username);
  });
}

base::Result<std::vector<std::string>> passwordHistory(soci::session& session, std::int64_t userId,
                                                       int depth) {
  return detail::guarded(
      session, "reading the password history", [&]() -> base::Result<std::vector<std::string>> {
        std::vector<std::string> out;
        if (depth <= 0) return out;
        const long long user = userId;
        const long long limit = depth;
        std::string hash;
        soci::statement st =
            (session.prepare << "SELECT password_hash FROM password_history WHERE user_id = :user "
                                "ORDER BY changed_at DESC, id DESC LIMIT :depth",
             soci::use(user, "user"), soci::use(limit, "depth"), soci::into(hash));
        st.execute();
        while (st.fetch()) out.push_back(hash);
        return out;
      });
}

base::Status createSession(soci::session& session, const SessionRecord& record) {
  BANKCC_TRY(validate(record));
  return detail::guarded(session, "creating a session", [&]() -> base::Status {
    const long long userId = record.userId;
    long long found = 0;
    session << "SELECT count(*) FROM users WHERE id = :user", soci::use(userId, "user"),
        soci::into(found);
    if (found == 0) {
      return detail::invalid("user_id", fmt::format("no user with key {}", record.userId));
    }
    const long long created = detail::toMicros(record.createdAt);
    const long long last = detail::toMicros(record.lastActivityAt);
    const long long expires = detail::toMicros(record.expiresAt);
    const std::string userAgent = truncateUtf8(record.userAgent, kMaxUserAgent);
    session << "INSERT INTO sessions (id, token_hash, csrf_hash, user_id, created_at, "
               "last_activity_at, expires_at, source_address, user_agent) VALUES (:id, :token, "
               ":csrf, :user, :created, :last, :expires, :source, :agent)",
        soci::use(record.id, "id"), soci::use(record.tokenHash, "token"),
        soci::use(record.csrfHash, "csrf"), soci::use(userId, "user"),
        soci::use(created, "created"), soci::use(last, "last"), soci::use(expires, "expires"),
        soci::use(record.sourceAddress, "source"), soci::use(userAgent, "agent");
    return {};
  });
}

base::Result<SessionRecord> findSession(soci::session& session, std::string_view tokenHash,
                                        base::SysTime now) {
  return detail::guarded(session, "finding a session", [&]() -> base::Result<SessionRecord> {
    SessionRow row;
    const std::string token(tokenHash);
    const long long at = detail::toMicros(now);
    session << "SELECT id, token_hash, csrf_hash, user_id, created_at, last_activity_at, "
               "expires_at, source_address, user_agent FROM sessions "
               "WHERE token_hash = :token AND expires_at > :now",
        soci::use(token, "token"), soci::use(at, "now"), soci::into(row.id),
        soci::into(row.tokenHash), soci::into(row.csrfHash), soci::into(row.userId),
        soci::into(row.createdAt), soci::into(row.lastActivityAt), soci::into(row.expiresAt),
        soci::into(row.sourceAddress), soci::into(row.userAgent);
    // The message never shows the token's hash: it is as good as the token to a reader of logs
    // who also holds the database.
    if (!session.got_data()) return base::err(Errc::NotFound, "no such session, or it expired");
    return row.toRecord();
  });
}

base::Status touchSession(soci::session& session, std::string_view sessionId,
                          base::SysTime lastActivityAt) {
  return detail::guarded(session, "recording session activity", [&]() -> base::Status {
    const std::string id(sessionId);
    const long long at = detail::toMicros(lastActivityAt);
    soci::statement st = (session.prepare << "UPDATE sessions SET last_activity_at = :at "
                                             "WHERE id = :id AND last_activity_at < :at2",
                          soci::use(at, "at"), soci::use(id, "id"), soci::use(at, "at2"));
    st.execute(true);
    if (st.get_affected_rows() > 0) return {};
    long long count = 0;
    session << "SELECT count(*) FROM sessions WHERE id = :id", soci::use(id, "id"),
        soci::into(count);
    if (count == 0) {
      return base::err(Errc::NotFound, fmt::format("no session {}", detail::quoted(sessionId)));
    }
    return {};  // already at or after `lastActivityAt`
  });
}

base::Status deleteSession(soci::session& session, std::string_view sessionId) {
  return detail::guarded(session, "ending a session", [&]() -> base::Status {
    const std::string id(sessionId);
    soci::statement st =
        (session.prepare << "DELETE FROM sessions WHERE id = :id", soci::use(id, "id"));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      return base::err(Errc::NotFound, fmt::format("no session {}", detail::quoted(sessionId)));
    }
    return {};
  });
}

base::Result<std::int64_t> deleteUserSessions(soci::session& session, std::int64_t userId,
                                              std::string_view exceptSessionId) {
  return detail::guarded(
      session, "ending the sessions of a user", [&]() -> base::Result<std::int64_t> {
        const long long user = userId;
        const std::string except(exceptSessionId);
        soci::statement st =
            (session.prepare << "DELETE FROM sessions WHERE user_id = :user AND id <> :except",
             soci::use(user, "user"), soci::use(except, "except"));
        st.execute(true);
        return static_cast<std::int64_t>(st.get_affected_rows());
      });
}

base::Result<std::int64_t> purgeExpiredSessions(soci::session& session, base::SysTime now) {
  return detail::guarded(session, "purging expired sessions", [&]() -> base::Result<std::int64_t> {
    // Expired as findSession() sees it: expires_at <= now.
    const long long at = detail::toMicros(now);
    soci::statement st =
        (session.prepare << "DELETE FROM sessions WHERE expires_at <= :now", soci::use(at, "now"));
    st.execute(true);
    return static_cast<std::int64_t>(st.get_affected_rows());
  });
}

}  // namespace bankcc::store
