// SPDX-License-Identifier: Apache-2.0
#include "media/send_batch.h"

#include <sys/socket.h>

namespace bankcc::media {

void SendBatch::push(int fd, const SocketAddress& to, std::size_t length) noexcept {
  fd_ = fd;
  to_ = &to;
  lengths_[count_++] = length;
}

std::size_t SendBatch::flush() noexcept {
  const std::size_t count = count_;
  count_ = 0;
  if (count == 0) return 0;
  auto* addr = reinterpret_cast<const sockaddr*>(&to_->storage);
  if (count == 1) {
    return ::sendto(fd_, buffers_[0].data(), lengths_[0], MSG_DONTWAIT, addr, to_->length) < 0 ? 0
                                                                                               : 1;
  }
  std::array<mmsghdr, kCapacity> msgs{};
  std::array<iovec, kCapacity> iovs{};
  for (std::size_t i = 0; i < count; ++i) {
    iovs[i] = {buffers_[i].data(), lengths_[i]};
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = const_cast<sockaddr*>(addr);
    msgs[i].msg_hdr.msg_namelen = to_->length;
  }
  // sendmmsg stops at the first datagram that fails (-1 when it is the first): that one is
  // dropped and the rest are tried again, so each datagram fares as it would with its own
  // sendto (an ICMP error reported on the socket fails only one).
  std::size_t done = 0, sent = 0;
  while (done < count) {
    const int n =
        ::sendmmsg(fd_, msgs.data() + done, static_cast<unsigned>(count - done), MSG_DONTWAIT);
    if (n <= 0) {
      ++done;
      continue;
    }
    done += static_cast<std::size_t>(n);
    sent += static_cast<std::size_t>(n);
  }
  return sent;
}

}  // namespace bankcc::media
