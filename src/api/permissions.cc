// SPDX-License-Identifier: Apache-2.0
#include "api/permissions.h"

#include <array>

#include "base/assert.h"

namespace bankcc::api {
namespace {

struct PermissionInfo {
  Permission permission;
  std::string_view name;
  std::string_view description;
};

constexpr std::array<PermissionInfo, kPermissionCount> kPermissions{{
    {Permission::Public, "public", "Anyone, without logging in (login, health, API description)."},
    {Permission::Authenticated, "authenticated",
     "Any logged-in user: own session, password change, logout."},
    {Permission::OrgRead, "org.read",
     "Read teams, skills, queues, business-hours calendars, reason and wrap-up codes."},
    {Permission::OrgWrite, "org.write",
     "Create, change, disable and enable teams, skills, queues, reason and wrap-up codes; "
     "create, change and delete business-hours calendars."},
    {Permission::AgentsRead, "agents.read", "Read agents and their skills."},
    {Permission::AgentsWrite, "agents.write", "Create, change, disable and enable agents."},
    {Permission::AgentSkillsWrite, "agent_skills.write",
     "Change an agent's skills; supervisors only for agents of the teams they supervise."},
    {Permission::UsersRead, "users.read", "Read staff accounts and their roles."},
    {Permission::UsersWrite, "users.write",
     "Create, change, disable users; reset passwords; unlock accounts."},
    {Permission::AuditRead, "audit.read", "Read the audit log."},
    {Permission::EventsSubscribe, "events.subscribe", "Subscribe to live events (WebSocket)."},
    {Permission::CtiControl, "cti.control",
     "Log in and out, set state, control calls (agents: themselves; supervisors: their teams)."},
    {Permission::CallsRead, "calls.read",
     "Read live calls, agent states and the ACD's routing explanations."},
    {Permission::CallsSupervise, "calls.supervise",
     "Monitor calls (listen, whisper, barge), force an agent's state, logout or hang-up, "
     "intercept a ringing call (supervisors: their teams; every use is audited)."},
    {Permission::StatsRead, "stats.read",
     "Read queue and agent statistics (live, today, 15-minute intervals)."},
    {Permission::CdrsRead, "cdrs.read",
     "Read call detail records and agent state intervals (supervisors: only the calls and "
     "intervals of agents in the teams they supervise; qa, auditors and administrators: all)."},
}};

constexpr bool inDeclarationOrder() {
  for (std::size_t i = 0; i < kPermissions.size(); ++i) {
    if (static_cast<std::size_t>(kPermissions[i].permission) != i) return false;
  }
  return true;
}
static_assert(inDeclarationOrder(), "kPermissions must list every Permission in enum order");

using P = Permission;

struct RoleInfo {
  std::string_view role;
  std::initializer_list<Permission> permissions;
};

// The built-in roles (CONVENTIONS.md). Separation of duties: administrators change the
// organisation but do not read the audit log; auditors read everything and change nothing.
const std::array<RoleInfo, 7>& roleTable() {
  static const std::array<RoleInfo, 7> table{{
      {"agent", {P::OrgRead, P::EventsSubscribe, P::CtiControl}},
      {"supervisor",
       {P::OrgRead, P::AgentsRead, P::AgentSkillsWrite, P::EventsSubscribe, P::CtiControl,
        P::CallsRead, P::CallsSupervise, P::StatsRead, P::CdrsRead}},
      {"qa", {P::OrgRead, P::AgentsRead, P::StatsRead, P::CdrsRead}},
      {"planner", {P::OrgRead, P::AgentsRead, P::StatsRead}},
      {"marketing", {P::OrgRead}},
      {"admin",
       {P::OrgRead, P::OrgWrite, P::AgentsRead, P::AgentsWrite, P::AgentSkillsWrite, P::UsersRead,
        P::UsersWrite, P::EventsSubscribe, P::CtiControl, P::CallsRead, P::CallsSupervise,
        P::StatsRead, P::CdrsRead}},
      {"auditor",
       {P::OrgRead, P::AgentsRead, P::UsersRead, P::AuditRead, P::StatsRead, P::CdrsRead}},
  }};
  return table;
}

}  // namespace

std::string_view permissionName(Permission p) {
  const auto i = static_cast<std::size_t>(p);
  BANKCC_RELEASE_ASSERT(i < kPermissionCount, "permission out of range");  // enum values only
  return kPermissions[i].name;
}

std::string_view permissionDescription(Permission p) {
  const auto i = static_cast<std::size_t>(p);
  BANKCC_RELEASE_ASSERT(i < kPermissionCount, "permission out of range");
  return kPermissions[i].description;
}

const std::vector<Permission>& allPermissions() {
  static const std::vector<Permission> all = [] {
    std::vector<Permission> v;
    for (const auto& info : kPermissions) v.push_back(info.permission);
    return v;
  }();
  return all;
}

const std::vector<std::string_view>& builtInRoles() {
  static const std::vector<std::string_view> roles = [] {
    std::vector<std::string_view> v;
    for (const auto& r : roleTable()) v.push_back(r.role);
    return v;
  }();
  return roles;
}

PermissionSet permissionsOfRole(std::string_view role) {
  for (const auto& r : roleTable()) {
    if (r.role != role) continue;
    PermissionSet set;
    set.set(static_cast<std::size_t>(P::Public));
    set.set(static_cast<std::size_t>(P::Authenticated));
    for (auto p : r.permissions) set.set(static_cast<std::size_t>(p));
    return set;
  }
  return {};
}

PermissionSet permissionsOfRoles(const std::vector<std::string>& roles) {
  PermissionSet set;
  for (const auto& r : roles) set |= permissionsOfRole(r);
  return set;
}

}  // namespace bankcc::api
