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

/// Prints "bankcc: <message>" to stderr and returns kExitFailure. For the admin commands,
/// which a person runs and reads.
int fail(const base::Error& error);
/// As fail(), and also logs the error as a JSON line first: for `serve`, whose stderr goes to
/// a log pipeline that should carry why the server did not start.
int failLogged(const base::Error& error);

/// The OS account running an admin command, as the actor of its audit record ("cli:root").
std::string cliActor();

}  // namespace bankcc::server
