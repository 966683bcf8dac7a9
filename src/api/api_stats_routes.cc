// SPDX-License-Identifier: Apache-2.0
// Queue and agent statistics, answered inline from the live fold (no database): what is
// happening now, today so far (the center's local day) and each 15-minute interval of today.
// Durations are whole milliseconds, rates numbers 0..1; a figure without a denominator is null.
#include "api/api_stats_routes.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <utility>

#include "api/call.h"
#include "api/json_io.h"
#include "events/event.h"

namespace bankcc::api {

namespace {

using json = nlohmann::json;

Response noStats() {
  auto r = errorResponse(503, "unavailable", "statistics are not running on this node");
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

json number(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}

/// Averages of milliseconds, rounded to whole milliseconds.
json millis(const std::optional<double>& v) {
  return v ? json(static_cast<std::int64_t>(std::llround(*v))) : json(nullptr);
}

json queueKpisJson(const reports::QueueKpis& k) {
  const auto& c = k.counters;
  return json{{"offered", k.offered},
              {"answered", c.answered},
              {"abandoned", k.abandoned},
              {"short_abandoned", c.shortAbandoned},
              {"answered_within_threshold", c.answeredWithinT},
              {"abandoned_within_threshold", k.abandonedWithinT},
              {"abandoned_after_threshold", k.abandonedAfterT},
              {"timed_out", c.timedOut},
              {"overflowed", c.overflowed},
              {"removed", c.removed},
              {"refused", c.refused},
              {"transfers_out", c.transfersOut},
              {"handled", c.handled},
              {"service_level", number(k.serviceLevel)},
              {"service_level_ignore_abandons", number(k.serviceLevelIgnoreAbandons)},
              {"service_level_abandons_against", number(k.serviceLevelAbandonsAgainst)},
              {"service_level_abandons_in_favour", number(k.serviceLevelAbandonsInFavour)},
              {"asa_ms", millis(k.asaMs)},
              {"average_wait_ms", millis(k.averageWaitMs)},
              {"max_wait_ms", c.maxWaitMs},
              {"abandonment_rate", number(k.abandonmentRate)},
              {"aht_ms", millis(k.ahtMs)},
              {"talk_ms", c.talkMs},
              {"hold_ms", c.holdMs},
              {"wrap_up_ms", c.wrapUpMs}};
}

json agentKpisJson(const reports::AgentKpis& k) {
  const auto& c = k.counters;
  json reasons = json::object();
  for (const auto& [reason, ms] : c.notReadyByReasonMs) reasons[reason] = ms;
  return json{{"handled", c.handled},
              {"talk_ms", c.talkMs()},
              {"hold_ms", c.holdMs},
              {"wrap_up_ms", c.wrapUpMs},
              {"ready_ms", c.readyMs},
              {"reserved_ms", c.reservedMs},
              {"not_ready_ms", c.notReadyMs},
              {"not_ready_by_reason_ms", std::move(reasons)},
              {"transfers", c.transfers},
              {"consults", c.consults},
              {"outbound", c.outbound},
              {"outbound_answered", c.outboundAnswered},
              {"internal_calls", c.internalCalls},
              {"occupancy", number(k.occupancy)},
              {"aht_ms", millis(k.ahtMs)}};
}

template <typename Kpis, typename ToJson>
json intervalsJson(const std::vector<reports::IntervalKpis<Kpis>>& intervals, ToJson toJson) {
  json out = json::array();
  for (const auto& iv : intervals) {
    json item = toJson(iv.kpis);
    item["start"] = formatTimestamp(iv.start);
    item["end"] = formatTimestamp(iv.end);
    out.push_back(std::move(item));
  }
  return out;
}

json queueReportJson(const reports::QueueReport& r) {
  const auto& s = r.settings;
  return json{
      {"queue", r.queue},
      {"now", formatTimestamp(r.now)},
      {"day_start", formatTimestamp(r.dayStart)},
      {"time_zone", r.timeZone},
      {"service_level_threshold_ms",
       std::chrono::duration_cast<std::chrono::milliseconds>(s.serviceLevelThreshold).count()},
      {"service_level_target", static_cast<double>(s.serviceLevelTarget) / 100.0},
      {"service_level_variant", reports::serviceLevelVariantName(s.variant)},
      {"short_abandon_ms",
       std::chrono::duration_cast<std::chrono::milliseconds>(s.shortAbandon).count()},
      {"live",
       {{"waiting", r.live.waiting},
        {"longest_wait_ms", r.live.longestWaitMs ? json(*r.live.longestWaitMs) : json(nullptr)},
        {"connected", r.live.connected}}},
      {"today", queueKpisJson(r.today)},
      {"intervals", intervalsJson(r.intervals, queueKpisJson)}};
}

json agentReportJson(const reports::AgentReport& r) {
  const auto& l = r.live;
  return json{{"agent_no", r.agentNo},
              {"now", formatTimestamp(r.now)},
              {"day_start", formatTimestamp(r.dayStart)},
              {"time_zone", r.timeZone},
              {"live",
               {{"state", events::agentStateName(l.state)},
                {"reason", l.reason.empty() ? json(nullptr) : json(l.reason)},
                {"since", l.since ? json(formatTimestamp(*l.since)) : json(nullptr)}}},
              {"today", agentKpisJson(r.today)},
              {"intervals", intervalsJson(r.intervals, agentKpisJson)}};
}

}  // namespace

void registerStatsRoutes(Router& router, const std::atomic<StatsService*>* stats) {
  // One GET per report: the object's path parameter, how to ask the service, how to show it.
  auto add = [&](std::string pattern, std::string param, std::string missing, auto report,
                 auto toJson, std::string summary) {
    router.add(Route{.method = "GET",
                     .pattern = std::move(pattern),
                     .permission = Permission::StatsRead,
                     .flags = kNoFlags,
                     .handler =
                         [stats, param, missing, report, toJson](Call& call) {
                           StatsService* service = stats->load();
                           if (service == nullptr) return noStats();
                           auto found = report(*service, call.param(param));
                           if (!found) return errorResponse(404, "not_found", missing);
                           return jsonResponse(200, dumpJson(toJson(*found)));
                         },
                     .summary = std::move(summary),
                     .asyncHandler = {}});
  };
  add(
      "/api/v1/queues/{queue}/stats", "queue", "no such queue",
      [](StatsService& s, const std::string& q) { return s.queueStats(q); }, queueReportJson,
      "A queue's statistics: live, today so far and each 15-minute interval");
  add(
      "/api/v1/agents/{agent_no}/stats", "agent_no", "no such agent",
      [](StatsService& s, const std::string& a) { return s.agentStats(a); }, agentReportJson,
      "An agent's statistics: live state, today so far and each 15-minute interval");
}

}  // namespace bankcc::api
