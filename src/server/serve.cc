// SPDX-License-Identifier: Apache-2.0
// `bankcc serve` and `bankcc demo`: wiring, the operational HTTP endpoints and signals.

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/std.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "events/event.h"
#include "events/json.h"
#include "server/commands.h"
#include "server/http_server.h"
#include "server/master_key.h"
#include "server/runtime.h"
#include "server/seed.h"
#include "server/version.h"
#include "store/event_log.h"

namespace bankcc::server {
namespace {

/// Blocks the signals we handle in every thread created after this call; the main thread
/// then receives them synchronously with sigwait().
sigset_t blockHandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

/// Finds or creates the master key. A missing key is created with a warning unless the
/// configuration demands an existing one (production).
base::Status ensureMasterKey(const Settings& settings) {
  auto key = loadMasterKey(settings.masterKeyFile);
  if (key.ok()) return {};
  if (key.error().code != base::Errc::NotFound) return std::move(key).error();
  if (settings.requireExistingKey) {
    return base::err(base::Errc::NotFound,
                     fmt::format("no master key at {} and [keys] require_existing = true; create "
                                 "one with `bankcc admin init-keys`",
                                 settings.masterKeyFile));
  }
  BANKCC_TRY(createMasterKey(settings.masterKeyFile));
  spdlog::warn(
      "created a new master key at {}; back it up, since encrypted data cannot be read "
      "without it (production: create it with `bankcc admin init-keys` and set [keys] "
      "require_existing = true)",
      settings.masterKeyFile);
  return {};
}

/// SIGHUP: re-reads the configuration file and applies what is safe to change while running.
void reload(const ServeOptions& options) {
  auto fresh = loadSettings(options.overrides);
  if (!fresh.ok()) {
    spdlog::error("reload: configuration not applied: {}", fresh.error().message);
    return;
  }
  if (auto st = base::setLogLevel(fresh->log.level); !st.ok()) {
    spdlog::error("reload: {}", st.error().message);
    return;
  }
  spdlog::info("reload: applied log.level={}; other settings take effect at restart",
               fresh->log.level);
}

std::string jsonString(std::string_view s) {
  std::string out;
  events::appendJsonString(out, s);
  return out;
}

}  // namespace

int runServe(const ServeOptions& options) {
  const sigset_t signals = blockHandledSignals();
  auto loaded = loadSettingsOrReport(options.overrides);
  if (!loaded) return kExitUsage;
  Settings settings = std::move(*loaded);
  if (options.masterKeyFile) settings.masterKeyFile = *options.masterKeyFile;
  base::setThreadName("main");
  spdlog::info("bankcc {} starting (node {}, data {})", kVersion, settings.node, settings.dataDir);

  if (auto st = ensureMasterKey(settings); !st.ok()) return failLogged(st.error());
  auto db = openAndMigrate(settings);
  if (!db.ok()) return failLogged(db.error());
  if (options.seedFile) {
    auto session = (*db)->connect();
    if (!session.ok()) return failLogged(session.error());
    base::RealClock seedClock;
    auto seeded = seedIfEmpty(**session, *options.seedFile, seedClock);
    if (!seeded.ok()) return failLogged(seeded.error());
  }

  base::RealClock clock;
  base::Metrics metrics(kVersion);
  settings.eventLog.version = kVersion;
  settings.eventLog.node = settings.node;
  auto eventLog = store::EventLog::start(**db, settings.eventLog, clock, metrics.registry());
  if (!eventLog.ok()) return failLogged(eventLog.error());
  (*eventLog)->append(events::Event{
      .ts = clock.now(),
      .payload =
          events::SystemStarted{kVersion, settings.node, static_cast<std::int64_t>(::getpid())}});

  const store::Database& database = **db;
  const store::EventLog& log = **eventLog;
  std::map<std::string, HttpHandler> routes;
  routes["/healthz"] = [](const HttpRequest&) {
    return HttpResponse{200, "application/json", R"({"status":"ok"})"};
  };
  // Ready when the database answers now. The event log's state is reported too, but a
  // spilling event log does not make the node unready: it catches up on its own.
  routes["/readyz"] = [&database, &log](const HttpRequest&) {
    auto ping = database.ping();
    const auto stats = log.stats();
    const std::string eventLog =
        stats.databaseUp ? R"("ok")" : jsonString(fmt::format("spilling: {}", stats.lastError));
    if (ping.ok()) {
      return HttpResponse{200, "application/json",
                          fmt::format(R"({{"status":"ready","checks":{{"database":"ok",)"
                                      R"("event_log":{}}}}})",
                                      eventLog)};
    }
    return HttpResponse{503, "application/json",
                        fmt::format(R"({{"status":"unavailable","checks":{{"database":{},)"
                                    R"("event_log":{}}}}})",
                                    jsonString(ping.error().message), eventLog)};
  };
  routes["/metrics"] = [&metrics](const HttpRequest&) {
    return HttpResponse{200, std::string(base::Metrics::kContentType), metrics.serialize()};
  };

  HttpServerOptions httpOptions;
  httpOptions.address = settings.httpAddress;
  httpOptions.port = settings.httpPort;
  httpOptions.threads = settings.httpThreads;
  auto http = HttpServer::start(httpOptions, std::move(routes));
  if (!http.ok()) return failLogged(http.error());

  // The one line on stdout: tests and tools read the bound addresses from it.
  std::cout << fmt::format(R"({{"event":"listening","http":"{}"}})", (*http)->boundAddress())
            << std::endl;
  spdlog::info("serving HTTP on {}", (*http)->boundAddress());

  int received = 0;
  for (;;) {
    if (sigwait(&signals, &received) != 0) continue;
    if (received == SIGHUP) {
      reload(options);
      continue;
    }
    break;
  }
  spdlog::info("received {}; stopping", received == SIGINT ? "SIGINT" : "SIGTERM");
  (*http)->stop();
  (*eventLog)->append(
      events::Event{.ts = clock.now(),
                    .payload = events::SystemStopping{received == SIGINT ? "SIGINT" : "SIGTERM"}});
  (*eventLog)->stop();
  spdlog::info("stopped; event log flushed up to seq {}", (*eventLog)->lastCommittedSeq());
  spdlog::shutdown();
  return kExitOk;
}

}  // namespace bankcc::server
