// SPDX-License-Identifier: Apache-2.0
#include "telephony/events.h"

#include <type_traits>

namespace bankcc::telephony {

const LegId* legOf(const Event& e) {
  return std::visit(
      [](const auto& ev) -> const LegId* {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (requires { ev.leg; }) {
          if constexpr (std::is_same_v<decltype(ev.leg), LegId>) return &ev.leg;
        }
        (void)sizeof(T);
        return nullptr;
      },
      e);
}

}  // namespace bankcc::telephony
