// SPDX-License-Identifier: Apache-2.0
#pragma once

// The live queue and agent statistics of this node: one reports::KpiFold fed with every
// domain event of the call-control core as it is published, after today's events were
// replayed from the event log at start-up (so a restart keeps today's figures). The API reads
// it through api::StatsService.
//
// Threads: onEvent() runs on the core thread and holds a short mutex (no I/O). The reports
// take the same mutex for the time of one fold query (tens of microseconds). start() and
// onConfigChanged() read the database on the caller's thread (main at start-up, an API worker
// after a change), outside that mutex.
//
// Known limits: an agent's state before the first event replayed (today's first state change)
// is unknown, so the time from local midnight to it is not counted; events published before
// start() returns are not folded (the core starts after it).

#include <prometheus/metric_family.h>
#include <soci/soci.h>

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/stats_service.h"
#include "base/clock.h"
#include "base/result.h"
#include "events/event.h"
#include "reports/kpi.h"
#include "store/database.h"
#include "store/event_log.h"

namespace bankcc::server {

class StatsRuntime final : public api::StatsService {
 public:
  /// `timeZone`: the center's IANA zone (settings have checked it; UTC if it does not load).
  /// `database` and `clock` must outlive this object.
  StatsRuntime(const store::Database& database, const base::Clock& clock,
               std::string_view timeZone);

  /// Start-up, before the core publishes events: reads the queues (service-level settings)
  /// and agents, then replays the events of today (the center's local day) from the log
  /// after flushing it. Errors: the store's (Unavailable, Io, Internal); the runtime is usable
  /// anyway, with what it could read. Main thread.
  base::Status start(store::EventLog& log);

  /// Folds one published event (its ts set). Any thread (the core thread); quick.
  void onEvent(const events::Event& event);

  /// A committed organisation change: re-reads a changed queue's settings, learns new queue
  /// codes and agent numbers. Errors are logged. Any thread but the core's (reads the
  /// database).
  void onConfigChanged(const events::ConfigChanged& change);

  /// Thread-safe, no I/O. nullopt for a queue / agent neither in the organisation nor in
  /// today's events.
  std::optional<reports::QueueReport> queueStats(std::string_view queue) override;
  std::optional<reports::AgentReport> agentStats(std::string_view agentNo) override;

  /// Events folded since the start (replayed ones included). Thread-safe.
  std::uint64_t applied() const;

  /// The statistics as Prometheus families, computed now (decision 0025): per queue the live
  /// figures and today's counters, agents by state and not-ready reason. Thread-safe, no I/O.
  std::vector<prometheus::MetricFamily> metricFamilies() const;

 private:
  base::Status loadOrganisation(soci::session& session);
  /// Drops the buckets of earlier days once `ts` is in a new local day. Holds mu_.
  void rollDay(base::SysTime ts);

  const store::Database& database_;
  const base::Clock& clock_;

  mutable std::mutex mu_;  // guards everything below up to orgMu_
  reports::KpiFold fold_;
  std::set<std::string, std::less<>> queues_;  // from the organisation data
  std::set<std::string, std::less<>> agents_;
  base::SysTime nextDay_{};  // the start of the local day after the current one

  std::mutex orgMu_;  // serialises database reads of onConfigChanged()
  std::unique_ptr<soci::session> session_;
};

}  // namespace bankcc::server
