// SPDX-License-Identifier: Apache-2.0
// The packet path of a media worker: receive (recvmmsg until EAGAIN), parse, latch, DTMF
// events, relay and echo on arrival, sending and RTCP reports. No allocation and no lock here.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "media/g711.h"
#include "media/media_worker.h"
#include "media/rfc4733.h"
#include "media/rtcp.h"

namespace bankcc::media {
namespace {

// A socket that never drains (a flood) must not starve the worker's other sessions: after
// this many batches it waits for the next epoll round (level-triggered, so nothing is lost).
constexpr int kMaxBatchesPerWakeup = 8;

// The receive time in 8 kHz timestamp units, for jitter.
std::uint32_t arrivalUnits(base::MonoTime t) {
  return static_cast<std::uint32_t>(t.time_since_epoch().count() / 125);
}

}  // namespace

void MediaWorker::onReadable(std::uint64_t key) {
  bool rtcp = (key & 1) != 0;
  Session* s = sessionOfKey(key);
  if (!s) return;
  int fd = rtcp ? s->ports.rtcpFd : s->ports.rtpFd;

  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  for (int round = 0; round < kMaxBatchesPerWakeup; ++round) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      iovs[i] = {rxBuf_[i].data(), rxBuf_[i].size()};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &rxFrom_[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msgs[i].msg_hdr.msg_flags = 0;
    }
    int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;  // EAGAIN (drained), or an ICMP error reported on the socket
    // What this batch relays goes to one partner: sent together at its end.
    batching_ = true;
    for (int i = 0; i < n; ++i) {
      ++counters_.datagrams;
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        ++s->stats.malformed;  // larger than any RTP packet we accept
        continue;
      }
      std::span<const std::uint8_t> datagram(rxBuf_[i].data(), msgs[i].msg_len);
      if (rtcp) {
        onRtcp(*s, datagram, rxFrom_[i]);
      } else {
        onRtp(*s, datagram, rxFrom_[i]);
      }
      // A command cannot run in between, so `s` stays valid for the whole batch.
    }
    flushSends();
    batching_ = false;
    if (static_cast<std::size_t>(n) < kBatch) return;
  }
}

void MediaWorker::onRtp(Session& s, std::span<const std::uint8_t> datagram,
                        const sockaddr_storage& from) {
  // Until configure() names the remote we accept any source (early media, a phone that sends
  // before the answer arrives); afterwards only packets from the remote's IP (any port).
  if (s.configured && !s.remote.sameIp(from)) {
    ++s.stats.foreignSource;
    return;
  }
  if (s.params.rtcpMux && looksLikeRtcp(datagram)) {
    onRtcp(s, datagram, from);
    return;
  }
  RtpParseResult parsed = parseRtp(datagram);
  if (!parsed.packet) {
    ++s.stats.malformed;
    return;
  }
  const RtpView& p = *parsed.packet;
  if (!s.receives()) return;  // we asked the peer not to send (sendonly, inactive)
  s.rx.onPacket(p.header.ssrc, p.header.sequence, p.header.timestamp, arrivalUnits(now_));
  s.lastReceive = now_;
  s.timeoutReported = false;

  if (s.params.telephoneEventPt >= 0 && p.header.payloadType == s.params.telephoneEventPt) {
    onTelephoneEvent(s, p);
    return;
  }
  if (p.header.payloadType != s.params.payloadType) {
    ++s.stats.unknownPayloadType;  // comfort noise, a codec we did not negotiate, ...
    return;
  }
  if (s.jitter) s.jitter->push(p.header.timestamp, p.payload);
  if (s.echo) {
    if (s.sends() && !s.player && !s.dtmfOut.active()) {
      sendPacket(s, s.out.relay(p.header, s.params.payloadType, tick_), p.payload);
    }
    return;
  }
  if (s.peer && canRelay(s, *s.peer)) relayAudio(s, *s.peer, p);
}

bool MediaWorker::bridgeOpen(const Session& from, const Session& to) const {
  // Relay only when nothing replaces the bridge audio for this direction: a hold on either
  // side, a monitor mix, a prompt or DTMF being sent to `to`, or secret digits being keyed on
  // `from` (its in-band tones must not reach the other party either).
  return !from.held && !to.held && !from.inGroup && !to.inGroup && !from.secretOpen() &&
         to.sends() && !to.player && !to.dtmfOut.active();
}

bool MediaWorker::canRelay(const Session& from, const Session& to) const {
  // A muted session's audio reaches nobody (its in-band digits included: they are audio).
  return !from.muted && bridgeOpen(from, to);
}

void MediaWorker::relayAudio(Session& from, Session& to, const RtpView& p) {
  std::span<const std::uint8_t> payload = p.payload;
  if (from.params.codec != to.params.codec) {
    auto out = std::span<std::uint8_t>(payloadBuf_).first(payload.size());
    transcode(from.params.codec, to.params.codec, payload, out);
    payload = out;
  }
  sendPacket(to, to.out.relay(p.header, to.params.payloadType, tick_), payload);
  ++counters_.relayed;
}

void MediaWorker::onTelephoneEvent(Session& s, const RtpView& p) {
  auto event = parseTelephoneEvent(p.payload);
  if (!event) {
    ++s.stats.malformed;
    return;
  }
  if (s.secretOpen()) {
    s.hideEvent = true;
    s.hiddenEventTs = p.header.timestamp;
  } else if (s.hideEvent && p.header.timestamp != s.hiddenEventTs) {
    s.hideEvent = false;
  }
  const auto digit = s.dtmfRx.onPacket(p.header, *event);
  if (digit) handleDigit(s, digit->digit, digit->durationSamples);
  if (s.muted && digit) {
    // Mute drops the audio around the digits, so a mapping made before would show the
    // partner a gap in our sequence: each digit starts a mapping that continues our numbering.
    s.mutedEventTs = p.header.timestamp;
    if (s.peer) s.peer->out.resetRelay();
  }
  Session* to = s.peer;
  // Digits are not audio: a muted session's RFC 4733 events are still relayed (bridgeOpen, not
  // canRelay). Under the new mapping a late packet of an earlier digit (a retransmitted end)
  // would look like another digit, so only the current digit's packets go on.
  if (!to || s.hideEvent || !bridgeOpen(s, *to) || to->params.telephoneEventPt < 0) return;
  if (s.muted && s.mutedEventTs != p.header.timestamp) return;
  // Same numbering as the audio of this source, so the far end sees one stream.
  sendPacket(*to,
             to->out.relay(p.header, static_cast<std::uint8_t>(to->params.telephoneEventPt), tick_),
             p.payload);
  ++counters_.relayed;
}

void MediaWorker::onRtcp(Session& s, std::span<const std::uint8_t> datagram,
                         const sockaddr_storage& from) {
  if (s.configured && !s.remote.sameIp(from)) {
    ++s.stats.foreignSource;
    return;
  }
  auto info = parseRtcp(datagram);
  if (!info) {
    ++s.stats.malformed;
    return;
  }
  ++s.stats.rtcpReceived;
  if (info->lastSr) {
    s.lastSr = info->lastSr;
    s.lastSrArrival = now_;
  }
}

void MediaWorker::sendPacket(Session& s, const RtpHeader& h,
                             std::span<const std::uint8_t> payload) {
  if (!s.sends()) return;
  if (batching_) {
    if (!tx_.accepts(s.ports.rtpFd, s.remote)) flushSends();
    std::size_t n = writeRtp(h, payload, tx_.slot());
    if (n == 0) return;
    tx_.push(s.ports.rtpFd, s.remote, n);
    txTo_ = &s;
    return;
  }
  std::size_t n = writeRtp(h, payload, txBuf_);
  if (n == 0) return;
  ssize_t sent = ::sendto(s.ports.rtpFd, txBuf_.data(), n, MSG_DONTWAIT,
                          reinterpret_cast<const sockaddr*>(&s.remote.storage), s.remote.length);
  if (sent < 0) {
    ++counters_.sendErrors;  // EAGAIN (socket buffer full) or an ICMP error: drop the packet
    return;
  }
  ++s.stats.packetsSent;
}

void MediaWorker::flushSends() {
  if (tx_.empty()) return;
  const std::size_t queued = tx_.size();
  const std::size_t sent = tx_.flush();
  txTo_->stats.packetsSent += sent;
  counters_.sendErrors += queued - sent;  // dropped, as a failed sendto drops its packet
  txTo_ = nullptr;
}

void MediaWorker::sendFrame(Session& s, std::span<const std::int16_t, kFrameSamples> frame) {
  // Before the remote is known the frame is dropped: a prompt played meanwhile is not
  // replayed, and the timestamps jump by the time that passed.
  if (!s.sends()) return;
  std::array<std::uint8_t, kFrameSamples> encoded;
  encode(s.params.codec, frame, encoded);
  sendPacket(s, s.out.ownFrame(s.params.payloadType, tick_), encoded);
}

void MediaWorker::sendReport(Session& s) {
  if (!s.remote.valid() || s.params.direction == Direction::Inactive) return;
  ReceiveStats::Block block{};
  bool haveBlock = s.rx.hasSource();
  if (haveBlock) block = s.rx.takeBlock();
  std::uint32_t lsr = 0, dlsr = 0;
  if (s.lastSr) {
    lsr = *s.lastSr;
    auto delay = std::chrono::duration_cast<std::chrono::microseconds>(now_ - s.lastSrArrival);
    dlsr = static_cast<std::uint32_t>(delay.count() * 65536 / 1'000'000);
  }
  std::size_t n =
      writeReceiverReport(s.out.ssrc(), haveBlock ? &block : nullptr, lsr, dlsr, txBuf_);
  if (n == 0) return;
  int fd = s.params.rtcpMux ? s.ports.rtpFd : s.ports.rtcpFd;
  const SocketAddress& to = s.params.rtcpMux ? s.remote : s.remoteRtcp;
  if (!to.valid()) return;
  ::sendto(fd, txBuf_.data(), n, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to.storage),
           to.length);
}

}  // namespace bankcc::media
