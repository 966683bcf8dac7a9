// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"

namespace bankcc::base {

/// A new UUIDv7 (RFC 9562) string such as "0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887":
/// time-ordered by `clock`'s wall time, 74 random bits. Used for calls, legs,
/// recordings, requests and events (CONVENTIONS.md). Thread-safe.
std::string newUuidV7(const Clock& clock);

/// True when `s` is a canonical lower-case UUID string (any version).
bool isUuid(std::string_view s);

}  // namespace bankcc::base
