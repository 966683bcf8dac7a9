// SPDX-License-Identifier: Apache-2.0
// WebSocketConnection instantiated for plain TCP (its own file: see transport_internal.h).
#include "api/transport_internal.h"

namespace bankcc::api::transport_detail {

void startWebSocket(const std::shared_ptr<TransportState>& state, PlainStream stream,
                    BeastRequest request, WsAccept accept, std::string remoteAddress) {
  startWebSocketConnection(state, std::move(stream), nullptr, std::move(request), std::move(accept),
                           std::move(remoteAddress));
}

}  // namespace bankcc::api::transport_detail
