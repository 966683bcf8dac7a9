// SPDX-License-Identifier: Apache-2.0
#include "api/permissions.h"

#include <gtest/gtest.h>

#include <set>

namespace bankcc::api {
namespace {

bool has(const PermissionSet& s, Permission p) {
  return s.test(static_cast<std::size_t>(p));
}

TEST(PermissionsTest, NamesAreUniqueAndDescribed) {
  std::set<std::string_view> names;
  for (auto p : allPermissions()) {
    EXPECT_TRUE(names.insert(permissionName(p)).second) << permissionName(p);
    EXPECT_FALSE(permissionDescription(p).empty());
  }
  EXPECT_EQ(names.size(), kPermissionCount);
}

TEST(PermissionsTest, EveryRoleIsAuthenticatedAndUnknownRolesHoldNothing) {
  EXPECT_EQ(builtInRoles().size(), 7u);
  for (auto role : builtInRoles()) {
    auto set = permissionsOfRole(role);
    EXPECT_TRUE(has(set, Permission::Public)) << role;
    EXPECT_TRUE(has(set, Permission::Authenticated)) << role;
  }
  EXPECT_TRUE(permissionsOfRole("root").none());
  EXPECT_TRUE(permissionsOfRole("").none());
}

TEST(PermissionsTest, SeparationOfDuties) {
  // Administrators change the organisation but do not read the audit log; auditors read and
  // change nothing.
  EXPECT_FALSE(has(permissionsOfRole("admin"), Permission::AuditRead));
  auto auditor = permissionsOfRole("auditor");
  EXPECT_TRUE(has(auditor, Permission::AuditRead));
  for (auto p : {Permission::OrgWrite, Permission::AgentsWrite, Permission::AgentSkillsWrite,
                 Permission::UsersWrite}) {
    EXPECT_FALSE(has(auditor, p)) << permissionName(p);
  }
  EXPECT_FALSE(has(permissionsOfRole("agent"), Permission::AgentsRead));
  EXPECT_TRUE(has(permissionsOfRole("supervisor"), Permission::AgentSkillsWrite));
  EXPECT_FALSE(has(permissionsOfRole("supervisor"), Permission::AgentsWrite));
}

TEST(PermissionsTest, SeveralRolesUnite) {
  auto both = permissionsOfRoles({"supervisor", "qa"});
  EXPECT_EQ(both, permissionsOfRole("supervisor") | permissionsOfRole("qa"));
  EXPECT_TRUE(permissionsOfRoles({}).none());
}

}  // namespace
}  // namespace bankcc::api
