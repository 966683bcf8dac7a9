// SPDX-License-Identifier: Apache-2.0
#pragma once

// Teams (班组) of agents and the users who supervise them. Conventions of all repositories:
// org_common.h.
// Threads: each function runs on the caller's thread, which owns `session`.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/org_common.h"

namespace bankcc::store {

struct Team {
  std::int64_t id = 0;  ///< database key; not part of the API
  std::string code;     ///< e.g. "retail_a"
  std::string name;
  std::vector<std::string> supervisors;  ///< usernames, sorted
  bool active = true;
  std::int64_t version = 0;
  base::SysTime createdAt{};
  base::SysTime updatedAt{};
};

/// Creates `team` from its code, name, supervisors and active flag (id, version and
/// timestamps are ignored) and returns it as stored, at version 1. Errors: ValidationFailed
/// (also "supervisors: unknown user 'x'"), Conflict.
base::Result<Team> createTeam(soci::session& session, const base::Clock& clock, const Team& team);
/// Errors: NotFound.
base::Result<Team> getTeam(soci::session& session, std::string_view code);
/// Teams ordered by code.
base::Result<Page<Team>> listTeams(soci::session& session, const PageRequest& request);
/// Replaces name, supervisors and active flag of the team `team.code`, provided its stored
/// version is `team.version`. Errors: ValidationFailed, NotFound, VersionMismatch.
base::Result<Team> updateTeam(soci::session& session, const base::Clock& clock, const Team& team);
/// Enables or disables a team. Errors: NotFound, VersionMismatch.
base::Result<Team> setTeamActive(soci::session& session, const base::Clock& clock,
                                 std::string_view code, bool active, std::int64_t expectedVersion);

}  // namespace bankcc::store
