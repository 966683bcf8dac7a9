// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading the CDR projection's tables (migrations 0007 and 0008; written by cdr_projector.h):
// the CDR search behind GET /api/v1/cdrs, one CDR by call id, and agent state intervals.
// Each read may be limited to teams (TeamScope, decision 0028): the filter is part of the SQL,
// so that limits and cursors count only what the caller may see.
//
// Threads: plain functions on the caller's session (the caller's thread owns it).
// Errors: ValidationFailed "limit: …" (outside 1..500), BadRequest (a cursor that is not ours
// or was made for another list), Unavailable / Io from the database. Every value is bound.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "reports/cdr.h"
#include "store/org_common.h"

namespace soci {
class session;
}

namespace bankcc::reports {

/// The teams whose calls and agents a read may return (decision 0028): nullopt = every row; a
/// list of team codes = only rows of agents whose team (agents.team as it is now, not at call
/// time) is one of them; an empty list = nothing. A call belongs to the agents who answered it
/// (any agent segment) or placed it (origin agent), as for CdrQuery::agent; a call nobody
/// answered or placed (abandoned in a queue) belongs to no team.
using TeamScope = std::optional<std::vector<std::string>>;

struct CdrQuery {
  base::SysTime from{};  ///< arrived_at >= from
  base::SysTime to{};    ///< arrived_at < to
  /// An agent who answered the call (any agent segment) or placed it (origin agent: a call
  /// they made, answered or not, or a consult they started); agent number, "" = any.
  std::string agent{};
  std::string queue{};        ///< a queue the call waited in or was refused by; "" = any
  std::string caller{};       ///< the ANI; "" = any
  bool callerPrefix = false;  ///< `caller` is a prefix, not the whole number
  std::string direction{};    ///< "inbound", "outbound" or "internal"; "" = any
  int limit = store::kDefaultPageLimit;
  std::string cursor{};  ///< "" or a Page::nextCursor of the same query
  TeamScope teams{};     ///< see TeamScope; combines with the filters above (AND)
};

/// CDRs matching `query`, newest first (arrived_at, then call id, descending), each with its
/// segments.
base::Result<store::Page<Cdr>> listCdrs(soci::session& session, const CdrQuery& query);

/// The CDR of `callId` with its segments; nullopt when there is none (yet: a call in progress
/// has no CDR) or when it lies outside `teams`.
base::Result<std::optional<Cdr>> findCdr(soci::session& session, const std::string& callId,
                                         const TeamScope& teams = std::nullopt);

struct IntervalQuery {
  base::SysTime from{};  ///< started_at >= from
  base::SysTime to{};    ///< started_at < to
  std::string agent{};   ///< "" = every agent
  int limit = store::kDefaultPageLimit;
  std::string cursor{};
  TeamScope teams{};  ///< only intervals of agents of these teams; see TeamScope
};

/// Agent state intervals matching `query`, in time order (started_at, agent, start seq).
base::Result<store::Page<AgentStateInterval>> listAgentStateIntervals(soci::session& session,
                                                                      const IntervalQuery& query);

}  // namespace bankcc::reports
