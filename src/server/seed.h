// SPDX-License-Identifier: Apache-2.0
#pragma once

// Loading an organisation seed file (config/seed.toml) into the database.

#include <filesystem>

#include "base/clock.h"
#include "base/result.h"

namespace soci {
class session;
}

namespace bankcc::server {

/// Loads `seedFile` when the organisation is empty (no users, agents, teams, skills or queues)
/// and returns true; returns false and changes nothing otherwise. All or nothing: the whole
/// file is loaded in one transaction. Errors: BadRequest/ValidationFailed naming the file,
/// line and entry ("seed.toml:42:1: agents[3] (1004): unknown team 'retial_1'").
base::Result<bool> seedIfEmpty(soci::session& session, const std::filesystem::path& seedFile,
                               const base::Clock& clock);

}  // namespace bankcc::server
