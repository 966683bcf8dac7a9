// SPDX-License-Identifier: Apache-2.0
#pragma once

// Agents (座席): an agent number (工号), the one user account that acts as the agent, a team,
// languages and skills with proficiency. Conventions of all repositories: org_common.h.
// Threads: each function runs on the caller's thread, which owns `session`.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/org_common.h"

namespace bankcc::store {

struct AgentSkill {
  std::string code;     ///< a skill code
  int proficiency = 3;  ///< 1 (novice) .. 5 (expert)

  bool operator==(const AgentSkill&) const = default;
};

/// An extension (phone) the agent may log in with.
struct AgentExtension {
  std::string extension;  ///< 2-20 digits, as phones (store/phones.h); one agent at most
  /// Read-only: the phone's own setting (phones.auto_answer, set by `bankcc admin
  /// set-phone-password --auto-answer`); false while the phone is not provisioned. Ignored on
  /// write.
  bool autoAnswer = false;

  bool operator==(const AgentExtension&) const = default;
};

struct Agent {
  std::int64_t id = 0;  ///< database key; not part of the API
  std::string agentNo;  ///< 工号: 1-32 characters of A-Z, a-z, 0-9, '_' and '-', e.g. "1001"
  std::string name;
  /// Language tags in order of preference: "zh", "en", "yue" (Cantonese), "zh-min"; lower case,
  /// 1 to 8 of them.
  std::vector<std::string> languages;
  std::string teamCode;  ///< empty: no team
  std::string username;  ///< the user account that logs in as this agent; one agent per user
  std::vector<AgentSkill> skills;  ///< sorted by code
  /// Extensions the agent may log in with, at most 10, sorted by extension as stored.
  std::vector<AgentExtension> extensions;
  bool active = true;
  std::int64_t version = 0;
  base::SysTime createdAt{};
  base::SysTime updatedAt{};
};

/// Creates `agent` from its agent number, name, languages, team, user, skills, extensions and
/// active flag (id, version, timestamps and autoAnswer are ignored) and returns it as stored,
/// at version 1. Errors: ValidationFailed (bad values; "team_code: unknown team 'x'",
/// "username: unknown user 'x'", "skills: unknown skill 'x'", "extensions[0]: '80a' is not an
/// extension ..."), Conflict (agent number taken; "username: user 'x' already acts as agent
/// '1002'"; "extensions[0]: extension '8001' belongs to agent '1002'").
base::Result<Agent> createAgent(soci::session& session, const base::Clock& clock,
                                const Agent& agent);
/// Errors: NotFound.
base::Result<Agent> getAgent(soci::session& session, std::string_view agentNo);
/// Agents ordered by agent number (byte-wise).
base::Result<Page<Agent>> listAgents(soci::session& session, const PageRequest& request);
/// Replaces name, languages, team, user, skills, extensions and active flag of the agent
/// `agent.agentNo`, provided its stored version is `agent.version`. Errors: as createAgent,
/// NotFound, VersionMismatch.
base::Result<Agent> updateAgent(soci::session& session, const base::Clock& clock,
                                const Agent& agent);
/// Enables or disables an agent. Errors: NotFound, VersionMismatch.
base::Result<Agent> setAgentActive(soci::session& session, const base::Clock& clock,
                                   std::string_view agentNo, bool active,
                                   std::int64_t expectedVersion);

}  // namespace bankcc::store
