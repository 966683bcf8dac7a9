// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the API asks of the live statistics (reports/kpi.h folded over this node's events).
// The composition root implements it (server/stats_runtime.h); unit tests use a fake.

#include <optional>
#include <string_view>

#include "reports/kpi.h"

namespace bankcc::api {

class StatsService {
 public:
  virtual ~StatsService() = default;
  /// The statistics of queue `queue` now; nullopt when no such queue exists (a queue without
  /// traffic today has a report of zeros). Thread-safe and quick (no I/O): answered inline.
  virtual std::optional<reports::QueueReport> queueStats(std::string_view queue) = 0;
  /// The same for agent `agentNo`.
  virtual std::optional<reports::AgentReport> agentStats(std::string_view agentNo) = 0;
};

}  // namespace bankcc::api
