// SPDX-License-Identifier: Apache-2.0
// HttpConnection instantiated for plain TCP (its own file: see transport_internal.h).
#include "api/transport_internal.h"

namespace bankcc::api::transport_detail {

void startPlainConnection(const std::shared_ptr<TransportState>& state, Socket socket,
                          std::string remoteAddress) {
  startHttpConnection(state, PlainStream(std::move(socket)), nullptr, std::move(remoteAddress));
}

}  // namespace bankcc::api::transport_detail
