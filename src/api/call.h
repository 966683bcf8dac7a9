// SPDX-License-Identifier: Apache-2.0
#pragma once

// What a handler sees of one request: the request, the path and query parameters, the caller
// (Principal), a database session for kDatabase routes, the clock, and helpers to write the
// audit record of the change it makes and to publish the domain events that follow it.
// Threads: one Call lives on the thread that runs its handler.

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "api/passwords.h"
#include "api/permissions.h"
#include "api/router.h"
#include "base/clock.h"
#include "base/result.h"
#include "events/event.h"
#include "store/audit_log.h"

namespace soci {
class session;
}

namespace bankcc::api {

/// The authenticated caller.
struct Principal {
  std::int64_t userId = 0;
  std::string username;
  std::string displayName;
  std::vector<std::string> roles;  ///< sorted role codes
  PermissionSet permissions;
  /// Codes of the teams this user supervises (for supervisor-scoped permissions), sorted.
  std::vector<std::string> supervisedTeams;
  std::string agentNo;     ///< the agent number when this user acts as an agent, else ""
  std::string sessionId;   ///< the session's UUIDv7
  bool viaCookie = false;  ///< authenticated by cookie (browser) rather than a bearer token

  bool has(Permission p) const { return permissions.test(static_cast<std::size_t>(p)); }
  bool hasRole(std::string_view role) const;
  /// True for admins, and for supervisors of `teamCode`.
  bool actsOnTeam(std::string_view teamCode) const;
};

/// Where a handler's domain events go after its transaction commits (the event log and the
/// WebSocket hub). Implemented by the composition root; tests may record.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void publish(events::Payload payload) = 0;
};

/// Long-lived services handlers share.
class CtiService;

struct CallServices {
  const base::Clock* clock = nullptr;
  const store::AuditKey* auditKey = nullptr;
  EventSink* events = nullptr;  ///< may be null (tools, some tests)
  PasswordHasher* hasher = nullptr;
  const PasswordPolicy* passwordPolicy = nullptr;
  /// Runs `job` on a database worker (null session: the database cannot be reached). False
  /// when the queue is full or the server stops. For async routes that must write (the audit
  /// record of a CTI intervention); unset in tools and some tests.
  std::function<bool(std::function<void(soci::session*)> job)> runOnWorker;
  /// The call-control core, when one runs (null pointer or null value: none): organisation
  /// changes are checked with it before they commit (decision 0023).
  const std::atomic<CtiService*>* cti = nullptr;
};

/// Parsed query string: keys and percent-decoded values in order ('+' means space).
struct QueryParams {
  std::vector<std::pair<std::string, std::string>> items;
  bool malformed = false;  ///< a bad %XX escape somewhere

  /// The first value of `key`, or nullopt.
  std::optional<std::string_view> get(std::string_view key) const;
  static QueryParams parse(std::string_view query);
};

class Call {
 public:
  /// `principal` is null on Public routes; `db` is null unless the route has kDatabase.
  Call(const Request& request, const Route& route, PathParams params, const Principal* principal,
       soci::session* db, const CallServices& services, std::string requestId);

  const Request& request() const { return request_; }
  const Route& route() const { return route_; }
  bool authenticated() const { return principal_ != nullptr; }
  /// The caller; a BUG on a Public route.
  const Principal& principal() const;
  /// A path parameter (percent-decoded); a BUG when the pattern has no such name.
  const std::string& param(std::string_view name) const;
  const QueryParams& query() const { return query_; }
  /// The database session of this worker thread; a BUG unless the route has kDatabase.
  soci::session& db();
  const base::Clock& clock() const { return *services_.clock; }
  const CallServices& services() const { return services_; }
  /// The request's UUIDv7 (also in the X-Request-Id response header and the logs).
  const std::string& requestId() const { return requestId_; }

  /// Appends an audit record on db() (joining the open transaction, so the change and its
  /// record commit together). Actor, source address, request id and time are filled in.
  /// `details` must be a JSON object and must never hold passwords or tokens.
  base::Status audit(std::string_view action, std::string_view targetType,
                     std::string_view targetId, const nlohmann::json& details,
                     std::string_view outcome = "success");
  /// Queues a domain event; sent to the EventSink when the handler returns a 2xx response
  /// (that is, after its transaction committed).
  void publishAfterCommit(events::Payload payload);
  std::vector<events::Payload> takeEvents() { return std::move(pending_); }

 private:
  const Request& request_;
  const Route& route_;
  PathParams params_;
  const Principal* principal_;
  soci::session* db_;
  const CallServices& services_;
  std::string requestId_;
  QueryParams query_;
  std::vector<events::Payload> pending_;
};

}  // namespace bankcc::api
