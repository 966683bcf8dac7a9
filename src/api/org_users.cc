// SPDX-License-Identifier: Apache-2.0
// REST for staff accounts (/api/v1/users). Beyond the shared handlers: an optional initial
// password on create (policy-checked, hashed before the transaction, to be changed at first
// login), sessions that end when a user is disabled or their roles change, and a guard against
// locking oneself out.

#include <algorithm>

#include "api/org_crud.h"
#include "store/auth.h"
#include "store/org_users.h"

namespace bankcc::api::org {
namespace {

using Json = nlohmann::json;

/// Longer passwords are refused by the policy (maxLength); this only bounds what is read.
constexpr std::size_t kMaxPasswordBytes = 1024;

bool hasAdminRole(const store::User& user) {
  return std::find(user.roles.begin(), user.roles.end(), "admin") != user.roles.end();
}

struct UserResource : ResourceHooks<store::User> {
  using Object = store::User;
  static constexpr std::string_view kKind = "user";
  static constexpr std::string_view kCollection = "/api/v1/users";
  static constexpr std::string_view kKeyField = "username";
  static constexpr Permission kRead = Permission::UsersRead;
  static constexpr Permission kWrite = Permission::UsersWrite;

  static const std::string& keyOf(const Object& o) { return o.username; }
  /// With the flags of the user's credentials (one more read per user).
  static base::Result<Json> present(Call& call, const Object& o) {
    auto credentials = store::getCredentials(call.db(), o.username);
    if (!credentials.ok()) return std::move(credentials).error();
    return toJson(o, *credentials, call.clock().now());
  }
  static base::Result<store::Page<Object>> list(Call& call, const store::PageRequest& page) {
    return store::listUsers(call.db(), page);
  }
  static base::Result<Object> get(Call& call, std::string_view key) {
    return store::getUser(call.db(), key);
  }
  static void read(Call& call, FieldReader& r, Mode mode, const Object* current,
                   std::string_view pathKey, Draft<Object>& draft) {
    Object& o = draft.object;
    o.username = readKey(r, "username", mode, pathKey, kMaxUsernameBytes);
    o.displayName = r.string("display_name", Need::Required, kMaxTextBytes).value_or("");
    o.roles = r.stringList("roles", Need::Required, kMaxListItems, kMaxCodeBytes)
                  .value_or(std::vector<std::string>{});
    o.active = readActive(r, current == nullptr || current->active);
    o.version = readVersion(r, mode);
    ignoreTimestamps(r);
    for (const char* readOnly : {"has_password", "must_change_password", "locked"}) {
      r.ignore(readOnly);
    }
    if (mode == Mode::Create) {
      draft.password = r.string("password", Need::Optional, kMaxPasswordBytes);
      if (draft.password) {
        for (auto& problem :
             checkPasswordPolicy(*call.services().passwordPolicy, *draft.password, o.username)) {
          r.fail("password", std::move(problem));
        }
      }
    } else if (r.raw("password") != nullptr) {
      r.fail("password", "cannot be changed here; use the password reset");
    }
  }
  /// Hashes the initial password outside the transaction (it takes tens of milliseconds).
  static base::Status prepare(Call& call, Draft<Object>& draft) {
    if (!draft.password) return {};
    auto hash = call.services().hasher->hash(*draft.password);
    draft.password.reset();
    if (!hash.ok()) return std::move(hash).error();
    draft.passwordHash = std::move(*hash);
    return {};
  }
  static base::Result<Object> create(Call& call, const Draft<Object>& draft) {
    Object user = draft.object;
    user.passwordHash.reset();
    auto created = store::createUser(call.db(), call.clock(), user);
    if (!created.ok() || !draft.passwordHash) return created;
    auto credentials =
        store::setPassword(call.db(), call.clock(), user.username, *draft.passwordHash,
                           /*mustChange=*/true, call.services().passwordPolicy->historyDepth);
    if (!credentials.ok()) return std::move(credentials).error();
    return std::move(credentials->user);
  }
  static base::Result<Object> update(Call& call, const Object& o) {
    return store::updateUser(call.db(), call.clock(), o);
  }
  static base::Result<Object> setActive(Call& call, std::string_view key, bool active,
                                        std::int64_t version) {
    return store::setUserActive(call.db(), call.clock(), key, active, version);
  }

  /// Nobody disables their own account or drops their own admin role: with no other admin
  /// left, nobody could undo it.
  static std::optional<base::Error> checkWrite(Call& call, const Object* before,
                                               const Object& after) {
    if (before == nullptr || before->username != call.principal().username) return std::nullopt;
    if (before->active && !after.active) {
      return base::err(base::Errc::ValidationFailed, "active: you cannot disable your own account");
    }
    if (hasAdminRole(*before) && !hasAdminRole(after)) {
      return base::err(base::Errc::ValidationFailed,
                       "roles: you cannot remove the admin role from your own account");
    }
    return std::nullopt;
  }
  /// A disabled user, or one whose roles changed, is logged out everywhere, so that the change
  /// applies now. The caller's own session stays (their roles are read at every request).
  static base::Status afterWrite(Call& call, const Object& before, const Object& after) {
    const bool disabled = before.active && !after.active;
    if (!disabled && before.roles == after.roles) return {};
    std::string keep;
    if (after.username == call.principal().username) keep = call.principal().sessionId;
    auto ended = store::deleteUserSessions(call.db(), after.id, keep);
    if (!ended.ok()) return std::move(ended).error();
    return {};
  }
};

}  // namespace

void registerUserRoutes(Router& router) {
  addResourceRoutes<UserResource>(router);
}

}  // namespace bankcc::api::org
