// SPDX-License-Identifier: Apache-2.0
// HttpConnection instantiated for TLS (its own file: see transport_internal.h).
#include "api/transport_internal.h"

namespace bankcc::api::transport_detail {

void startTlsConnection(const std::shared_ptr<TransportState>& state, Socket socket,
                        std::shared_ptr<ssl::context> context, std::string remoteAddress) {
  TlsStream stream(PlainStream(std::move(socket)), *context);
  startHttpConnection(state, std::move(stream), std::move(context), std::move(remoteAddress));
}

}  // namespace bankcc::api::transport_detail
