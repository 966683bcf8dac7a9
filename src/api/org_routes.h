// SPDX-License-Identifier: Apache-2.0
#pragma once

// REST for organisation data under /api/v1: teams, skills, queues, reason codes, wrap-up codes,
// agents (and their skills), users and business-hours calendars. Each resource has list
// (paged), get, create (201 + Location), replace (PUT), change (PATCH, JSON merge patch),
// disable and enable (calendars: DELETE instead, decision 0021); every write commits with its
// audit record and is followed by a ConfigChanged event.
// Threads: registerOrgRoutes() before serving; the handlers run on database workers (kDatabase).

#include "api/router.h"

namespace bankcc::api {

/// Adds every organisation route to `router`.
void registerOrgRoutes(Router& router);

}  // namespace bankcc::api
