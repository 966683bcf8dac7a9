// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to api: the OpenAPI 3.1 description of every route (src/api/openapi.json, embedded at
// build time and served at /api/v1/openapi.json).

#include <string_view>

namespace bankcc::api {

/// The JSON text of src/api/openapi.json.
std::string_view openApiDocument();

}  // namespace bankcc::api
