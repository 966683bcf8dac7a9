// SPDX-License-Identifier: Apache-2.0
#pragma once

// The RTP port range shared by all media workers. Hands out even ports round-robin (so a port
// just freed is not reused at once, and late packets of an old call do not land in a new one),
// binds the RTP socket and the RTCP socket (port + 1) non-blocking with modest buffers.
// Thread-safe: allocate() runs on the thread that creates a session, release() on a worker.

#include <sys/socket.h>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"

namespace bankcc::media {

/// A numeric IPv4 or IPv6 address with a port, ready for sendto()/bind().
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  bool valid() const { return length != 0; }
  /// Parses a numeric address ("192.0.2.1", "2001:db8::1"); nullopt-like invalid on failure.
  static SocketAddress parse(const std::string& address, std::uint16_t port);
  /// True when both hold the same IP (ports ignored).
  bool sameIp(const sockaddr_storage& other) const;
};

/// The two bound sockets of one session. Owns nothing: the worker closes them and then calls
/// RtpPortPool::release(port).
struct BoundPorts {
  int rtpFd = -1;
  int rtcpFd = -1;
  std::uint16_t port = 0;  ///< RTP; RTCP is port + 1
};

class RtpPortPool {
 public:
  /// Uses the even ports p in [portMin, portMax] with p + 1 <= portMax, on `address`.
  RtpPortPool(std::string address, std::uint16_t portMin, std::uint16_t portMax);

  /// Binds the next free even port and the one above it. Unavailable when every port of the
  /// range is in use or cannot be bound; BadRequest when `address` is not a numeric IP.
  /// Thread-safe.
  base::Result<BoundPorts> allocate();
  /// Returns a port (after its sockets are closed). Thread-safe.
  void release(std::uint16_t port);

  std::size_t capacity() const { return inUse_.size(); }
  std::size_t inUse() const;

 private:
  std::string address_;
  std::uint16_t first_;  // the lowest even port
  mutable std::mutex mu_;
  std::vector<bool> inUse_;  // by (port - first_) / 2
  std::size_t next_ = 0;     // round-robin cursor
  std::size_t used_ = 0;
};

}  // namespace bankcc::media
