// SPDX-License-Identifier: Apache-2.0
// WebSocketConnection instantiated for plain TCP (its own file: see transport_internal.h).
#include "api/transport_ws_connection.h"

namespace bankcc::api::transport_detail {

void startWebSocket(const std::shared_ptr<TransportState>& state, PlainStream stream,
                    BeastRequest request, WsAccept accept, std::string remoteAddress) {
  // The WebSocket runs on the bare socket: its own timeouts (stream_base::timeout) replace the
  // HTTP phase's, and every frame written skips basic_stream's timer and rate-policy layer.
  startWebSocketConnection(state, stream.release_socket(), nullptr, std::move(request),
                           std::move(accept), std::move(remoteAddress));
}

}  // namespace bankcc::api::transport_detail
