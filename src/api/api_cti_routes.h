// SPDX-License-Identifier: Apache-2.0
#pragma once

// The CTI routes: commands to the call-control core and its live views (api_cti_routes.cc).

#include <nlohmann/json.hpp>

#include <atomic>

#include "api/cti_service.h"
#include "api/router.h"

namespace bankcc::api {

/// Adds the CTI routes. `cti` is read at each request (null: 503); it outlives the router.
void registerCtiRoutes(Router& router, const std::atomic<CtiService*>* cti);

/// A live call and an agent's state as GET /api/v1/calls and /api/v1/agent-states show them
/// (also the WebSocket snapshot's items).
nlohmann::json callViewJson(const callctl::CallView& c);
nlohmann::json agentViewJson(const callctl::AgentView& a);

}  // namespace bankcc::api
