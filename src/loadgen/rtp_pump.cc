// SPDX-License-Identifier: Apache-2.0
#include "loadgen/rtp_pump.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "media/rtp_packet.h"

namespace bankcc::loadgen {

namespace {

constexpr std::uint32_t kMagic = 0x424b4c47;  // "BKLG"
constexpr std::size_t kPayload = 160;         // 20 ms of G.711
constexpr std::size_t kPacket = 12 + kPayload;
constexpr std::size_t kBatch = 64;

void put32(std::uint8_t* p, std::uint32_t v) {
  v = htonl(v);
  std::memcpy(p, &v, 4);
}
std::uint32_t get32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return ntohl(v);
}

}  // namespace

double PumpStats::latencyPercentileUs(double p) const {
  std::uint64_t total = 0;
  for (auto c : latencyBuckets) total += c;
  if (total == 0) return 0;
  auto want = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(total));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < latencyBuckets.size(); ++i) {
    seen += latencyBuckets[i];
    if (seen > want || seen == total) return static_cast<double>((i + 1) * 10);
  }
  return static_cast<double>(latencyBuckets.size() * 10);
}

base::Result<std::unique_ptr<RtpPump>> RtpPump::start(const std::string& address,
                                                      std::uint16_t port) {
  std::unique_ptr<RtpPump> p(new RtpPump());
  p->stats_.latencyBuckets.assign(kLatencyBuckets, 0);
  p->fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p->fd_ < 0) return base::err(base::Errc::Unavailable, "socket() failed");
  int buf = 8 << 20;
  ::setsockopt(p->fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  ::setsockopt(p->fd_, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1) {
    return base::err(base::Errc::BadRequest, fmt::format("not an IPv4 address: {}", address));
  }
  if (::bind(p->fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    return base::err(base::Errc::Unavailable,
                     fmt::format("cannot bind {}:{}: {}", address, port, std::strerror(errno)));
  }
  socklen_t len = sizeof sa;
  ::getsockname(p->fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  p->port_ = ntohs(sa.sin_port);
  p->timerFd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  p->wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  itimerspec its{};
  // A 1 ms clock: each stream sends in its own 1 ms slot of the 20 ms period, so the packets
  // of many calls are spread as real traffic is, instead of leaving in one burst per period
  // (a burst would measure the queue behind it, not the server's latency).
  its.it_interval.tv_nsec = 1'000'000;
  its.it_value.tv_nsec = 1'000'000;
  ::timerfd_settime(p->timerFd_, 0, &its, nullptr);
  p->thread_ = std::thread([raw = p.get()] { raw->run(); });
  return p;
}

RtpPump::~RtpPump() {
  stop_ = true;
  std::uint64_t one = 1;
  if (wakeFd_ >= 0) [[maybe_unused]]
    auto n = ::write(wakeFd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  for (int fd : {fd_, timerFd_, wakeFd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void RtpPump::startStream(std::uint32_t id, const std::string& remote, std::uint16_t port,
                          std::uint8_t pt) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (::inet_pton(AF_INET, remote.c_str(), &sa.sin_addr) != 1) {
    spdlog::warn("loadgen: stream {}: not an IPv4 address: {}", id, remote);
    return;
  }
  std::lock_guard lock(mu_);
  if (streams_.size() <= id) streams_.resize(id + 1);
  Stream& s = streams_[id];
  if (!s.active) active_.push_back(id);
  s.active = true;
  s.id = id;
  s.pt = pt;
  s.ssrc = 0x10000000u + id;
  s.addr.assign(reinterpret_cast<std::uint8_t*>(&sa),
                reinterpret_cast<std::uint8_t*>(&sa) + sizeof sa);
}

void RtpPump::stopStream(std::uint32_t id) {
  std::lock_guard lock(mu_);
  if (id >= streams_.size() || !streams_[id].active) return;
  streams_[id].active = false;
  std::erase(active_, id);
}

bool RtpPump::heardFrom(std::uint32_t from) const {
  std::lock_guard lock(mu_);
  return from < heard_.size() && heard_[from].any;
}

PumpStats RtpPump::stats() const {
  std::lock_guard lock(mu_);
  PumpStats s = stats_;
  s.lost = 0;
  for (const Heard& h : heard_) {
    if (!h.any) continue;
    std::uint64_t expected = h.highest - h.first + 1;
    if (expected > h.count) s.lost += expected - h.count;
  }
  return s;
}

std::size_t RtpPump::activeStreams() const {
  std::lock_guard lock(mu_);
  return active_.size();
}

void RtpPump::run() {
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (int fd : {fd_, timerFd_, wakeFd_}) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = fd;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
  }
  std::int64_t next = monotonicNs() + 1'000'000;
  std::uint64_t slot = 0;
  while (!stop_) {
    std::array<epoll_event, 8> events{};
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == fd_) {
        receive();
      } else if (fd == timerFd_) {
        std::uint64_t expirations = 0;
        [[maybe_unused]] auto r = ::read(timerFd_, &expirations, sizeof expirations);
        std::int64_t now = monotonicNs();
        if (now - next > 5'000'000) {
          std::lock_guard lock(mu_);
          ++stats_.lateTicks;
        }
        // One slot per expiration; after a stall, at most one period is caught up.
        for (std::uint64_t k = 0; k < std::min<std::uint64_t>(expirations, 20); ++k) {
          tick(now, slot++ % 20);
        }
        next = now + 1'000'000;
      }
    }
  }
  ::close(ep);
}

void RtpPump::tick(std::int64_t nowNs, std::uint64_t slot) {
  std::array<std::array<std::uint8_t, kPacket>, kBatch> bufs;
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::lock_guard lock(mu_);
  std::size_t k = 0;
  auto flush = [&] {
    std::size_t off = 0;
    while (off < k) {
      int sent = ::sendmmsg(fd_, msgs.data() + off, static_cast<unsigned>(k - off), 0);
      if (sent <= 0) break;  // socket buffer full: those packets count as sent and lost
      off += static_cast<std::size_t>(sent);
    }
    stats_.sent += k;
    k = 0;
  };
  for (std::uint32_t id : active_) {
    if (id % 20 != slot) continue;
    Stream& s = streams_[id];
    auto& b = bufs[k];
    media::RtpHeader h;
    h.payloadType = s.pt;
    h.marker = s.seq == 0;
    h.sequence = s.seq++;
    h.timestamp = s.ts;
    s.ts += kPayload;
    h.ssrc = s.ssrc;
    std::array<std::uint8_t, kPayload> payload;
    payload.fill(0xD5);  // A-law silence after the marker
    put32(payload.data(), kMagic);
    put32(payload.data() + 4, id);
    put32(payload.data() + 8, static_cast<std::uint32_t>(nowNs >> 32));
    put32(payload.data() + 12, static_cast<std::uint32_t>(nowNs));
    media::writeRtp(h, payload, b);
    iovs[k] = iovec{b.data(), kPacket};
    msgs[k].msg_hdr = msghdr{};
    msgs[k].msg_hdr.msg_iov = &iovs[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
    msgs[k].msg_hdr.msg_name = s.addr.data();
    msgs[k].msg_hdr.msg_namelen = static_cast<socklen_t>(s.addr.size());
    if (++k == kBatch) flush();
  }
  flush();
}

void RtpPump::receive() {
  std::array<std::array<std::uint8_t, 1500>, kBatch> bufs;
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  for (;;) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      iovs[i] = iovec{bufs[i].data(), bufs[i].size()};
      msgs[i].msg_hdr = msghdr{};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = ::recvmmsg(fd_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    std::int64_t now = monotonicNs();
    std::lock_guard lock(mu_);
    for (int i = 0; i < n; ++i) {
      auto len = msgs[static_cast<std::size_t>(i)].msg_len;
      auto parsed = media::parseRtp({bufs[static_cast<std::size_t>(i)].data(), len});
      if (!parsed.packet || parsed.packet->payload.size() < 16 ||
          get32(parsed.packet->payload.data()) != kMagic) {
        ++stats_.foreign;
        continue;
      }
      const std::uint8_t* p = parsed.packet->payload.data();
      std::uint32_t from = get32(p + 4);
      std::int64_t sentNs = (static_cast<std::int64_t>(get32(p + 8)) << 32) | get32(p + 12);
      std::int64_t us = (now - sentNs) / 1000;
      std::size_t bucket = us < 0 ? 0 : static_cast<std::size_t>(us / 10);
      ++stats_.latencyBuckets[std::min(bucket, kLatencyBuckets - 1)];
      ++stats_.received;
      if (from > (1u << 24)) continue;  // not one of ours
      if (heard_.size() <= from) heard_.resize(from + 1);
      Heard& h = heard_[from];
      std::uint16_t seq = parsed.packet->header.sequence;
      if (!h.any) {
        h.any = true;
        h.first = h.highest = seq + 65536ull;  // room for a few reordered earlier packets
        h.count = 1;
        continue;
      }
      // Extend the 16-bit sequence relative to the highest seen.
      auto delta = static_cast<std::int16_t>(seq - static_cast<std::uint16_t>(h.highest));
      std::uint64_t ext = h.highest + static_cast<std::int64_t>(delta);
      if (ext > h.highest) h.highest = ext;
      if (ext < h.first) h.first = ext;
      ++h.count;
    }
  }
}

}  // namespace bankcc::loadgen
