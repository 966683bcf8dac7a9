// SPDX-License-Identifier: Apache-2.0
#pragma once

// Datagrams for one socket and one destination, sent together with one sendmmsg(2) instead of
// one sendto(2) each. A media worker fills one while it handles a batch of received packets
// (they all go to the same bridge partner) and flushes it at the end of the batch, or earlier
// when a packet for another destination comes. Not thread-safe: owned by one media worker.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "media/rtp_port_pool.h"

namespace bankcc::media {

class SendBatch {
 public:
  static constexpr std::size_t kCapacity = 16;
  static constexpr std::size_t kMaxDatagram = 2048;

  /// Whether datagrams are queued.
  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }
  /// Whether a datagram from `fd` to `to` may join without a flush first: the batch is empty,
  /// or holds datagrams for the same socket and address and has room.
  bool accepts(int fd, const SocketAddress& to) const noexcept {
    return count_ == 0 || (fd == fd_ && &to == to_ && count_ < kCapacity);
  }
  /// Space for the next datagram. Precondition: accepts(fd, to) held.
  std::span<std::uint8_t, kMaxDatagram> slot() noexcept { return buffers_[count_]; }
  /// Queues the `length` bytes written into slot(), for `fd` to `to`. `to` must stay valid
  /// until flush().
  void push(int fd, const SocketAddress& to, std::size_t length) noexcept;
  /// Sends what is queued, in order, with one system call (sendto for a single datagram), and
  /// empties the batch. Returns how many were sent; the rest are dropped (socket buffer full,
  /// or an ICMP error reported on the socket), as a failed sendto drops its packet.
  std::size_t flush() noexcept;

 private:
  std::array<std::array<std::uint8_t, kMaxDatagram>, kCapacity> buffers_{};
  std::array<std::size_t, kCapacity> lengths_{};
  std::size_t count_ = 0;
  int fd_ = -1;
  const SocketAddress* to_ = nullptr;
};

}  // namespace bankcc::media
