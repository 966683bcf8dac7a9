// SPDX-License-Identifier: Apache-2.0
#include "api/api_server.h"

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "api/api_cdr_routes.h"
#include "api/api_cti_routes.h"
#include "api/api_stats_routes.h"
#include "api/audit_routes.h"
#include "api/auth_service.h"
#include "api/event_hub.h"
#include "api/json_io.h"
#include "api/openapi.h"
#include "api/org_routes.h"
#include "api/static_files.h"
#include "base/ids.h"
#include "base/log.h"

namespace bankcc::api {

using json = nlohmann::json;

namespace {

/// Set by a job on a worker when its database connection failed (the request answered 503), so
/// that the worker opens a fresh one before its next job.
thread_local bool tl_connectionFailed = false;

/// An io thread's own SQLite connection for kQuickRead routes, tagged with the ApiServer that
/// opened it (a test process runs several servers, one after another, on different files).
struct QuickReadConnection {
  std::uint64_t server = 0;
  std::unique_ptr<soci::session> session;
};
thread_local QuickReadConnection tl_quickRead;
std::atomic<std::uint64_t> g_serverSerial{0};
/// How often locked agent sessions are looked for (not_ready{session_locked} follows within it).
constexpr std::chrono::seconds kLockSweepInterval{5};

/// Threads that run blocking work, each with its own database connection (opened on first use
/// and again after a failure). A bounded queue: beyond it, work is refused.
class WorkerPool {
 public:
  /// A job gets the worker's session, or null when the database cannot be reached.
  using Job = std::function<void(soci::session*)>;

  WorkerPool(const store::Database& database, int threads, std::size_t maxQueued)
      : database_(database), maxQueued_(maxQueued) {
    for (int i = 0; i < std::max(1, threads); ++i) {
      threads_.emplace_back([this, i] {
        base::setThreadName(fmt::format("api-worker-{}", i));
        run();
      });
    }
  }
  ~WorkerPool() { stop(); }

  /// False when the queue is full or the pool stopped.
  bool post(Job job) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || queue_.size() >= maxQueued_) return false;
      queue_.push_back(std::move(job));
    }
    ready_.notify_one();
    return true;
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void run() {
    std::unique_ptr<soci::session> session;
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and drained
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      if (!session) {
        auto connected = database_.connect();
        if (connected.ok()) {
          session = std::move(*connected);
        } else {
          spdlog::warn("api worker: no database connection: {}", connected.error().message);
        }
      }
      tl_connectionFailed = false;
      job(session.get());
      if (tl_connectionFailed) session.reset();
    }
  }

  const store::Database& database_;
  const std::size_t maxQueued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

const Route& eventsRoute() {
  static const Route route{
      "GET",
      "/api/v1/events",
      Permission::EventsSubscribe,
      kNotActivity | kAllowPasswordChange,
      [](Call&) { return errorResponse(400, "bad_request", "use a WebSocket upgrade"); },
      "Live events over WebSocket (see docs/asyncapi.yaml)"};
  return route;
}

Response unavailable() {
  auto r = errorResponse(503, "unavailable", "the server is busy or its database is down");
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

/// GET /api/v1/phones/registrations: the phones registered with this node (inline, no
/// database: the registrar's table is in memory).
Route registrationsRoute(const std::atomic<const TelephonyStatus*>* telephony) {
  return {"GET",
          "/api/v1/phones/registrations",
          Permission::AgentsRead,
          kNoFlags,
          [telephony](Call&) {
            const TelephonyStatus* status = telephony->load();
            if (status == nullptr) {
              return errorResponse(503, "unavailable", "telephony is not running on this node");
            }
            nlohmann::json items = nlohmann::json::array();
            for (const auto& r : status->registrations()) {
              items.push_back({{"extension", r.extension},
                               {"contacts", r.contacts},
                               {"expires_at", formatTimestamp(r.expires)}});
            }
            return jsonResponse(200, dumpJson(nlohmann::json{{"items", std::move(items)}}));
          },
          "Agent phones registered with this node"};
}

/// Adds every route the API serves besides the operational extras.
void registerApiRoutes(Router& router, AuthService& auth, const store::AuditKey& key,
                       const std::atomic<const TelephonyStatus*>* telephony,
                       const std::atomic<CtiService*>* cti) {
  registerAuthRoutes(router, auth);
  registerCtiRoutes(router, cti);
  registerCdrRoutes(router);
  registerOrgRoutes(router);
  registerAuditRoutes(router, key);
  router.add(registrationsRoute(telephony));
  router.add(eventsRoute());
  router.add({"GET", "/api/v1/openapi.json", Permission::Public, kNoFlags,
              [](Call&) { return jsonResponse(200, std::string(openApiDocument())); },
              "This API's OpenAPI 3.1 description"});
}

}  // namespace

struct ApiServer::Impl {
  ApiSettings settings;
  const store::Database& database;
  const base::Clock& clock;
  const store::AuditKey& auditKey;
  EventSink* events;
  Router router;
  std::unique_ptr<AuthService> auth;
  std::unique_ptr<EventHub> hub;
  std::optional<StaticFiles> staticFiles;
  CallServices services;
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<WorkerPool> passwordWorkers;  // kPasswordWork routes
  std::atomic<const TelephonyStatus*> telephony{nullptr};
  std::atomic<CtiService*> cti{nullptr};
  std::atomic<StatsService*> stats{nullptr};
  const std::uint64_t serial = ++g_serverSerial;
  const bool quickReadsInline;
  // Tells the core about agents whose web session locked (not_ready{session_locked}).
  std::thread lockSweeper;
  std::mutex sweepMutex;
  std::condition_variable sweepWake;
  bool sweepStop = false;

  void sweepLocks() {
    std::unique_lock lock(sweepMutex);
    while (!sweepStop) {
      sweepWake.wait_for(lock, kLockSweepInterval);
      if (sweepStop) break;
      lock.unlock();
      if (CtiService* core = cti.load()) {
        for (auto& agentNo : auth->newlyLockedAgents(clock.now())) {
          core->sessionLocked(std::move(agentNo));
        }
      }
      lock.lock();
    }
  }

  Impl(const ApiSettings& s, const store::Database& db, const base::Clock& c,
       const store::AuditKey& k, EventSink* e)
      : settings(s),
        database(db),
        clock(c),
        auditKey(k),
        events(e),
        quickReadsInline(db.backend() == store::Backend::Sqlite) {}

  /// This io thread's connection for quick reads, opened on first use; null when the database
  /// cannot be opened (the request is answered 503 and the next one tries again).
  soci::session* quickReadSession() {
    if (tl_quickRead.server != serial || !tl_quickRead.session) {
      tl_quickRead.session.reset();
      auto connected = database.connect();
      if (!connected.ok()) {
        spdlog::warn("api io thread: no database connection: {}", connected.error().message);
        return nullptr;
      }
      tl_quickRead = {serial, std::move(*connected)};
    }
    return tl_quickRead.session.get();
  }

  /// Runs a kQuickRead route on this thread (see RouteFlag); true when it did.
  bool runQuickRead(const Request& request, const RouteMatch& match, const Principal* principal,
                    const std::string& requestId, const std::function<void(Response)>& done) {
    if (!quickReadsInline || !(match.route->flags & kQuickRead)) return false;
    soci::session* db = quickReadSession();
    if (db == nullptr) {
      done(unavailable());
      return true;
    }
    tl_connectionFailed = false;
    done(run(request, match, principal, db, requestId));
    if (tl_connectionFailed) tl_quickRead.session.reset();
    return true;
  }

  /// Runs the route's handler and adds the request id; publishes the handler's events when it
  /// succeeded.
  /// Runs an async route (Route::asyncHandler) on this thread; `done` gets its answer,
  /// exactly once, from whichever thread answers.
  void runAsync(const Request& request, const RouteMatch& match, const Principal* principal,
                const std::string& requestId, const std::function<void(Response)>& done) {
    Call call(request, *match.route, match.params, principal, nullptr, services, requestId);
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto respond = [done, requestId, answered](Response response) {
      if (answered->exchange(true)) return;  // a second answer is a handler bug: dropped
      response.headers.emplace_back("X-Request-Id", requestId);
      done(std::move(response));
    };
    try {
      match.route->asyncHandler(call, respond);
    } catch (const std::exception& e) {
      spdlog::error("request {} {} {} failed: {}", requestId, request.method, request.path,
                    e.what());
      respond(errorResponse(500, "internal", "internal error; see the server log"));
    }
  }

  Response run(const Request& request, const RouteMatch& match, const Principal* principal,
               soci::session* db, const std::string& requestId) {
    Call call(request, *match.route, match.params, principal, db, services, requestId);
    Response response;
    try {
      response = match.route->handler(call);
    } catch (const std::exception& e) {
      spdlog::error("request {} {} {} failed: {}", requestId, request.method, request.path,
                    e.what());
      response = errorResponse(500, "internal", "internal error; see the server log");
    }
    if (response.status >= 200 && response.status < 300) {
      for (auto& payload : call.takeEvents()) {
        if (const auto* changed = std::get_if<events::ConfigChanged>(&payload);
            changed != nullptr && changed->kind == "user") {
          auth->forgetUsername(changed->code);  // roles or state changed: reload at once
        }
        if (events != nullptr) events->publish(std::move(payload));
      }
    } else if (response.status >= 500) {
      if (response.status == 503 && db != nullptr) tl_connectionFailed = true;
      spdlog::error("request {} {} {} answered {}", requestId, request.method, request.path,
                    response.status);
    }
    response.headers.emplace_back("X-Request-Id", requestId);
    return response;
  }

  void onWorker(const Route& route, std::function<void(soci::session*)> job,
                const std::function<void(Response)>& done) {
    auto& pool = (route.flags & kPasswordWork) ? passwordWorkers : workers;
    if (!pool->post(std::move(job))) done(unavailable());
  }
};

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() {
  stop();
}

base::Result<std::unique_ptr<ApiServer>> ApiServer::create(
    const ApiSettings& settings, const store::Database& database, const base::Clock& clock,
    const store::AuditKey& auditKey, EventSink* events, std::vector<ExtraRoute> extras,
    prometheus::Registry* /*metrics*/) {
  auto impl = std::make_unique<Impl>(settings, database, clock, auditKey, events);
  if (!settings.webRoot.empty()) {
    auto files = StaticFiles::open(settings.webRoot);
    if (!files.ok()) return std::move(files).error();
    impl->staticFiles = std::move(*files);
  }
  impl->auth = std::make_unique<AuthService>(settings.auth, clock, auditKey);
  impl->services.clock = &clock;
  impl->services.auditKey = &auditKey;
  impl->services.events = events;
  impl->services.hasher = &impl->auth->hasher();
  impl->services.passwordPolicy = &impl->auth->settings().passwordPolicy;
  impl->services.cti = &impl->cti;
  registerApiRoutes(impl->router, *impl->auth, auditKey, &impl->telephony, &impl->cti);
  registerStatsRoutes(impl->router, &impl->stats);
  for (auto& extra : extras) {
    impl->router.add({"GET", extra.path, Permission::Public, kNoFlags,
                      [h = std::move(extra.handler)](Call& call) { return h(call.request()); },
                      extra.summary});
  }
  impl->workers =
      std::make_unique<WorkerPool>(database, settings.workers, settings.maxQueuedRequests);
  impl->passwordWorkers = std::make_unique<WorkerPool>(database, settings.auth.maxConcurrentHashes,
                                                       settings.maxQueuedRequests);
  impl->services.runOnWorker = [workers = impl->workers.get()](WorkerPool::Job job) {
    return workers->post(std::move(job));
  };
  Impl* raw = impl.get();
  impl->hub = std::make_unique<EventHub>(
      [raw](std::string token, std::function<void(std::shared_ptr<const Principal>)> done) {
        auto job = [raw, token = std::move(token), done](soci::session* db) {
          if (db == nullptr) return done(nullptr);
          Request synthetic;
          synthetic.method = "GET";
          synthetic.path = "/api/v1/events";
          synthetic.headers.emplace_back("authorization", "Bearer " + token);
          auto decision =
              raw->auth->authenticate(*db, synthetic, eventsRoute(), base::newUuidV7(raw->clock));
          done(decision.principal);
        };
        if (!raw->workers->post(std::move(job))) done(nullptr);
      },
      clock, settings.wsHeartbeat, settings.wsAuthTimeout);
  raw->hub->setSnapshotSource([raw](std::function<void(EventHub::Snapshot)> done) {
    CtiService* core = raw->cti.load();
    if (core == nullptr) {
      return done(EventHub::Snapshot{json::array(), json::array(), false});
    }
    core->snapshot([done = std::move(done)](std::vector<callctl::CallView> calls,
                                            std::vector<callctl::AgentView> agents) {
      EventHub::Snapshot snapshot{json::array(), json::array(), true};
      for (const auto& c : calls) snapshot.calls.push_back(callViewJson(c));
      for (const auto& a : agents) snapshot.agents.push_back(agentViewJson(a));
      done(std::move(snapshot));
    });
  });
  raw->auth->onSessionEnded = [raw](const std::string& sessionId) {
    raw->hub->closeSession(sessionId);
  };
  raw->hub->setPresenceListener([raw](const std::string& agentNo, bool attached) {
    if (CtiService* core = raw->cti.load()) core->desktopPresence(agentNo, attached);
  });
  raw->lockSweeper = std::thread([raw] { raw->sweepLocks(); });
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

void ApiServer::handle(Request request, std::function<void(Response)> done) {
  Impl& s = *impl_;
  auto matched = s.router.match(request.method, request.path);
  if (auto* none = std::get_if<NoRoute>(&matched)) {
    if (s.staticFiles && request.path.rfind("/api/", 0) != 0 &&
        (request.method == "GET" || request.method == "HEAD")) {
      if (auto file = s.staticFiles->serve(request)) return done(std::move(*file));
    }
    if (none->status == 405) {
      auto r = errorResponse(405, "bad_request", "method not allowed on this path");
      r.headers.emplace_back("Allow", none->allow);
      return done(std::move(r));
    }
    return done(errorResponse(404, "not_found", "no such path"));
  }
  auto match = std::get<RouteMatch>(std::move(matched));
  const Route& route = *match.route;
  std::string requestId = base::newUuidV7(s.clock);

  if (route.permission == Permission::Public) {
    if (route.asyncHandler) return s.runAsync(request, match, nullptr, requestId, done);
    if (!(route.flags & (kDatabase | kPasswordWork))) {
      return done(s.run(request, match, nullptr, nullptr, requestId));
    }
    if (s.runQuickRead(request, match, nullptr, requestId, done)) return;
    auto shared = std::make_shared<Request>(std::move(request));
    return s.onWorker(
        route,
        [&s, shared, match = std::move(match), requestId, done](soci::session* db) {
          if (db == nullptr) return done(unavailable());
          done(s.run(*shared, match, nullptr, db, requestId));
        },
        done);
  }

  if (auto decision = s.auth->authenticateCached(request, route)) {
    if (decision->refusal) return done(std::move(*decision->refusal));
    auto principal = std::move(decision->principal);
    if (decision->activityDue && !s.workers->post([&s, principal](soci::session* db) {
          s.auth->flushActivity(db, *principal);
        })) {
      s.auth->flushActivity(nullptr, *principal);  // queue full: a later request asks again
    }
    if (route.asyncHandler) return s.runAsync(request, match, principal.get(), requestId, done);
    if (!(route.flags & (kDatabase | kPasswordWork))) {
      return done(s.run(request, match, principal.get(), nullptr, requestId));
    }
    if (s.runQuickRead(request, match, principal.get(), requestId, done)) return;
    auto shared = std::make_shared<Request>(std::move(request));
    return s.onWorker(
        route,
        [&s, shared, principal, match = std::move(match), requestId, done](soci::session* db) {
          if (db == nullptr) return done(unavailable());
          done(s.run(*shared, match, principal.get(), db, requestId));
        },
        done);
  }

  // Not cached, due for a re-check, or a refusal to audit: all of it on a worker.
  auto shared = std::make_shared<Request>(std::move(request));
  s.onWorker(
      route,
      [&s, shared, match = std::move(match), requestId, done](soci::session* db) {
        if (db == nullptr) return done(unavailable());
        auto decision = s.auth->authenticate(*db, *shared, *match.route, requestId);
        if (decision.refusal) return done(std::move(*decision.refusal));
        s.auth->flushActivity(db, *decision.principal);
        if (match.route->asyncHandler) {
          return s.runAsync(*shared, match, decision.principal.get(), requestId, done);
        }
        done(s.run(*shared, match, decision.principal.get(), db, requestId));
      },
      done);
}

std::variant<Response, WsAccept> ApiServer::upgrade(const Request& request) {
  Impl& s = *impl_;
  if (request.path != "/api/v1/events") return errorResponse(404, "not_found", "no such path");
  auto origin = request.header("origin");
  auto cookieToken = request.cookie(kSessionCookie);
  if (!origin.empty()) {
    const auto host = request.header("host");
    const std::string self = fmt::format("{}://{}", request.secure ? "https" : "http", host);
    const bool allowed = origin == self || std::find(s.settings.allowedOrigins.begin(),
                                                     s.settings.allowedOrigins.end(),
                                                     origin) != s.settings.allowedOrigins.end();
    if (!allowed) return errorResponse(403, "forbidden", "origin not allowed");
  } else if (!cookieToken.empty()) {
    // A browser always sends Origin; a cookie without one is not a browser we can trust.
    return errorResponse(403, "forbidden", "a cookie-authenticated WebSocket needs Origin");
  }
  std::shared_ptr<const Principal> principal;
  std::optional<std::string> pending;
  if (!cookieToken.empty()) {
    Request probe;
    probe.method = "GET";
    probe.path = request.path;
    probe.headers.emplace_back("cookie",
                               std::string(kSessionCookie) + "=" + std::string(cookieToken));
    if (auto decision = s.auth->authenticateCached(probe, eventsRoute())) {
      if (decision->refusal) return std::move(*decision->refusal);
      principal = decision->principal;
    } else {
      pending = std::string(cookieToken);
    }
  }
  EventHub* hub = s.hub.get();
  return WsAccept{[hub, principal, pending](std::shared_ptr<WsConnection> connection) {
    return hub->open(std::move(connection), principal, pending);
  }};
}

void ApiServer::publish(std::string_view topic, std::string json, std::string_view agentNo,
                        std::uint64_t epoch, std::uint64_t seq) {
  impl_->hub->publish(topic, json, agentNo, epoch, seq);
}

void ApiServer::stop() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->sweepMutex);
    impl_->sweepStop = true;
  }
  impl_->sweepWake.notify_all();
  if (impl_->lockSweeper.joinable()) impl_->lockSweeper.join();
  impl_->hub->stop();
  impl_->workers->stop();
  impl_->passwordWorkers->stop();
}

void ApiServer::setTelephony(const TelephonyStatus* status) {
  impl_->telephony.store(status);
}

void ApiServer::setCti(CtiService* cti) {
  impl_->cti.store(cti);
}

void ApiServer::setStats(StatsService* stats) {
  impl_->stats.store(stats);
}

const Router& ApiServer::router() const {
  return impl_->router;
}

Router describeRoutes() {
  // The handlers are never called: the services only have to exist.
  static const base::RealClock clock;
  static const store::AuditKey key{};
  static AuthSettings settings = [] {
    AuthSettings a;
    a.hashStrength = HashStrength::Minimal;
    a.maxConcurrentHashes = 1;
    return a;
  }();
  static AuthService auth(settings, clock, key);
  static const std::atomic<const TelephonyStatus*> noTelephony{nullptr};
  static const std::atomic<CtiService*> noCti{nullptr};
  Router router;
  registerApiRoutes(router, auth, key, &noTelephony, &noCti);
  static const std::atomic<StatsService*> noStats{nullptr};
  registerStatsRoutes(router, &noStats);
  for (const auto* path : {"/healthz", "/readyz", "/metrics"}) {
    router.add({"GET", path, Permission::Public, kNoFlags,
                [](Call&) { return errorResponse(500, "internal", "not served here"); },
                "Operational endpoint"});
  }
  return router;
}

}  // namespace bankcc::api
