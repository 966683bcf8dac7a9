// SPDX-License-Identifier: Apache-2.0
#pragma once

// GET /api/v1/cdrs, /api/v1/cdrs/{call_id} and /api/v1/agent-state-intervals: the CDR
// projection's tables (api_cdr_routes.cc). Handlers run on API workers (kDatabase).

#include "api/router.h"

namespace bankcc::api {

/// Adds the CDR routes (permission cdrs.read; supervisors read only their teams' rows, decision
/// 0028).
void registerCdrRoutes(Router& router);

}  // namespace bankcc::api
