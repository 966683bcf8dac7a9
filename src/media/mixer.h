// SPDX-License-Identifier: Apache-2.0
#pragma once

// Frame mixing for conference and supervisor modes (DOMAIN.md): who hears whom.
// Pure functions on 20 ms linear frames; saturating addition.

#include <cstdint>
#include <span>

#include "telephony/types.h"

namespace bankcc::media {

/// out = saturate(a + b). All spans the same length.
void mixInto(std::span<std::int16_t> out, std::span<const std::int16_t> a,
             std::span<const std::int16_t> b) noexcept;

/// What each of three parties hears when a supervisor (or third party) joins a call:
///   Listen:  customer hears agent; agent hears customer; supervisor hears customer+agent.
///   Whisper: customer hears agent; agent hears customer+supervisor; supervisor hears both.
///   Barge:   everyone hears the other two.
struct ThreeWayFrames {
  std::span<const std::int16_t> customer, agent, third;  ///< what each party said
};
struct ThreeWayOut {
  std::span<std::int16_t> toCustomer, toAgent, toThird;
};
void mixThreeWay(telephony::MonitorMode mode, const ThreeWayFrames& in,
                 const ThreeWayOut& out) noexcept;

}  // namespace bankcc::media
