// SPDX-License-Identifier: Apache-2.0
// Call detail records and agent state intervals, read from the CDR projection's tables
// (reports/cdr_query.h). The tables trail the event log by about a second (server/
// cdr_runtime.h): a call appears once it ended and its agents finished wrap-up.
//
// Time range: `from` and `to` (RFC 3339, any offset) select on the call's arrival (intervals:
// their start), from inclusive, to exclusive. `to` defaults to now and `from` to 24 hours before
// `to`; a range must be positive and at most 31 days, so that one request never scans months.
// Other CDR filters: agent (answered or placed the call), queue, caller, direction (inbound,
// outbound, internal; decision 0020).
//
// Who sees which rows (decision 0028): qa, auditors and admins everything; a supervisor only the
// calls an agent of their teams answered or placed and only their agents' intervals, filtered in
// the query so that limits and cursors hold. Filters narrow that set: an agent outside the teams
// gives an empty list (not 403), a CDR outside them is 404 like one that does not exist.

#include "api/api_cdr_routes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "api/call.h"
#include "api/json_io.h"
#include "reports/cdr_query.h"

namespace bankcc::api {

namespace {

using json = nlohmann::json;

constexpr auto kDefaultRange = std::chrono::hours(24);
constexpr auto kMaxRange = std::chrono::hours(24 * 31);
constexpr std::size_t kMaxFilterBytes = 64;

json textOrNull(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

json timeOrNull(const std::optional<base::SysTime>& t) {
  return t ? json(formatTimestamp(*t)) : json(nullptr);
}

json cdrJson(const reports::Cdr& c) {
  json segments = json::array();
  for (const auto& s : c.segments) {
    segments.push_back({{"kind", s.kind},
                        {"queue", textOrNull(s.queue)},
                        {"agent_no", textOrNull(s.agentNo)},
                        {"started_at", formatTimestamp(s.startedAt)},
                        {"ended_at", timeOrNull(s.endedAt)},
                        {"detail", textOrNull(s.detail)}});
  }
  return json{{"call_id", c.callId},
              {"parent_call_id", textOrNull(c.parentCallId)},
              {"direction", c.direction},
              {"origin_agent", textOrNull(c.originAgent)},
              {"ani", c.ani},
              {"dnis", c.dnis},
              {"trunk", textOrNull(c.trunk)},
              {"arrived_at", formatTimestamp(c.arrivedAt)},
              {"answered_at", timeOrNull(c.answeredAt)},
              {"ended_at", formatTimestamp(c.endedAt)},
              {"end_cause", c.endCause},
              {"hung_up_by", c.hungUpBy},
              {"outcome", c.outcome},
              {"first_queue", textOrNull(c.firstQueue)},
              {"answering_queue", textOrNull(c.answeringQueue)},
              {"answered_by", textOrNull(c.answeredBy)},
              {"agents", c.agents},
              {"wait_ms", c.waitMs},
              {"talk_ms", c.talkMs},
              {"hold_ms", c.holdMs},
              {"wrap_up_ms", c.wrapUpMs},
              {"transfers", c.transfers},
              {"recording_id", textOrNull(c.recordingId)},
              {"recording_ids", c.recordingIds},
              {"tier", textOrNull(c.tier)},
              {"segments", std::move(segments)}};
}

json intervalJson(const reports::AgentStateInterval& i) {
  return json{{"agent_no", i.agentNo},
              {"state", i.state},
              {"reason", textOrNull(i.reason)},
              {"started_at", formatTimestamp(i.startedAt)},
              {"ended_at", formatTimestamp(i.endedAt)},
              {"duration_ms", i.durationMs},
              {"call_id", textOrNull(i.callId)},
              {"end_cause", textOrNull(i.endCause)}};
}

/// What `p` may read (decision 0028). Roles that read every row are named; any other holder of
/// cdrs.read (today: supervisor) reads only their teams', so a role added later starts narrow.
reports::TeamScope readScope(const Principal& p) {
  for (std::string_view role : {"admin", "auditor", "qa"}) {
    if (p.hasRole(role)) return std::nullopt;
  }
  return p.supervisedTeams;
}

/// Collects the problems of one query string, so that one 422 names them all.
class Filters {
 public:
  Filters(const QueryParams& q, std::vector<std::string> known) : q_(q) {
    for (const auto& [k, v] : q.items) {
      if (std::find(known.begin(), known.end(), k) == known.end()) {
        fail(k, "unknown query parameter");
      }
    }
  }

  void fail(std::string field, std::string message) {
    fields_.push_back({std::move(field), std::move(message)});
  }

  /// `from` and `to` with their defaults and limits (see the file comment).
  std::pair<base::SysTime, base::SysTime> range(base::SysTime now) {
    auto time = [&](std::string_view name) -> std::optional<base::SysTime> {
      auto v = q_.get(name);
      if (!v) return std::nullopt;
      auto t = parseTimestamp(*v);
      if (!t) fail(std::string(name), "must be an RFC 3339 time, e.g. 2026-11-26T08:00:00+08:00");
      return t;
    };
    const auto from = time("from");
    const auto to = time("to");
    const base::SysTime end = to.value_or(from ? *from + kDefaultRange : now);
    const base::SysTime start = from.value_or(end - kDefaultRange);
    if (ok() && end <= start) fail("to", "must be after from");
    if (ok() && end - start > kMaxRange) fail("to", "the range may cover at most 31 days");
    return {start, end};
  }

  /// A code-like filter (agent number, queue code): 1-64 bytes of printable ASCII.
  std::string code(std::string_view name) {
    auto v = q_.get(name);
    if (!v) return {};
    if (v->empty() || v->size() > kMaxFilterBytes ||
        !std::all_of(v->begin(), v->end(), [](char c) { return c > ' ' && c < 0x7F; })) {
      fail(std::string(name), "must be 1-64 printable ASCII characters");
      return {};
    }
    return std::string(*v);
  }

  int limit() {
    auto v = q_.get("limit");
    if (!v) return store::kDefaultPageLimit;
    int n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n < 1 || n > store::kMaxPageLimit) {
      fail("limit", "must be an integer from 1 to 500");
      return store::kDefaultPageLimit;
    }
    return n;
  }

  std::string cursor() {
    auto v = q_.get("cursor");
    return v ? std::string(*v) : std::string();
  }

  bool ok() const { return fields_.empty(); }
  Response response() const { return validationFailed(fields_); }

 private:
  const QueryParams& q_;
  std::vector<FieldError> fields_;
};

Response listCdrsRoute(Call& call) {
  const auto& q = call.query();
  if (q.malformed) return errorResponse(400, "bad_request", "malformed query string");
  Filters f(q, {"from", "to", "agent", "queue", "caller", "direction", "limit", "cursor"});
  reports::CdrQuery query;
  std::tie(query.from, query.to) = f.range(call.clock().now());
  query.agent = f.code("agent");
  query.queue = f.code("queue");
  if (auto v = q.get("direction")) {
    if (*v == "inbound" || *v == "outbound" || *v == "internal") {
      query.direction = std::string(*v);
    } else {
      f.fail("direction", "must be inbound, outbound or internal");
    }
  }
  // caller: the whole number, or a prefix ending in '*' ("021*"). Digits, '+', '#' and '*'
  // only: a caller id is a phone number.
  if (auto v = q.get("caller")) {
    std::string_view caller = *v;
    if (!caller.empty() && caller.back() == '*') {
      query.callerPrefix = true;
      caller.remove_suffix(1);
    }
    const bool valid = !caller.empty() && caller.size() <= 32 &&
                       std::all_of(caller.begin(), caller.end(), [](char c) {
                         return (c >= '0' && c <= '9') || c == '+' || c == '#';
                       });
    if (valid) {
      query.caller = std::string(caller);
    } else {
      f.fail("caller",
             "must be a phone number of 1-32 digits ('+' and '#' allowed), or its "
             "prefix followed by '*'");
    }
  }
  query.limit = f.limit();
  query.cursor = f.cursor();
  query.teams = readScope(call.principal());
  if (!f.ok()) return f.response();
  auto page = reports::listCdrs(call.db(), query);
  if (!page.ok()) return errorFrom(page.error());
  json items = json::array();
  for (const auto& c : page->items) items.push_back(cdrJson(c));
  return pageResponse(std::move(items), page->nextCursor);
}

Response getCdrRoute(Call& call) {
  const std::string& callId = call.param("call_id");
  if (callId.empty() || callId.size() > 64) return errorResponse(404, "not_found", "no such CDR");
  auto found = reports::findCdr(call.db(), callId, readScope(call.principal()));
  if (!found.ok()) return errorFrom(found.error());
  // Outside the caller's teams: the same answer as no CDR, so that it does not show one exists.
  if (!*found) {
    return errorResponse(404, "not_found",
                         "no CDR for this call (a call in progress or in wrap-up has none yet)");
  }
  return jsonResponse(200, dumpJson(cdrJson(**found)));
}

Response listIntervalsRoute(Call& call) {
  const auto& q = call.query();
  if (q.malformed) return errorResponse(400, "bad_request", "malformed query string");
  Filters f(q, {"from", "to", "agent", "limit", "cursor"});
  reports::IntervalQuery query;
  std::tie(query.from, query.to) = f.range(call.clock().now());
  query.agent = f.code("agent");
  query.limit = f.limit();
  query.cursor = f.cursor();
  query.teams = readScope(call.principal());
  if (!f.ok()) return f.response();
  auto page = reports::listAgentStateIntervals(call.db(), query);
  if (!page.ok()) return errorFrom(page.error());
  json items = json::array();
  for (const auto& i : page->items) items.push_back(intervalJson(i));
  return pageResponse(std::move(items), page->nextCursor);
}

}  // namespace

void registerCdrRoutes(Router& router) {
  router.add({"GET", "/api/v1/cdrs", Permission::CdrsRead, kDatabase, listCdrsRoute,
              "Call detail records with their segments, newest first"});
  router.add({"GET", "/api/v1/cdrs/{call_id}", Permission::CdrsRead, kDatabase, getCdrRoute,
              "One call's detail record"});
  router.add({"GET", "/api/v1/agent-state-intervals", Permission::CdrsRead, kDatabase,
              listIntervalsRoute, "Agent state intervals, in time order"});
}

}  // namespace bankcc::api
