// SPDX-License-Identifier: Apache-2.0
#include "media/rtp_port_pool.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/core.h>

namespace bankcc::media {
namespace {

// Room for a burst of ~40 relayed G.711 packets; the kernel doubles these values.
constexpr int kReceiveBuffer = 64 * 1024;
constexpr int kSendBuffer = 64 * 1024;
constexpr int kTosExpedited = 0xb8;  // DSCP EF, as phones mark voice

int bindUdp(const SocketAddress& local) {
  int fd = ::socket(local.storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int rcv = kReceiveBuffer, snd = kSendBuffer, tos = kTosExpedited;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
  if (local.storage.ss_family == AF_INET) {
    ::setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  } else {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local.storage), local.length) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

SocketAddress SocketAddress::parse(const std::string& address, std::uint16_t port) {
  SocketAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
    return a;
  }
  a.storage = {};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
    return a;
  }
  return SocketAddress{};
}

bool SocketAddress::sameIp(const sockaddr_storage& other) const {
  if (!valid() || other.ss_family != storage.ss_family) return false;
  if (storage.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(&other)->sin_addr.s_addr;
  }
  return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr,
                     &reinterpret_cast<const sockaddr_in6*>(&other)->sin6_addr,
                     sizeof(in6_addr)) == 0;
}

RtpPortPool::RtpPortPool(std::string address, std::uint16_t portMin, std::uint16_t portMax)
    : address_(std::move(address)), first_(static_cast<std::uint16_t>((portMin + 1) & ~1u)) {
  std::size_t count = 0;
  if (portMax > first_) count = (static_cast<std::size_t>(portMax) - first_ + 1) / 2;
  // Port 0 would mean "any port": never hand it out.
  if (first_ == 0 && count > 0) {
    first_ = 2;
    --count;
  }
  inUse_.assign(count, false);
}

std::size_t RtpPortPool::inUse() const {
  std::lock_guard lock(mu_);
  return used_;
}

base::Result<BoundPorts> RtpPortPool::allocate() {
  if (!SocketAddress::parse(address_, 0).valid()) {
    return base::err(base::Errc::BadRequest,
                     fmt::format("media rtp_address '{}' is not a numeric IP address", address_));
  }
  // Candidates are reserved under the lock and bound outside it, so that creating sessions on
  // several threads does not serialise on socket calls.
  for (std::size_t attempt = 0; attempt < inUse_.size(); ++attempt) {
    std::size_t slot;
    {
      std::lock_guard lock(mu_);
      if (used_ == inUse_.size()) break;
      while (inUse_[next_]) next_ = (next_ + 1) % inUse_.size();
      slot = next_;
      next_ = (next_ + 1) % inUse_.size();
      inUse_[slot] = true;
      ++used_;
    }
    auto port = static_cast<std::uint16_t>(first_ + 2 * slot);
    int rtp = bindUdp(SocketAddress::parse(address_, port));
    int rtcp = rtp >= 0 ? bindUdp(SocketAddress::parse(address_, port + 1)) : -1;
    if (rtp >= 0 && rtcp >= 0) return BoundPorts{rtp, rtcp, port};
    // Taken by another process (or address not local): skip it and try the next one.
    if (rtp >= 0) ::close(rtp);
    release(port);
  }
  return base::err(base::Errc::Unavailable, fmt::format("no free RTP port in {}..{} on {}", first_,
                                                        first_ + 2 * inUse_.size(), address_));
}

void RtpPortPool::release(std::uint16_t port) {
  std::lock_guard lock(mu_);
  if (port < first_) return;
  std::size_t slot = (port - first_) / 2;
  if (slot < inUse_.size() && inUse_[slot]) {
    inUse_[slot] = false;
    --used_;
  }
}

}  // namespace bankcc::media
