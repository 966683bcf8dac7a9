// SPDX-License-Identifier: Apache-2.0
#pragma once

// Users (staff accounts) and the built-in roles they hold. Conventions of all repositories:
// org_common.h.
// Threads: each function runs on the caller's thread, which owns `session`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/org_common.h"

namespace bankcc::store {

/// A built-in role (CONVENTIONS.md "Roles"); the migration seeds them.
struct Role {
  std::string code;  ///< agent, supervisor, qa, planner, marketing, admin, auditor
  std::string labelZh;
  std::string labelEn;
};

struct User {
  std::int64_t id = 0;   ///< database key; not part of the API
  std::string username;  ///< lower case, e.g. "zhang.wei"
  std::string displayName;
  /// The argon2id hash (an encoded string such as libsodium's crypto_pwhash_str output);
  /// nullopt: the user cannot log in with a password yet.
  std::optional<std::string> passwordHash;
  std::vector<std::string> roles;  ///< role codes, sorted
  bool active = true;
  std::int64_t version = 0;
  base::SysTime createdAt{};
  base::SysTime updatedAt{};
};

/// The built-in roles, ordered by code.
base::Result<std::vector<Role>> listRoles(soci::session& session);

/// Creates `user` from username, display name, password hash, roles and active flag (id,
/// version and timestamps are ignored) and returns it as stored, at version 1. Errors:
/// ValidationFailed (also "roles: unknown role 'x'"), Conflict.
base::Result<User> createUser(soci::session& session, const base::Clock& clock, const User& user);
/// Errors: NotFound.
base::Result<User> getUser(soci::session& session, std::string_view username);
/// Users ordered by username.
base::Result<Page<User>> listUsers(soci::session& session, const PageRequest& request);
/// Replaces display name, roles and active flag of the user `user.username`, provided its
/// stored version is `user.version`. The password hash is left alone (setUserPasswordHash).
/// Errors: ValidationFailed, NotFound, VersionMismatch.
base::Result<User> updateUser(soci::session& session, const base::Clock& clock, const User& user);
/// Enables or disables a user. Errors: NotFound, VersionMismatch.
base::Result<User> setUserActive(soci::session& session, const base::Clock& clock,
                                 std::string_view username, bool active,
                                 std::int64_t expectedVersion);
/// Stores a new password hash (nullopt: none), provided the stored version is
/// `expectedVersion`; increments the version. Errors: ValidationFailed, NotFound,
/// VersionMismatch.
base::Result<User> setUserPasswordHash(soci::session& session, const base::Clock& clock,
                                       std::string_view username,
                                       const std::optional<std::string>& passwordHash,
                                       std::int64_t expectedVersion);

}  // namespace bankcc::store
