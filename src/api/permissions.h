// SPDX-License-Identifier: Apache-2.0
#pragma once

// Permissions and the built-in roles that hold them (CONVENTIONS.md "Roles"). Every route
// declares one permission; a user holds the union of their roles' permissions. The table in
// permissions.cc is the single source: the router, docs/permissions.md and the route-by-role
// test all read it.
// Threads: constant data; thread-safe.

#include <bitset>
#include <cstddef>
#include <string_view>
#include <vector>

namespace bankcc::api {

enum class Permission : unsigned char {
  Public,            ///< no login needed (login itself, health, OpenAPI)
  Authenticated,     ///< any logged-in user (own session, password change, logout)
  OrgRead,           ///< teams, skills, queues, reason and wrap-up codes
  OrgWrite,          ///< create/change/disable teams, skills, queues, codes
  AgentsRead,        ///< agents and their skills
  AgentsWrite,       ///< create/change/disable agents
  AgentSkillsWrite,  ///< change an agent's skills (supervisors: agents of their teams)
  UsersRead,         ///< staff accounts and roles
  UsersWrite,        ///< create/change/disable users, reset passwords, unlock accounts
  AuditRead,         ///< the audit log
  EventsSubscribe,   ///< the /api/v1/events WebSocket
  CtiControl,        ///< log in, change state, control own calls (agents: themselves only)
  CallsRead,         ///< live calls, agent states, routing explanations
  CallsSupervise,    ///< monitor (listen, whisper, barge), force state/logout/hang-up, intercept
  StatsRead,         ///< queue and agent statistics (live, today, 15-minute intervals)
  CdrsRead,          ///< call detail records and agent state intervals
  kCount
};

inline constexpr std::size_t kPermissionCount = static_cast<std::size_t>(Permission::kCount);
using PermissionSet = std::bitset<kPermissionCount>;

/// "org.read", "agents.write", ... (stable; used in docs, audit records and error messages).
std::string_view permissionName(Permission p);
/// One line of English for docs/permissions.md.
std::string_view permissionDescription(Permission p);
/// Every permission but kCount, in declaration order.
const std::vector<Permission>& allPermissions();

/// The built-in role codes in a fixed order: agent, supervisor, qa, planner, marketing, admin,
/// auditor.
const std::vector<std::string_view>& builtInRoles();
/// The permissions of one role; empty for an unknown code. Public and Authenticated are in every
/// role's set.
PermissionSet permissionsOfRole(std::string_view role);
/// The union over `roles`.
PermissionSet permissionsOfRoles(const std::vector<std::string>& roles);

}  // namespace bankcc::api
