// SPDX-License-Identifier: Apache-2.0
#include "server/stats_runtime.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <utility>

#include "base/metrics.h"
#include "events/json.h"
#include "store/org_agents.h"
#include "store/org_common.h"
#include "store/org_queues.h"

namespace bankcc::server {

namespace {

reports::KpiOptions optionsFor(std::string_view timeZone) {
  reports::KpiOptions o;
  auto tz = base::TimeZone::load(timeZone);
  if (tz.ok()) {
    o.timeZone = *tz;
  } else {
    spdlog::error("statistics: time zone {}: {}; using UTC", timeZone, tz.error().message);
  }
  return o;
}

reports::ServiceLevelVariant variantOf(store::ServiceLevelVariant v) {
  switch (v) {
    case store::ServiceLevelVariant::IgnoreAbandons:
      return reports::ServiceLevelVariant::IgnoreAbandons;
    case store::ServiceLevelVariant::AbandonsAgainst:
      return reports::ServiceLevelVariant::AbandonsAgainst;
    case store::ServiceLevelVariant::AbandonsInFavour:
      return reports::ServiceLevelVariant::AbandonsInFavour;
  }
  return reports::ServiceLevelVariant::AbandonsAgainst;  // the store refuses anything else
}

reports::QueueKpiSettings settingsOf(const store::Queue& q) {
  reports::QueueKpiSettings s;
  s.serviceLevelThreshold = q.serviceLevelThreshold;
  s.serviceLevelTarget = q.serviceLevelTarget;
  s.shortAbandon = q.shortAbandon;
  s.variant = variantOf(q.serviceLevelVariant);
  return s;
}

constexpr std::size_t kReplayBatch = 4096;
constexpr std::chrono::milliseconds kFlushTimeout{5000};

}  // namespace

StatsRuntime::StatsRuntime(const store::Database& database, const base::Clock& clock,
                           std::string_view timeZone)
    : database_(database), clock_(clock), fold_(optionsFor(timeZone)) {}

base::Status StatsRuntime::loadOrganisation(soci::session& session) {
  auto queues = store::listAll(session, &store::listQueues);
  if (!queues.ok()) return std::move(queues).error();
  auto agents = store::listAll(session, &store::listAgents);
  if (!agents.ok()) return std::move(agents).error();
  std::lock_guard lock(mu_);
  for (const auto& q : *queues) {
    queues_.insert(q.code);
    fold_.setQueueSettings(q.code, settingsOf(q));
  }
  for (const auto& a : *agents) agents_.insert(a.agentNo);
  return {};
}

base::Status StatsRuntime::start(store::EventLog& log) {
  auto session = database_.connect();
  if (!session.ok()) return std::move(session).error();
  BANKCC_TRY(loadOrganisation(**session));
  // This run's system.started must be in the replay: it closes what the previous run left
  // open (calls, agent states).
  if (auto st = log.flush(kFlushTimeout); !st.ok()) {
    spdlog::warn("statistics: event log not flushed before the replay: {}", st.error().message);
  }
  const auto dayStart = fold_.options().timeZone.startOfDay(clock_.now());
  auto first = store::firstSeqAtOrAfter(**session, dayStart);
  if (!first.ok()) return std::move(first).error();
  std::uint64_t after = *first - 1;
  std::uint64_t replayed = 0, skipped = 0;
  for (;;) {
    auto batch = store::readEvents(**session, after, kReplayBatch);
    if (!batch.ok()) return std::move(batch).error();
    std::lock_guard lock(mu_);
    for (const auto& row : *batch) {
      after = row.seq;
      auto payload = events::parsePayload(row.type, row.payload);
      if (!payload.ok()) {
        ++skipped;  // a type this version does not know: nothing a KPI counts
        continue;
      }
      events::Event e{.epoch = row.epoch,
                      .seq = row.seq,
                      .ts = row.ts,
                      .callId = row.callId,
                      .agentId = row.agentId,
                      .queueId = row.queueId,
                      .requestId = row.requestId,
                      .payload = std::move(*payload)};
      rollDay(e.ts);
      fold_.apply(e);
      ++replayed;
    }
    if (batch->size() < kReplayBatch) break;
  }
  spdlog::info("statistics: {} events of today replayed ({} skipped), {} queues, {} agents",
               replayed, skipped, queues_.size(), agents_.size());
  return {};
}

void StatsRuntime::rollDay(base::SysTime ts) {
  if (ts < nextDay_) return;
  const auto& tz = fold_.options().timeZone;
  const auto dayStart = tz.startOfDay(ts);
  fold_.pruneBefore(dayStart);
  // 26 h after a local midnight is always inside the next local day (days last 23-25 h).
  nextDay_ = tz.startOfDay(dayStart + std::chrono::hours(26));
}

void StatsRuntime::onEvent(const events::Event& event) {
  std::lock_guard lock(mu_);
  rollDay(event.ts);
  fold_.apply(event);
}

void StatsRuntime::onConfigChanged(const events::ConfigChanged& change) {
  if (change.kind != "queue" && change.kind != "agent") return;
  if (change.kind == "agent") {
    std::lock_guard lock(mu_);
    agents_.insert(change.code);
    return;
  }
  std::lock_guard orgLock(orgMu_);
  if (!session_) {
    auto connected = database_.connect();
    if (!connected.ok()) {
      spdlog::error("statistics: cannot read queue {} after a change: {}", change.code,
                    connected.error().message);
      return;
    }
    session_ = std::move(*connected);
  }
  auto q = store::getQueue(*session_, change.code);
  if (!q.ok()) {
    spdlog::error("statistics: cannot read queue {} after a change: {}", change.code,
                  q.error().message);
    session_.reset();  // a broken connection is opened again next time
    return;
  }
  std::lock_guard lock(mu_);
  queues_.insert(q->code);
  fold_.setQueueSettings(q->code, settingsOf(*q));
}

std::optional<reports::QueueReport> StatsRuntime::queueStats(std::string_view queue) {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  if (!queues_.contains(queue) && !fold_.knowsQueue(queue)) return std::nullopt;
  return fold_.queueReport(queue, std::max(now, fold_.lastEventTime()));
}

std::optional<reports::AgentReport> StatsRuntime::agentStats(std::string_view agentNo) {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  if (!agents_.contains(agentNo) && !fold_.knowsAgent(agentNo)) return std::nullopt;
  return fold_.agentReport(agentNo, std::max(now, fold_.lastEventTime()));
}

std::uint64_t StatsRuntime::applied() const {
  std::lock_guard lock(mu_);
  return fold_.applied();
}

std::vector<prometheus::MetricFamily> StatsRuntime::metricFamilies() const {
  using base::addSample;
  using base::metricFamily;
  using prometheus::MetricType;
  const auto now = clock_.now();
  constexpr const char* kToday = " today (since the center's local midnight; resets then)";
  auto family = [&](const char* name, const std::string& help, MetricType type) {
    return metricFamily(name, help, type);
  };
  auto waiting =
      family("bankcc_queue_waiting_calls", "Calls waiting in the queue now", MetricType::Gauge);
  auto longest = family("bankcc_queue_longest_wait_seconds",
                        "How long the call waiting longest in the queue has waited; 0 when none "
                        "waits",
                        MetricType::Gauge);
  auto connected =
      family("bankcc_queue_connected_calls",
             "Calls talking now with an agent who answered them from the queue", MetricType::Gauge);
  auto offered = family("bankcc_queue_offered_calls_total",
                        std::string("Calls offered to the queue, short abandons excluded") + kToday,
                        MetricType::Counter);
  auto answered =
      family("bankcc_queue_answered_calls_total",
             std::string("Calls answered from the queue") + kToday, MetricType::Counter);
  auto answeredInT =
      family("bankcc_queue_answered_in_threshold_calls_total",
             std::string("Calls answered within the queue's service-level threshold") + kToday,
             MetricType::Counter);
  auto abandoned = family("bankcc_queue_abandoned_calls_total",
                          std::string("Callers who hung up while waiting, short abandons "
                                      "excluded") +
                              kToday,
                          MetricType::Counter);
  auto shortAbandoned =
      family("bankcc_queue_short_abandoned_calls_total",
             std::string("Callers who hung up within the queue's short-abandon time") + kToday,
             MetricType::Counter);
  auto timedOut = family("bankcc_queue_timed_out_calls_total",
                         std::string("Calls that left at the queue's maximum wait") + kToday,
                         MetricType::Counter);
  auto overflowed = family("bankcc_queue_overflowed_calls_total",
                           std::string("Calls an overflow step moved or sent elsewhere") + kToday,
                           MetricType::Counter);
  auto refused = family("bankcc_queue_refused_calls_total",
                        std::string("Calls refused at the door, the queue full or closed") + kToday,
                        MetricType::Counter);
  auto waitSeconds = family("bankcc_queue_answered_wait_seconds_total",
                            std::string("Waiting time of the answered calls (ASA = this / "
                                        "answered)") +
                                kToday,
                            MetricType::Counter);
  auto handled =
      family("bankcc_queue_handled_calls_total",
             std::string("Answered calls whose agent part ended") + kToday, MetricType::Counter);
  auto handleSeconds = family("bankcc_queue_handle_seconds_total",
                              std::string("Talk, hold and wrap-up time of the handled calls (AHT "
                                          "= this / handled)") +
                                  kToday,
                              MetricType::Counter);
  auto serviceLevel = family("bankcc_queue_service_level_ratio",
                             std::string("Service level in the queue's variant (0..1); absent "
                                         "while nothing counts") +
                                 kToday,
                             MetricType::Gauge);
  auto slTarget = family("bankcc_queue_service_level_target_ratio",
                         "The queue's service-level target (0..1)", MetricType::Gauge);
  auto slThreshold = family("bankcc_queue_service_level_threshold_seconds",
                            "The queue's service-level threshold", MetricType::Gauge);
  auto agents = family("bankcc_agents", "Agents by state now", MetricType::Gauge);
  auto notReady =
      family("bankcc_agents_not_ready", "Not-ready agents by reason now", MetricType::Gauge);
  auto folded = family("bankcc_stats_events_folded_total",
                       "Events the live statistics folded since start (today's replayed ones "
                       "included)",
                       MetricType::Counter);

  // The core thread folds under mu_ (onEvent): it is held for one queue's report at a time,
  // not for the whole scrape.
  std::vector<std::string> codes;
  base::SysTime at{};
  {
    std::lock_guard lock(mu_);
    codes.assign(queues_.begin(), queues_.end());
    at = std::max(now, fold_.lastEventTime());
  }
  for (const std::string& code : codes) {
    reports::QueueReport r;
    {
      std::lock_guard lock(mu_);
      r = fold_.queueReport(code, at);
    }
    const std::vector<prometheus::ClientMetric::Label> q{{"queue", code}};
    const reports::QueueCounters& c = r.today.counters;
    addSample(waiting, static_cast<double>(r.live.waiting), q);
    addSample(longest, static_cast<double>(r.live.longestWaitMs.value_or(0)) / 1000.0, q);
    addSample(connected, static_cast<double>(r.live.connected), q);
    addSample(offered, static_cast<double>(r.today.offered), q);
    addSample(answered, static_cast<double>(c.answered), q);
    addSample(answeredInT, static_cast<double>(c.answeredWithinT), q);
    addSample(abandoned, static_cast<double>(r.today.abandoned), q);
    addSample(shortAbandoned, static_cast<double>(c.shortAbandoned), q);
    addSample(timedOut, static_cast<double>(c.timedOut), q);
    addSample(overflowed, static_cast<double>(c.overflowed), q);
    addSample(refused, static_cast<double>(c.refused), q);
    addSample(waitSeconds, static_cast<double>(c.answeredWaitMs) / 1000.0, q);
    addSample(handled, static_cast<double>(c.handled), q);
    addSample(handleSeconds, static_cast<double>(c.talkMs + c.holdMs + c.wrapUpMs) / 1000.0, q);
    if (r.today.serviceLevel) addSample(serviceLevel, *r.today.serviceLevel, q);
    addSample(slTarget, r.settings.serviceLevelTarget / 100.0, q);
    addSample(slThreshold, std::chrono::duration<double>(r.settings.serviceLevelThreshold).count(),
              q);
  }
  std::map<std::string, int> byState;
  std::map<std::string, int> byReason;
  for (const auto* state : {"logged_out", "not_ready", "ready", "reserved", "on_call", "wrap_up"}) {
    byState[state] = 0;  // every state shows, zero or not
  }
  std::uint64_t applied = 0;
  {
    std::lock_guard lock(mu_);
    for (const std::string& agentNo : agents_) {
      const reports::AgentLive live = fold_.agentLive(agentNo);
      ++byState[std::string(events::agentStateName(live.state))];
      if (live.state == events::AgentState::NotReady) ++byReason[live.reason];
    }
    applied = fold_.applied();
  }
  for (const auto& [state, n] : byState) addSample(agents, n, {{"state", state}});
  for (const auto& [reason, n] : byReason) addSample(notReady, n, {{"reason", reason}});
  addSample(folded, static_cast<double>(applied));

  std::vector<prometheus::MetricFamily> out;
  for (auto* f : {&waiting,     &longest,     &connected,      &offered,       &answered,
                  &answeredInT, &abandoned,   &shortAbandoned, &timedOut,      &overflowed,
                  &refused,     &waitSeconds, &handled,        &handleSeconds, &serviceLevel,
                  &slTarget,    &slThreshold, &agents,         &notReady,      &folded}) {
    out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace bankcc::server
