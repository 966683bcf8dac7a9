// SPDX-License-Identifier: Apache-2.0
#pragma once

// The CTI routes: commands to the call-control core and its live views (api_cti_routes.cc).

#include <atomic>

#include "api/cti_service.h"
#include "api/router.h"

namespace bankcc::api {

/// Adds the CTI routes. `cti` is read at each request (null: 503); it outlives the router.
void registerCtiRoutes(Router& router, const std::atomic<CtiService*>* cti);

}  // namespace bankcc::api
