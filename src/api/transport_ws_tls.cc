// SPDX-License-Identifier: Apache-2.0
// WebSocketConnection instantiated for TLS (its own file: see transport_internal.h).
#include "api/transport_ws_connection.h"

namespace bankcc::api::transport_detail {

void startWebSocket(const std::shared_ptr<TransportState>& state, TlsStream stream,
                    std::shared_ptr<ssl::context> context, BeastRequest request, WsAccept accept,
                    std::string remoteAddress) {
  startWebSocketConnection(state, std::move(stream), std::move(context), std::move(request),
                           std::move(accept), std::move(remoteAddress));
}

}  // namespace bankcc::api::transport_detail
