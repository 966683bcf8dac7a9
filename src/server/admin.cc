// SPDX-License-Identifier: Apache-2.0
// `bankcc admin …`: key creation, migrations, backup and seeding.

#include <sqlite3.h>
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

namespace {

/// Copies the SQLite database with the online backup API (consistent while the server runs),
/// into a temporary file that is renamed to `out` only when complete.
base::Status sqliteBackup(const std::filesystem::path& source, const std::filesystem::path& out) {
  using base::Errc;
  std::error_code ec;
  if (std::filesystem::exists(out, ec)) {
    return base::err(Errc::Conflict, fmt::format("{} already exists; choose a new file", out));
  }
  const auto tmp = std::filesystem::path(out.string() + fmt::format(".partial{}", ::getpid()));
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  auto closeAll = [&] {
    if (src) sqlite3_close(src);
    if (dst) sqlite3_close(dst);
  };
  if (sqlite3_open_v2(source.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    auto msg = fmt::format("cannot open {}: {}", source, sqlite3_errmsg(src));
    closeAll();
    return base::err(Errc::Unavailable, msg);
  }
  if (sqlite3_open_v2(tmp.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    auto msg = fmt::format("cannot create {}: {}", tmp, sqlite3_errmsg(dst));
    closeAll();
    std::filesystem::remove(tmp, ec);
    return base::err(Errc::Io, msg);
  }
  sqlite3_backup* backup = sqlite3_backup_init(dst, "main", src, "main");
  if (!backup) {
    auto msg = fmt::format("cannot start backup: {}", sqlite3_errmsg(dst));
    closeAll();
    std::filesystem::remove(tmp, ec);
    return base::err(Errc::Io, msg);
  }
  int rc = SQLITE_OK;
  int lastPercent = -1;
  do {
    rc = sqlite3_backup_step(backup, 1024);
    const int total = sqlite3_backup_pagecount(backup);
    const int done = total - sqlite3_backup_remaining(backup);
    const int percent = total > 0 ? done * 100 / total : 100;
    if (percent != lastPercent && (percent % 10 == 0 || rc == SQLITE_DONE)) {
      std::cerr << fmt::format("backup: {}% ({} of {} pages)\n", percent, done, total);
      lastPercent = percent;
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(backup);
  const std::string stepError = sqlite3_errmsg(dst);
  closeAll();
  if (rc != SQLITE_DONE) {
    std::filesystem::remove(tmp, ec);
    return base::err(Errc::Io, fmt::format("backup to {} failed: {}", out, stepError));
  }
  std::filesystem::rename(tmp, out, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return base::err(Errc::Io, fmt::format("cannot rename backup to {}: {}", out, ec.message()));
  }
  return {};
}

}  // namespace

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
  if (auto st = sqliteBackup((*db)->sqlitePath(), out); !st.ok()) return fail(st.error());
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
