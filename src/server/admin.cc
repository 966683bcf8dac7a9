// SPDX-License-Identifier: Apache-2.0
// `bankcc admin …`: key creation, migrations, backup and seeding.

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/std.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "base/clock.h"
#include "server/commands.h"
#include "server/master_key.h"
#include "server/runtime.h"
#include "server/seed.h"
#include "store/backup.h"
#include "store/migrations.h"

namespace bankcc::server {

int runInitKeys(const Overrides& overrides, const std::optional<std::filesystem::path>& keyFile) {
  auto settings = loadSettingsOrReport(overrides);
  if (!settings) return kExitUsage;
  const auto path = keyFile ? *keyFile : settings->masterKeyFile;
  if (auto st = createMasterKey(path); !st.ok()) return fail(st.error());
  std::cout << fmt::format("created master key {} (mode 0600); keep a copy in a safe place\n",
                           path);
  return kExitOk;
}

int runMigrate(const Overrides& overrides) {
  auto settings = loadSettingsOrReport(overrides);
  if (!settings) return kExitUsage;
  auto db = openAndMigrate(*settings);
  if (!db.ok()) return fail(db.error());
  std::cout << fmt::format("database {} is at schema version {}\n", (*db)->describe(),
                           store::latestSchemaVersion());
  return kExitOk;
}

int runBackup(const Overrides& overrides, const std::filesystem::path& out) {
  auto settings = loadSettingsOrReport(overrides);
  if (!settings) return kExitUsage;
  auto db = store::Database::open(settings->store, settings->dataDir);
  if (!db.ok()) return fail(db.error());
  if ((*db)->backend() == store::Backend::Postgres) {
    std::cerr << fmt::format(
        "bankcc: backup of PostgreSQL is done with its own tool, for example:\n"
        "  pg_dump --format=custom --file {} '<connection string of {}>'\n",
        out, (*db)->describe());
    return kExitUsage;
  }
  int lastPercent = -1;
  auto progress = [&lastPercent](int done, int total) {
    const int percent = total > 0 ? done * 100 / total : 100;
    if (percent != lastPercent && (percent % 10 == 0 || done == total)) {
      std::cerr << fmt::format("backup: {}% ({} of {} pages)\n", percent, done, total);
      lastPercent = percent;
    }
  };
  if (auto st = store::backupSqlite((*db)->sqlitePath(), out, progress); !st.ok()) {
    return fail(st.error());
  }
  std::cout << fmt::format("backup of {} written to {}\n", (*db)->sqlitePath(), out);
  return kExitOk;
}

int runCheckConfig(const Overrides& overrides) {
  auto settings = loadSettings(overrides);
  if (!settings.ok()) {
    std::cerr << "bankcc: configuration error:\n" << settings.error().message << "\n";
    return kExitUsage;
  }
  const Settings& s = *settings;
  auto store = store::describeStore(s.store, s.dataDir);
  if (!store.ok()) {
    std::cerr << "bankcc: configuration error:\n" << store.error().message << "\n";
    return kExitUsage;
  }
  const std::string source = s.configFile.empty() ? "(defaults)" : s.configFile.string();
  std::cout << fmt::format(
      "configuration {} is valid; effective settings:\n"
      "  server.data_dir         {}\n"
      "  server.node             {}\n"
      "  http.listen             {}:{} ({} threads)\n"
      "  center.time_zone        {}\n"
      "  keys.master_key_file    {}{}\n"
      "  log                     level {}, format {}\n"
      "  store                   {}\n"
      "  event_log.spill_path    {}\n"
      "  event_log.queue         {} events, batches of {}\n",
      source, s.dataDir.string(), s.node, s.httpAddress, s.httpPort, s.httpThreads, s.timeZone,
      s.masterKeyFile.string(), s.requireExistingKey ? " (must exist)" : "", s.log.level,
      s.log.format, *store, s.eventLog.spillPath.string(), s.eventLog.queueCapacity,
      s.eventLog.maxBatch);
  return kExitOk;
}

int runSeed(const Overrides& overrides, const std::filesystem::path& seedFile) {
  auto settings = loadSettingsOrReport(overrides);
  if (!settings) return kExitUsage;
  auto db = openAndMigrate(*settings);
  if (!db.ok()) return fail(db.error());
  auto session = (*db)->connect();
  if (!session.ok()) return fail(session.error());
  base::RealClock clock;
  auto seeded = seedIfEmpty(**session, seedFile, clock);
  if (!seeded.ok()) return fail(seeded.error());
  std::cout << (*seeded ? fmt::format("loaded {}\n", seedFile)
                        : std::string("the organisation is not empty; nothing loaded\n"));
  return kExitOk;
}

}  // namespace bankcc::server
