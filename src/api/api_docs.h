// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to api: documentation generated from, and checked against, the route table.
//   - permissionsMarkdown() writes docs/permissions.md: every permission, which built-in role
//     holds it, and every route with its permission. The file in the repository must equal it
//     (api_docs_test.cc; BANKCC_UPDATE_DOCS=1 rewrites it).
//   - checkOpenApi() compares src/api/openapi.json with the route table, so that a route added
//     without documentation, a documented route that no longer exists, or a permission that
//     changed fails the tests.
// Threads: pure functions; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "api/router.h"

namespace bankcc::api {

/// The Markdown text of docs/permissions.md for `router` (deterministic: routes sorted by path,
/// then method in the order GET, POST, PUT, PATCH, DELETE).
std::string permissionsMarkdown(const Router& router);

/// Problems of `openApiJson` as a description of `router`, one line each; empty when it matches:
///   - not valid JSON, or no "paths" object;
///   - a route without an operation (the path template must equal the route's pattern);
///   - an operation without a route;
///   - an operation whose "x-permission" is missing or differs from permissionName();
///   - an operation without a non-empty "summary";
///   - a path parameter of the template not declared as an "in": "path" parameter;
///   - a local "$ref" ("#/...") that resolves to nothing.
std::vector<std::string> checkOpenApi(const Router& router, std::string_view openApiJson);

}  // namespace bankcc::api
