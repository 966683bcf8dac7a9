// SPDX-License-Identifier: Apache-2.0
#pragma once

// The route table: method, path pattern, the one permission a caller needs, and the handler.
// Patterns are literal segments and `{name}` parameters ("/api/v1/queues/{code}"); a literal
// segment wins over a parameter at the same position. The table is built once at start and
// then only read.
// Threads: add() before serving; match() and routes() from any thread afterwards.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "api/http.h"
#include "api/permissions.h"

namespace bankcc::api {

class Call;
using Handler = std::function<Response(Call&)>;
/// A handler that answers later, for routes that wait for another thread (the call-control
/// core). It must call `respond` exactly once, from any thread; the Call is valid only until
/// it returns, so it copies what `respond` needs. Never with kDatabase.
using AsyncHandler = std::function<void(Call&, std::function<void(Response)> respond)>;

/// What a route needs besides its permission.
enum RouteFlag : unsigned {
  kNoFlags = 0,
  /// Runs on a worker thread with a database session (Call::db()); otherwise on the io thread,
  /// so it must not block.
  kDatabase = 1u << 0,
  /// Reachable while the session is idle-locked (unlock, logout, session info).
  kAllowLocked = 1u << 1,
  /// Reachable while the user must change the password or the password expired.
  kAllowPasswordChange = 1u << 2,
  /// Does not count as user activity for the idle lock.
  kNotActivity = 1u << 3,
  /// Hashes a password (~60 ms of CPU and 64 MiB each): runs on the password pool (as many
  /// threads as concurrent hashes allowed), so that a login storm at shift start cannot starve
  /// other requests. Implies kDatabase.
  kPasswordWork = 1u << 4,
  /// A short read (one object, one page) that writes nothing. On SQLite it runs on the io
  /// thread with that thread's own connection, which saves two thread hand-offs (a third of
  /// the cost of a small GET); WAL readers do not wait for writers. On PostgreSQL it runs on a
  /// worker like any kDatabase route. Implies kDatabase.
  kQuickRead = 1u << 5,
};

struct Route {
  std::string method;   ///< "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string pattern;  ///< "/api/v1/queues/{code}"
  Permission permission = Permission::Authenticated;
  unsigned flags = kNoFlags;
  Handler handler;      ///< unset when asyncHandler is set
  std::string summary;  ///< one line, for logs and docs
  AsyncHandler asyncHandler{};
};

using PathParams = std::vector<std::pair<std::string, std::string>>;

struct RouteMatch {
  const Route* route = nullptr;
  PathParams params;  ///< percent-decoded values, in pattern order
};

/// Why nothing matched.
struct NoRoute {
  int status = 404;   ///< 404: no pattern matches the path; 405: the path matches other methods
  std::string allow;  ///< for 405: "GET, PUT"
};

class Router {
 public:
  /// Adds a route. A duplicate (method, pattern) or a malformed pattern is a programming error
  /// (BANKCC_RELEASE_ASSERT).
  void add(Route route);
  /// Finds the route for `method` and `path` (not percent-decoded; a parameter value that does
  /// not decode, or decodes to something containing '/' or NUL, does not match). HEAD matches
  /// GET routes.
  std::variant<RouteMatch, NoRoute> match(std::string_view method, std::string_view path) const;
  /// In insertion order.
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  // Implementation detail of match(): split patterns, kept parallel to routes_.
  std::vector<std::vector<std::string>> segments_;
};

/// Decodes %XX escapes ('+' stays '+'). nullopt-like empty result is signalled by `ok=false`.
bool percentDecode(std::string_view in, std::string& out);

}  // namespace bankcc::api
