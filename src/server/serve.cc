// SPDX-License-Identifier: Apache-2.0
// `bankcc serve` and `bankcc demo`: wiring, the operational HTTP endpoints and signals.

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/std.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <iostream>

#include "api/api_server.h"
#include "api/json_io.h"
#include "api/transport.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/time_zone.h"
#include "events/event.h"
#include "events/json.h"
#include "server/cdr_runtime.h"
#include "server/commands.h"
#include "server/core_org.h"
#include "server/core_runtime.h"
#include "server/demo_logins.h"
#include "server/master_key.h"
#include "server/phone_credentials.h"
#include "server/runtime.h"
#include "server/seed.h"
#include "server/stats_runtime.h"
#include "server/telephony_runtime.h"
#include "server/version.h"
#include "store/audit_log.h"
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
base::Result<MasterKey> ensureMasterKey(const Settings& settings) {
  auto key = loadMasterKey(settings.masterKeyFile);
  if (key.ok()) return key;
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
  return loadMasterKey(settings.masterKeyFile);
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

/// Domain events from API handlers: into the event log, then to WebSocket subscribers with
/// their identity.
class ServerEventSink final : public api::EventSink {
 public:
  ServerEventSink(store::EventLog& log, const base::Clock& clock) : log_(log), clock_(clock) {}
  void attach(api::ApiServer* server) { server_ = server; }

  /// Where organisation changes go once call control runs (nullptr: nowhere). Start-up and
  /// shut-down only.
  void attachOrgSync(OrgSync* sync) { orgSync_.store(sync); }
  /// Where events go for the live statistics (nullptr: nowhere). Start-up and shut-down only.
  void attachStats(StatsRuntime* stats) { stats_.store(stats); }

  void publish(events::Payload payload) override {
    if (const auto* changed = std::get_if<events::ConfigChanged>(&payload)) {
      // After the commit: the core takes the change before the API answers the request.
      if (OrgSync* sync = orgSync_.load()) sync->onConfigChanged(*changed);
      if (StatsRuntime* stats = stats_.load()) stats->onConfigChanged(*changed);
    }
    const auto topic = std::holds_alternative<events::ConfigChanged>(payload) ? "config" : "system";
    events::Event event{.ts = clock_.now(), .payload = std::move(payload)};
    const auto id = log_.append(event);
    if (server_ == nullptr) return;
    server_->publish(topic, envelope(event, id, false), {}, id.epoch, id.seq);
  }

  /// A domain event of the call-control core (core thread): into the event log, then to the
  /// WebSocket topics "calls" (supervisors) and "agent" (the agent it concerns).
  void publishEvent(events::Event event) {
    if (event.ts == base::SysTime{}) event.ts = clock_.now();
    const auto id = log_.append(event);
    if (StatsRuntime* stats = stats_.load()) stats->onEvent(event);
    if (server_ == nullptr) return;
    std::string json = envelope(event, id, true);
    if (!event.agentId.empty()) server_->publish("agent", json, event.agentId, id.epoch, id.seq);
    server_->publish("calls", std::move(json), {}, id.epoch, id.seq);
  }

 private:
  /// The envelope of docs/asyncapi.yaml; `withIds` adds call_id, agent_id, queue_id and
  /// request_id (null when empty), which call-control events carry.
  static std::string envelope(const events::Event& event, events::EventId id, bool withIds) {
    std::string json = fmt::format(R"({{"epoch":{},"seq":{},"ts":"{}","type":)", id.epoch, id.seq,
                                   api::formatTimestamp(event.ts));
    events::appendJsonString(json, events::typeName(event.payload));
    if (withIds) {
      for (const auto& [name, value] :
           {std::pair<std::string_view, const std::string*>{"call_id", &event.callId},
            {"agent_id", &event.agentId},
            {"queue_id", &event.queueId},
            {"request_id", &event.requestId}}) {
        json += fmt::format(R"(,"{}":)", name);
        if (value->empty()) {
          json += "null";
        } else {
          events::appendJsonString(json, *value);
        }
      }
    }
    json += R"(,"payload":)";
    events::appendPayloadJson(json, event.payload);
    json += '}';
    return json;
  }

  store::EventLog& log_;
  const base::Clock& clock_;
  api::ApiServer* server_ = nullptr;
  std::atomic<OrgSync*> orgSync_{nullptr};
  std::atomic<StatsRuntime*> stats_{nullptr};
};

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

  auto masterKey = ensureMasterKey(settings);
  if (!masterKey.ok()) return failLogged(masterKey.error());
  const store::AuditKey auditKey = store::deriveAuditKey(*masterKey);
  auto db = openAndMigrate(settings);
  if (!db.ok()) return failLogged(db.error());
  if (options.seedFile) {
    auto session = (*db)->connect();
    if (!session.ok()) return failLogged(session.error());
    base::RealClock seedClock;
    auto seeded = seedIfEmpty(**session, *options.seedFile, seedClock);
    if (!seeded.ok()) return failLogged(seeded.error());
    api::PasswordHasher hasher(settings.auth.maxConcurrentHashes, settings.auth.hashStrength);
    auto logins =
        createDemoLogins(**session, seedClock, hasher, auditKey, settings.auth.passwordPolicy);
    if (!logins.ok()) return failLogged(logins.error());
    if (!logins->empty()) {
      // The demo agent's phone can register at once (first start only, like the logins).
      for (const auto& l : *logins) {
        if (l.role != "agent") continue;
        auto phone = createDemoPhone(**session, seedClock, *masterKey, settings.telephony.sip.realm,
                                     auditKey, l.username);
        if (!phone.ok()) return failLogged(phone.error());
        if (*phone) logins->push_back(std::move(**phone));
        break;
      }
      const auto file = settings.dataDir / "demo-logins.txt";
      if (auto st = writeDemoLogins(file, *logins); !st.ok()) return failLogged(st.error());
      std::cerr << "\nDemo logins (also in " << file.string() << "):\n"
                << formatDemoLogins(*logins) << std::endl;
    }
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
  std::vector<api::ExtraRoute> extras;
  extras.push_back(
      {"/healthz", [](const api::Request&) { return api::jsonResponse(200, R"({"status":"ok"})"); },
       "Liveness: the process answers"});
  // Ready when the database answers now. The event log's state is reported too, but a
  // spilling event log does not make the node unready: it catches up on its own.
  extras.push_back({"/readyz",
                    [&database, &log](const api::Request&) {
                      auto ping = database.ping();
                      const auto stats = log.stats();
                      const std::string eventLog =
                          stats.databaseUp
                              ? R"("ok")"
                              : jsonString(fmt::format("spilling: {}", stats.lastError));
                      if (ping.ok()) {
                        return api::jsonResponse(
                            200, fmt::format(R"({{"status":"ready","checks":{{"database":"ok",)"
                                             R"("event_log":{}}}}})",
                                             eventLog));
                      }
                      return api::jsonResponse(
                          503, fmt::format(R"({{"status":"unavailable","checks":{{"database":{},)"
                                           R"("event_log":{}}}}})",
                                           jsonString(ping.error().message), eventLog));
                    },
                    "Readiness: the database answers"});
  // Set once telephony runs; the telephony metrics are brought up to date at each scrape.
  std::atomic<Telephony*> telephonyForMetrics{nullptr};
  // The queue statistics and the CDR projection's checkpoint are computed at each scrape.
  std::atomic<const StatsRuntime*> statsForMetrics{nullptr};
  std::atomic<const CdrRuntime*> cdrsForMetrics{nullptr};
  extras.push_back(
      {"/metrics",
       [&metrics, &telephonyForMetrics, &statsForMetrics, &cdrsForMetrics](const api::Request&) {
         if (Telephony* t = telephonyForMetrics.load()) t->refreshMetrics();
         std::vector<prometheus::MetricFamily> computed;
         if (const StatsRuntime* s = statsForMetrics.load()) computed = s->metricFamilies();
         if (const CdrRuntime* c = cdrsForMetrics.load()) {
           auto f = base::metricFamily("bankcc_cdr_projected_seq",
                                       "The last event sequence number the CDR projection "
                                       "committed (its lag: bankcc_event_log_last_committed_seq "
                                       "minus this)",
                                       prometheus::MetricType::Gauge);
           base::addSample(f, static_cast<double>(c->lastSeq()));
           computed.push_back(std::move(f));
         }
         api::Response r;
         r.contentType = std::string(base::Metrics::kContentType);
         r.body = metrics.serialize(std::move(computed));
         return r;
       },
       "Prometheus metrics"});

  api::ApiSettings apiSettings;
  apiSettings.auth = settings.auth;
  apiSettings.workers = settings.apiWorkers;
  apiSettings.allowedOrigins = settings.allowedOrigins;
  apiSettings.webRoot = settings.webRoot;
  ServerEventSink sink(**eventLog, clock);
  auto apiServer = api::ApiServer::create(apiSettings, database, clock, auditKey, &sink,
                                          std::move(extras), &metrics.registry());
  if (!apiServer.ok()) return failLogged(apiServer.error());
  sink.attach(apiServer->get());
  // Queue and agent statistics: today's events replayed, then every core event as published.
  StatsRuntime stats(database, clock, settings.timeZone);
  if (auto st = stats.start(**eventLog); !st.ok()) {
    spdlog::error("statistics: start-up replay incomplete: {}", st.error().message);
  }
  sink.attachStats(&stats);
  statsForMetrics.store(&stats);
  (*apiServer)->setStats(&stats);
  // Call detail records: the event log folded into the CDR tables every second.
  CdrRuntime cdrs(database, clock);
  cdrsForMetrics.store(&cdrs);

  api::TransportOptions httpOptions;
  httpOptions.address = settings.httpAddress;
  httpOptions.port = settings.httpPort;
  httpOptions.threads = settings.httpThreads;
  httpOptions.maxBodyBytes = settings.maxBodyBytes;
  httpOptions.readTimeout = settings.readTimeout;
  httpOptions.idleTimeout = settings.idleTimeout;
  httpOptions.tlsCertFile = settings.tlsCertFile;
  httpOptions.tlsKeyFile = settings.tlsKeyFile;
  auto http = api::Transport::start(httpOptions, **apiServer);
  if (!http.ok()) return failLogged(http.error());

  std::unique_ptr<Telephony> telephony;
  std::unique_ptr<CoreRuntime> core;
  std::unique_ptr<OrgSync> orgSync;
  if (options.seedFile && settings.telephony.sip.trunks.empty()) {
    // The demo takes calls from softphones on this machine without any configuration.
    sip::TrunkConfig local;
    local.name = "demo-local";
    local.peers = {sip::Cidr{"127.0.0.1/32"}, sip::Cidr{"::1/128"}};
    settings.telephony.sip.trunks.push_back(local);
    spdlog::info("demo: accepting SIP calls from this machine (trunk demo-local, 127.0.0.1)");
  }
  auto stopAndFail = [&](const base::Error& e) {
    (*http)->stop();
    (*apiServer)->stop();
    return failLogged(e);
  };
  if (settings.telephony.enabled) {
    auto session = (*db)->connect();
    if (!session.ok()) return stopAndFail(session.error());
    auto phones = PhoneDirectory::load(**session, *masterKey, settings.telephony.sip.realm);
    if (!phones.ok()) return stopAndFail(phones.error());
    spdlog::info("telephony: {} phones may register (realm {})", (*phones)->size(),
                 settings.telephony.sip.realm);
    auto started = Telephony::start(settings.telephony, clock, *masterKey,
                                    settings.telephony.promptsDir, std::move(phones).value());
    if (!started.ok()) return stopAndFail(started.error());
    telephony = std::move(started).value();
    telephony->registerMetrics(metrics.registry());
    telephonyForMetrics.store(telephony.get());
    (*apiServer)->setTelephony(telephony.get());

    // Call control: the core on its own thread, with the organisation loaded before the
    // first call reaches it.
    callctl::CoreOptions coreOptions;
    coreOptions.transferNumbers = settings.transferNumbers;
    coreOptions.desktopGrace = settings.desktopGrace;
    if (auto tz = base::TimeZone::load(settings.timeZone); tz.ok()) {
      coreOptions.timeZone = *tz;  // (settings checked it already)
    }
    coreOptions.outboundNumbers = settings.outboundNumbers;
    coreOptions.outboundCallerId = settings.outboundCallerId;
    coreOptions.outboundWrapUp = settings.outboundWrapUp;
    coreOptions.lineRingTimeout = settings.lineRingTimeout;
    coreOptions.lineCallerId = settings.lineCallerId;
    core = std::make_unique<CoreRuntime>(
        clock, telephony->voice(), [&sink](events::Event e) { sink.publishEvent(std::move(e)); },
        std::move(coreOptions));
    auto loaded = loadOrganisation(**session, *core);
    if (!loaded.ok()) return stopAndFail(loaded.error());
    spdlog::info("call control: {} queues and {} agents loaded ({} skipped)", loaded->queues,
                 loaded->agents, loaded->skipped);
    orgSync = std::make_unique<OrgSync>(database, *core);
    sink.attachOrgSync(orgSync.get());
    CoreRuntime* c = core.get();
    telephony->attachCallControl([c](telephony::Event e) { c->onTelephonyEvent(std::move(e)); });
    (*apiServer)->setCti(core.get());
  }

  // The one line on stdout: tests and tools read the bound addresses from it.
  std::cout << fmt::format(R"({{"event":"listening","http":"{}","tls":{}{}}})",
                           (*http)->boundAddress(), (*http)->tls(),
                           telephony ? fmt::format(R"(,"sip":"{}")", telephony->sipAddress())
                                     : std::string())
            << std::endl;
  spdlog::info("serving {} on {}", (*http)->tls() ? "HTTPS" : "HTTP", (*http)->boundAddress());

  int received = 0;
  for (;;) {
    if (sigwait(&signals, &received) != 0) continue;
    if (received == SIGHUP) {
      reload(options);
      if ((*http)->tls()) {
        if (auto st = (*http)->reloadTls(); st.ok()) {
          spdlog::info("reload: TLS certificate reloaded");
        } else {
          spdlog::error("reload: TLS certificate not reloaded: {}", st.error().message);
        }
      }
      continue;
    }
    break;
  }
  spdlog::info("received {}; stopping", received == SIGINT ? "SIGINT" : "SIGTERM");
  (*apiServer)->setTelephony(nullptr);
  (*apiServer)->setCti(nullptr);
  (*apiServer)->setStats(nullptr);
  telephonyForMetrics.store(nullptr);
  statsForMetrics.store(nullptr);
  cdrsForMetrics.store(nullptr);
  (*http)->stop();  // no handler runs any more, so nothing reads the telephony engine
  sink.attachOrgSync(nullptr);
  if (core) {
    // Calls in progress end in order (call.ended{shutdown} in the log, recordings closed)
    // while the engine still reports to the core; a few seconds at most.
    if (auto left = core->drain(std::chrono::seconds(5)); left > 0) {
      spdlog::warn("stopping with {} calls still ending", left);
    }
  }
  if (telephony) telephony->attachCallControl({});
  orgSync.reset();
  core.reset();  // the core's last events reach the log
  sink.attachStats(nullptr);
  telephony.reset();  // ends every call before the event log goes
  (*apiServer)->stop();
  (*eventLog)->append(
      events::Event{.ts = clock.now(),
                    .payload = events::SystemStopping{received == SIGINT ? "SIGINT" : "SIGTERM"}});
  (*eventLog)->stop();
  cdrs.stop();  // a last run over everything the event log flushed
  spdlog::info("stopped; event log flushed up to seq {}", (*eventLog)->lastCommittedSeq());
  spdlog::shutdown();
  return kExitOk;
}

}  // namespace bankcc::server
