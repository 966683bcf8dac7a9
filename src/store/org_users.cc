// SPDX-License-Identifier: Apache-2.0
#include "store/org_users.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <map>

#include "store/org_support.h"
#include "store/sql_error.h"

namespace bankcc::store {
namespace {

using detail::OrgTable;

constexpr std::size_t kMaxPasswordHash = 512;

constexpr const char* kSelect =
    "SELECT id, username, display_name, password_hash, active, version, created_at, updated_at "
    "FROM users";

struct UserRow {
  long long id = 0;
  std::string username, displayName, passwordHash;
  soci::indicator hashIndicator = soci::i_null;
  int active = 0;
  long long version = 0, createdAt = 0, updatedAt = 0;

  // SOCI's comma syntax, continued on a statement being prepared.
  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(username), soci::into(displayName),
        soci::into(passwordHash, hashIndicator), soci::into(active), soci::into(version),
        soci::into(createdAt), soci::into(updatedAt);
  }
  User toUser() const {
    User user;
    user.id = id;
    user.username = username;
    user.displayName = displayName;
    if (hashIndicator == soci::i_ok) user.passwordHash = passwordHash;
    user.active = active != 0;
    user.version = version;
    user.createdAt = detail::fromMicros(createdAt);
    user.updatedAt = detail::fromMicros(updatedAt);
    return user;
  }
};

base::Status validatePasswordHash(const std::optional<std::string>& hash) {
  if (!hash) return {};
  bool printable = !hash->empty() && hash->size() <= kMaxPasswordHash;
  for (char c : *hash) printable = printable && c > ' ' && c < 0x7f;
  if (!printable) {
    return detail::invalid("password_hash", fmt::format("must be 1-{} printable ASCII characters "
                                                        "(an encoded hash)",
                                                        kMaxPasswordHash));
  }
  return {};
}

base::Status validate(const User& user) {
  if (auto e = detail::checkUsername("username", user.username)) return *e;
  if (auto e = detail::checkName("display_name", user.displayName)) return *e;
  BANKCC_TRY(validatePasswordHash(user.passwordHash));
  std::vector<std::string> seen;
  for (const std::string& role : user.roles) {
    if (auto e = detail::checkCode("roles", role)) return *e;
    if (std::find(seen.begin(), seen.end(), role) != seen.end()) {
      return detail::invalid("roles", fmt::format("{} is listed twice", detail::quoted(role)));
    }
    seen.push_back(role);
  }
  return {};
}

/// Role codes of the users whose usernames lie in [first, last], by user id.
std::map<long long, std::vector<std::string>> rolesOf(soci::session& session,
                                                      const std::string& first,
                                                      const std::string& last) {
  std::map<long long, std::vector<std::string>> out;
  long long userId = 0;
  std::string code;
  soci::statement st =
      (session.prepare << "SELECT ur.user_id, r.code FROM user_roles ur "
                          "JOIN users u ON u.id = ur.user_id JOIN roles r ON r.id = ur.role_id "
                          "WHERE u.username >= :first AND u.username <= :last ORDER BY r.code",
       soci::use(first, "first"), soci::use(last, "last"), soci::into(userId), soci::into(code));
  st.execute();
  while (st.fetch()) out[userId].push_back(code);
  return out;
}

base::Result<User> findOrNotFound(soci::session& session, std::string_view username) {
  auto user = detail::findRow(session, kSelect, "username", username, &UserRow::toUser);
  if (!user) return detail::notFound(OrgTable::Users, username);
  user->roles = std::move(rolesOf(session, user->username, user->username)[user->id]);
  return *user;
}

/// Replaces the role rows of user `userId`. ValidationFailed for an unknown role.
base::Status writeRoles(soci::session& session, long long userId,
                        const std::vector<std::string>& roles) {
  std::vector<long long> roleIds;
  for (const std::string& role : roles) {
    long long roleId = 0;
    session << "SELECT id FROM roles WHERE code = :code", soci::use(role, "code"),
        soci::into(roleId);
    if (!session.got_data()) {
      return detail::invalid("roles", fmt::format("unknown role {}; the roles are agent, "
                                                  "supervisor, qa, planner, marketing, admin "
                                                  "and auditor",
                                                  detail::quoted(role)));
    }
    roleIds.push_back(roleId);
  }
  session << "DELETE FROM user_roles WHERE user_id = :user", soci::use(userId, "user");
  for (long long roleId : roleIds) {
    session << "INSERT INTO user_roles (user_id, role_id) VALUES (:user, :role)",
        soci::use(userId, "user"), soci::use(roleId, "role");
  }
  return {};
}

}  // namespace

base::Result<std::vector<Role>> listRoles(soci::session& session) {
  return detail::guarded(session, "listing roles", [&]() -> base::Result<std::vector<Role>> {
    std::vector<Role> roles;
    Role role;
    soci::statement st =
        (session.prepare << "SELECT code, label_zh, label_en FROM roles "
                            "ORDER BY code",
         soci::into(role.code), soci::into(role.labelZh), soci::into(role.labelEn));
    st.execute();
    while (st.fetch()) roles.push_back(role);
    return roles;
  });
}

base::Result<User> createUser(soci::session& session, const base::Clock& clock, const User& user) {
  BANKCC_TRY(validate(user));
  const std::string doing = fmt::format("creating user {}", detail::quoted(user.username));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<User> {
    BANKCC_TRY(detail::checkKeyFree(session, OrgTable::Users, user.username));
    const long long now = detail::toMicros(clock.now());
    const int active = user.active ? 1 : 0;
    const std::string hash = user.passwordHash.value_or("");
    soci::indicator hashIndicator = user.passwordHash ? soci::i_ok : soci::i_null;
    long long id = 0;
    session << "INSERT INTO users (username, display_name, password_hash, active, version, "
               "created_at, updated_at) VALUES (:username, :display, :hash, :active, 1, "
               ":created, :updated) RETURNING id",
        soci::use(user.username, "username"), soci::use(user.displayName, "display"),
        soci::use(hash, hashIndicator, "hash"), soci::use(active, "active"),
        soci::use(now, "created"), soci::use(now, "updated"), soci::into(id);
    BANKCC_TRY(writeRoles(session, id, user.roles));
    return findOrNotFound(session, user.username);
  });
}

base::Result<User> getUser(soci::session& session, std::string_view username) {
  return detail::guarded(session, "reading a user",
                         [&]() { return findOrNotFound(session, username); });
}

base::Result<Page<User>> listUsers(soci::session& session, const PageRequest& request) {
  return detail::listPage(session, request, "listing users", kSelect, "username", &UserRow::toUser,
                          &User::username, [&](std::vector<User>& page) {
                            auto roles =
                                rolesOf(session, page.front().username, page.back().username);
                            for (User& user : page) user.roles = std::move(roles[user.id]);
                          });
}

base::Result<User> updateUser(soci::session& session, const base::Clock& clock, const User& user) {
  BANKCC_TRY(validate(user));
  const std::string doing = fmt::format("updating user {}", detail::quoted(user.username));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<User> {
    const long long now = detail::toMicros(clock.now());
    const int active = user.active ? 1 : 0;
    const long long version = user.version;
    soci::statement st =
        (session.prepare << "UPDATE users SET display_name = :display, active = :active, "
                            "version = version + 1, updated_at = :now "
                            "WHERE username = :username AND version = :version",
         soci::use(user.displayName, "display"), soci::use(active, "active"), soci::use(now, "now"),
         soci::use(user.username, "username"), soci::use(version, "version"));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      return detail::missingOrStale(session, OrgTable::Users, user.username, user.version);
    }
    const auto id = detail::idOf(session, OrgTable::Users, user.username);
    BANKCC_TRY(writeRoles(session, id.value_or(0), user.roles));
    return findOrNotFound(session, user.username);
  });
}

base::Result<User> setUserActive(soci::session& session, const base::Clock& clock,
                                 std::string_view username, bool active,
                                 std::int64_t expectedVersion) {
  return detail::setActiveAndReread(session, clock, OrgTable::Users, username, active,
                                    expectedVersion,
                                    [&]() { return findOrNotFound(session, username); });
}

base::Result<User> setUserPasswordHash(soci::session& session, const base::Clock& clock,
                                       std::string_view username,
                                       const std::optional<std::string>& passwordHash,
                                       std::int64_t expectedVersion) {
  BANKCC_TRY(validatePasswordHash(passwordHash));
  const std::string doing =
      fmt::format("setting the password of user {}", detail::quoted(username));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<User> {
    const long long now = detail::toMicros(clock.now());
    const std::string key(username);
    const std::string hash = passwordHash.value_or("");
    soci::indicator hashIndicator = passwordHash ? soci::i_ok : soci::i_null;
    const long long version = expectedVersion;
    soci::statement st =
        (session.prepare << "UPDATE users SET password_hash = :hash, version = version + 1, "
                            "updated_at = :now WHERE username = :username AND version = :version",
         soci::use(hash, hashIndicator, "hash"), soci::use(now, "now"), soci::use(key, "username"),
         soci::use(version, "version"));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      return detail::missingOrStale(session, OrgTable::Users, username, expectedVersion);
    }
    return findOrNotFound(session, username);
  });
}

}  // namespace bankcc::store
