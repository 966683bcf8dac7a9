// SPDX-License-Identifier: Apache-2.0
// `bankcc admin …`: key creation, migrations, backup and seeding.

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/std.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include <nlohmann/json.hpp>

#include <cstdlib>

#include "api/passwords.h"
#include "base/clock.h"
#include "server/commands.h"
#include "server/master_key.h"
#include "server/runtime.h"
#include "server/seed.h"
#include "store/audit_log.h"
#include "store/auth.h"
#include "store/backup.h"
#include "store/migrations.h"
#include "store/transaction.h"

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
  const auto& t = s.telephony;
  std::string trunks;
  for (const auto& trunk : t.sip.trunks) {
    trunks +=
        fmt::format("{}{} ({} peers{})", trunks.empty() ? "" : ", ", trunk.name, trunk.peers.size(),
                    trunk.outbound.empty() ? "" : ", out to " + trunk.outbound);
  }
  std::cout << fmt::format(
      "  recording.dir           {} ({} writer threads, encrypted)\n"
      "  sip                     {}\n"
      "  sip.trunks              {}\n"
      "  sip.diagnostics         echo {}, tone {}\n"
      "  media                   RTP {}:{}-{}, workers {}, timeout {}s, tones {}\n",
      s.recordingDir.string(), s.recordingWriterThreads,
      t.enabled ? fmt::format("{} ({}{})", t.sip.listen, t.sip.udp ? "udp" : "",
                              t.sip.tcp ? (t.sip.udp ? " tcp" : "tcp") : "")
                : std::string("off"),
      trunks.empty() ? std::string("none (only registered phones may call)") : trunks,
      t.voice.echoTestNumber.empty() ? "off" : t.voice.echoTestNumber,
      t.voice.toneTestNumber.empty() ? "off" : t.voice.toneTestNumber, t.media.rtpAddress,
      t.media.portMin, t.media.portMax,
      t.media.workers == 0 ? std::string("one per core") : std::to_string(t.media.workers),
      std::chrono::duration_cast<std::chrono::seconds>(t.media.rtpTimeout).count(),
      t.media.tonePlan == media::TonePlan::China ? "china" : "itu");
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

namespace bankcc::server {
namespace {

/// The audit key from the master key file (--master-key, else the configured one).
base::Result<store::AuditKey> auditKeyOf(const Settings& settings,
                                         const std::optional<std::filesystem::path>& keyFile) {
  auto key = loadMasterKey(keyFile ? *keyFile : settings.masterKeyFile);
  if (!key.ok()) return std::move(key).error();
  return store::deriveAuditKey(*key);
}

}  // namespace

int runCreateUser(const Overrides& overrides, const std::optional<std::filesystem::path>& keyFile,
                  const CreateUserOptions& options) {
  auto settings = loadSettingsOrReport(overrides);
  if (!settings) return kExitUsage;
  std::string password;
  if (!std::getline(std::cin, password)) {
    std::cerr << "bankcc: no password on stdin\n";
    return kExitUsage;
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  const auto problems =
      api::checkPasswordPolicy(settings->auth.passwordPolicy, password, options.username);
  if (!problems.empty()) {
    for (const auto& p : problems) std::cerr << "bankcc: password " << p << "\n";
    return kExitUsage;
  }
  auto auditKey = auditKeyOf(*settings, keyFile);
  if (!auditKey.ok()) return fail(auditKey.error());
  auto db = openAndMigrate(*settings);
  if (!db.ok()) return fail(db.error());
  auto session = (*db)->connect();
  if (!session.ok()) return fail(session.error());
  api::PasswordHasher hasher(1, settings->auth.hashStrength);
  auto hash = hasher.hash(password);
  if (!hash.ok()) return fail(hash.error());
  base::RealClock clock;

  auto tx = store::Transaction::begin(**session);
  if (!tx.ok()) return fail(tx.error());
  store::User user;
  user.username = options.username;
  user.displayName = options.displayName;
  user.roles = options.roles;
  auto created = store::createUser(**session, clock, user);
  if (!created.ok()) return fail(created.error());
  auto stored = store::setPassword(**session, clock, options.username, *hash, false,
                                   settings->auth.passwordPolicy.historyDepth);
  if (!stored.ok()) return fail(stored.error());
  store::AuditRecord record;
  record.at = clock.now();
  record.actor = cliActor();
  record.sourceAddress = "cli";
  record.action = "user.created";
  record.targetType = "user";
  record.targetId = options.username;
  record.outcome = "success";
  nlohmann::json details{
      {"roles", created->roles}, {"display_name", created->displayName}, {"password_set", true}};
  record.details = details.dump();
  auto audited = store::appendAudit(**session, *auditKey, std::move(record));
  if (!audited.ok()) return fail(audited.error());
  if (auto st = tx->commit(); !st.ok()) return fail(st.error());
  std::cout << fmt::format("created user {} with roles {}\n", options.username,
                           fmt::join(created->roles, ", "));
  return kExitOk;
}

int runVerifyAudit(const Overrides& overrides,
                   const std::optional<std::filesystem::path>& keyFile) {
  auto settings = loadSettingsOrReport(overrides);
  if (!settings) return kExitUsage;
  auto auditKey = auditKeyOf(*settings, keyFile);
  if (!auditKey.ok()) return fail(auditKey.error());
  auto db = openAndMigrate(*settings);
  if (!db.ok()) return fail(db.error());
  auto session = (*db)->connect();
  if (!session.ok()) return fail(session.error());
  auto result = store::verifyAudit(**session, *auditKey, [](std::int64_t done, std::int64_t total) {
    std::cerr << fmt::format("verify-audit: {} of {} records\n", done, total);
  });
  if (!result.ok()) return fail(result.error());
  if (!result->ok) {
    std::cout << fmt::format("audit log BROKEN: {} (checked {} records)\n", result->problem,
                             result->records);
    return kExitFailure;
  }
  std::cout << fmt::format("audit log intact: {} records, chain head seq {}\n", result->records,
                           result->lastSeq);
  return kExitOk;
}

}  // namespace bankcc::server
