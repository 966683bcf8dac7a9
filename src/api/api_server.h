// SPDX-License-Identifier: Apache-2.0
#pragma once

// The API application: the route table, authentication and sessions, CSRF and Origin checks,
// the permission check of every route (with an audit record for each denial), a worker pool
// that runs database handlers, the /api/v1/events WebSocket, and the static web UI. It
// implements HttpApplication for the Transport; the composition root (server/) owns both.
//
// Threads: handle() and upgrade() run on io threads. Requests that need the database (every
// kDatabase route, and any request whose session is not in the in-memory cache) run on one of
// `workers` worker threads, each owning its own database connection. Everything else runs
// inline on the io thread. All public methods are thread-safe.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/call.h"
#include "api/cti_service.h"
#include "api/passwords.h"
#include "api/router.h"
#include "api/stats_service.h"
#include "api/telephony_status.h"
#include "api/transport.h"
#include "base/clock.h"
#include "base/result.h"
#include "store/audit_log.h"
#include "store/database.h"

namespace bankcc::base {
class ConfigSection;
}

namespace prometheus {
class Registry;
}

namespace bankcc::api {

struct AuthSettings {
  std::chrono::seconds idleLock{15 * 60};              ///< idle time before session_locked
  std::chrono::seconds sessionLifetime{12 * 60 * 60};  ///< absolute end of a session
  int addressFailureLimit = 5;                         ///< failed logins per address in window
  std::chrono::seconds addressWindow{15 * 60};
  int accountFailureLimit = 10;  ///< failures (from anywhere) that lock an account
  std::chrono::seconds accountLockFor{30 * 60};
  PasswordPolicy passwordPolicy;
  int maxConcurrentHashes = 2;  ///< argon2id runs at once (each ~64 MiB)
  HashStrength hashStrength = HashStrength::Interactive;
  /// A cached session is re-read from the database at most this often, so a logout or a
  /// disabled user on another node takes effect within it.
  std::chrono::seconds sessionRecheck{5};
  /// Activity is written to the database at most this often per session.
  std::chrono::seconds activityWrite{30};
};

struct ApiSettings {
  AuthSettings auth;
  int workers = 4;                       ///< database worker threads
  std::size_t maxQueuedRequests = 4096;  ///< beyond: 503 unavailable
  /// Origins allowed to open the WebSocket with a cookie besides the request's own
  /// ("https://cc.bank.example"). Same origin (Origin matches Host) is always allowed.
  std::vector<std::string> allowedOrigins;
  std::filesystem::path webRoot;  ///< static files (web/dist); empty: none
  std::chrono::seconds wsHeartbeat{20};
  std::chrono::seconds wsAuthTimeout{10};
};

/// Reads the [auth] section (idle_lock, session_lifetime, address_failure_limit, address_window,
/// account_failure_limit, account_lock, password_min_length, password_min_classes,
/// password_history, password_max_age_days, max_concurrent_hashes, session_recheck,
/// activity_write). Errors: BadRequest naming file, line and key.
base::Result<AuthSettings> parseAuthSettings(base::ConfigSection& section);

/// Operational routes the composition root adds (health, readiness, metrics): public, inline.
struct ExtraRoute {
  std::string path;
  std::function<Response(const Request&)> handler;
  std::string summary;
};

class ApiServer final : public HttpApplication {
 public:
  /// Builds the route table (auth, org data, audit, events, extras) and starts the workers.
  /// `database`, `clock`, `auditKey` and `events` (may be null) must outlive the server.
  static base::Result<std::unique_ptr<ApiServer>> create(
      const ApiSettings& settings, const store::Database& database, const base::Clock& clock,
      const store::AuditKey& auditKey, EventSink* events, std::vector<ExtraRoute> extras,
      prometheus::Registry* metrics);
  ~ApiServer() override;  ///< stop()s

  void handle(Request request, std::function<void(Response)> done) override;
  std::variant<Response, WsAccept> upgrade(const Request& request) override;

  /// Sends a domain event (already JSON) to WebSocket clients subscribed to `topic` (topic
  /// "agent": only to clients logged in as agent `agentNo`).
  void publish(std::string_view topic, std::string json, std::string_view agentNo = {},
               std::uint64_t epoch = 0, std::uint64_t seq = 0);
  /// Stops the workers (queued requests get 503) and the heartbeat. Idempotent.
  void stop();
  /// The telephony engine whose state the API reports, or nullptr (503 on its routes). Set it
  /// back to nullptr before `status` goes away. Thread-safe.
  void setTelephony(const TelephonyStatus* status);
  /// The call-control core the CTI routes talk to, or nullptr (503 on those routes). Set it
  /// back to nullptr before `cti` goes away. Thread-safe.
  void setCti(CtiService* cti);
  /// The live statistics the stats routes read, or nullptr (503 on those routes). Set it back
  /// to nullptr before `stats` goes away. Thread-safe.
  void setStats(StatsService* stats);

  const Router& router() const;

  struct Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The route table alone (no database, no threads): for docs/permissions.md, the OpenAPI check
/// and the route-by-role test. Handlers in it must not be called.
Router describeRoutes();

}  // namespace bankcc::api
