// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace bankcc::base {

/// This machine's host name, or "unknown" when it has none. Thread-safe.
std::string hostName();

}  // namespace bankcc::base
