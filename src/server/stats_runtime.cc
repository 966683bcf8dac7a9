// SPDX-License-Identifier: Apache-2.0
#include "server/stats_runtime.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

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

reports::QueueKpiSettings settingsOf(const store::Queue& q) {
  reports::QueueKpiSettings s;
  s.serviceLevelThreshold = q.serviceLevelThreshold;
  s.serviceLevelTarget = q.serviceLevelTarget;
  s.shortAbandon = q.shortAbandon;
  return s;  // the variant is not stored yet: the default (abandons against)
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

}  // namespace bankcc::server
