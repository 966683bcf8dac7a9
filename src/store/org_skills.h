// SPDX-License-Identifier: Apache-2.0
#pragma once

// Skills (技能组): what a queue asks for and an agent has, with a proficiency. Conventions of
// all repositories: org_common.h.
// Threads: each function runs on the caller's thread, which owns `session`.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "store/org_common.h"

namespace bankcc::store {

struct Skill {
  std::int64_t id = 0;  ///< database key; not part of the API
  std::string code;     ///< e.g. "credit_card"
  std::string nameZh;
  std::string nameEn;
  bool active = true;
  std::int64_t version = 0;
  base::SysTime createdAt{};
  base::SysTime updatedAt{};
};

/// Creates `skill` from its code, names and active flag (id, version and timestamps are
/// ignored) and returns it as stored, at version 1. Errors: ValidationFailed, Conflict.
base::Result<Skill> createSkill(soci::session& session, const base::Clock& clock,
                                const Skill& skill);
/// Errors: NotFound.
base::Result<Skill> getSkill(soci::session& session, std::string_view code);
/// Skills ordered by code.
base::Result<Page<Skill>> listSkills(soci::session& session, const PageRequest& request);
/// Replaces the names and active flag of the skill `skill.code`, provided its stored version
/// is `skill.version`; returns it with the version incremented. Errors: ValidationFailed,
/// NotFound, VersionMismatch.
base::Result<Skill> updateSkill(soci::session& session, const base::Clock& clock,
                                const Skill& skill);
/// Enables or disables a skill whose stored version is `expectedVersion`. Errors: NotFound,
/// VersionMismatch.
base::Result<Skill> setSkillActive(soci::session& session, const base::Clock& clock,
                                   std::string_view code, bool active,
                                   std::int64_t expectedVersion);

}  // namespace bankcc::store
