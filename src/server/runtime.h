// SPDX-License-Identifier: Apache-2.0
#pragma once

// Start-up steps shared by the subcommands: settings, logging, the database.

#include <memory>

#include "base/result.h"
#include "server/commands.h"
#include "store/database.h"

namespace bankcc::server {

/// Loads settings (printing every configuration error to stderr) and initialises logging.
/// nullopt when the configuration is unusable; the caller exits with kExitUsage.
std::optional<Settings> loadSettingsOrReport(const Overrides& overrides);

/// Creates the data directory (mode 0750) when missing, opens the database and applies
/// pending migrations. Errors name the cause (unreachable, read-only, newer schema).
base::Result<std::unique_ptr<store::Database>> openAndMigrate(const Settings& settings);

/// Prints "bankcc: <message>" to stderr (and logs it) and returns kExitFailure.
int fail(const base::Error& error);

}  // namespace bankcc::server
