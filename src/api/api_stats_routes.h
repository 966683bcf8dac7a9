// SPDX-License-Identifier: Apache-2.0
#pragma once

// Queue and agent statistics: live, today so far and each 15-minute interval of today
// (api_stats_routes.cc; the figures are defined in reports/kpi.h).

#include <atomic>

#include "api/router.h"
#include "api/stats_service.h"

namespace bankcc::api {

/// Adds the statistics routes. `stats` is read at each request (null: 503); it outlives the
/// router.
void registerStatsRoutes(Router& router, const std::atomic<StatsService*>* stats);

}  // namespace bankcc::api
