// SPDX-License-Identifier: Apache-2.0
#pragma once

// Small helpers shared by the sim's source files. Private to the sim module.

#include <map>
#include <string>

#include "telephony/types.h"

namespace bankcc::sim {

/// 0-9, *, #, A-D.
bool isDtmf(char c);

/// The same headers with lower-case names (LegArrived::headers).
std::map<std::string, std::string> lowerCaseKeys(std::map<std::string, std::string> headers);

/// The EndCause a far end's final SIP status means (types.h).
telephony::EndCause endCauseForStatus(int sipStatus);

}  // namespace bankcc::sim
