// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to api: the audit-log routes.

#include "api/router.h"
#include "store/audit_log.h"

namespace bankcc::api {

/// Adds GET /api/v1/audit and /api/v1/audit/verify. `key` must outlive the router.
void registerAuditRoutes(Router& router, const store::AuditKey& key);

}  // namespace bankcc::api
