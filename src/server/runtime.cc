// SPDX-License-Identifier: Apache-2.0
#include "server/runtime.h"

#include <fmt/format.h>
#include <fmt/std.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "base/log.h"
#include "store/migrations.h"

namespace bankcc::server {

std::optional<Settings> loadSettingsOrReport(const Overrides& overrides) {
  auto settings = loadSettings(overrides);
  if (!settings.ok()) {
    std::cerr << "bankcc: configuration error:\n" << settings.error().message << "\n";
    return std::nullopt;
  }
  base::initLogging(settings->log);
  return std::move(settings).value();
}

base::Result<std::unique_ptr<store::Database>> openAndMigrate(const Settings& settings) {
  std::error_code ec;
  if (!std::filesystem::exists(settings.dataDir, ec)) {
    std::filesystem::create_directories(settings.dataDir, ec);
    if (ec) {
      return base::err(base::Errc::Io, fmt::format("cannot create data directory {}: {}",
                                                   settings.dataDir, ec.message()));
    }
    std::filesystem::permissions(settings.dataDir, std::filesystem::perms(0750), ec);
  } else if (!std::filesystem::is_directory(settings.dataDir, ec)) {
    return base::err(base::Errc::Io,
                     fmt::format("data directory {} is not a directory", settings.dataDir));
  }
  auto db = store::Database::open(settings.store, settings.dataDir);
  if (!db.ok()) return std::move(db).error();
  auto session = (*db)->connect();
  if (!session.ok()) return std::move(session).error();
  auto report = store::migrate(**session, (*db)->backend());
  if (!report.ok()) return std::move(report).error();
  spdlog::info("database {} at schema version {}", (*db)->describe(), report->toVersion);
  return std::move(db).value();
}

int fail(const base::Error& error) {
  std::cerr << "bankcc: " << error.message << "\n";
  return kExitFailure;
}

int failLogged(const base::Error& error) {
  spdlog::error("{}", error.describe());
  return fail(error);
}

std::string cliActor() {
  const char* user = std::getenv("USER");
  return fmt::format("cli:{}",
                     user != nullptr && *user != '\0' ? user : std::to_string(::getuid()));
}

}  // namespace bankcc::server
