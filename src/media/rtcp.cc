// SPDX-License-Identifier: Apache-2.0
#include "media/rtcp.h"

#include <algorithm>
#include <cstring>

namespace bankcc::media {
namespace {

constexpr std::uint16_t kMaxDropout = 3000;
constexpr std::uint16_t kMaxMisorder = 100;
constexpr std::uint32_t kSeqMod = 1u << 16;
constexpr char kCname[] = "bankcc";

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
std::uint32_t get32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

}  // namespace

void ReceiveStats::onPacket(std::uint32_t ssrc, std::uint16_t seq, std::uint32_t rtpTs,
                            std::uint32_t arrival) noexcept {
  if (!haveSource_ || ssrc != ssrc_) {
    if (haveSource_) {
      prevReceived_ += received_;
      prevLost_ += sourceLost();
    }
    haveSource_ = true;
    ssrc_ = ssrc;
    maxSeq_ = seq;
    baseSeq_ = seq;
    cycles_ = 0;
    received_ = 0;
    expectedPrior_ = receivedPrior_ = 0;
    haveTransit_ = false;
    jitter_ = 0;
  } else {
    // RFC 3550 A.1, without the probation step: a signalled leg is trusted from the start.
    auto delta = static_cast<std::uint16_t>(seq - maxSeq_);
    if (delta < kMaxDropout) {
      if (seq < maxSeq_) cycles_ += kSeqMod;
      maxSeq_ = seq;
    } else if (delta <= kSeqMod - kMaxMisorder) {
      // A big jump: the sender restarted its sequence. Start over from here.
      prevReceived_ += received_;
      prevLost_ += sourceLost();
      maxSeq_ = seq;
      baseSeq_ = seq;
      cycles_ = 0;
      received_ = 0;
      expectedPrior_ = receivedPrior_ = 0;
    }
    // else: duplicate or reordered packet; counted below.
  }
  ++received_;

  // A.8: J += (|D| - J) / 16, with D the difference of relative transit times.
  auto transit = static_cast<std::int64_t>(static_cast<std::int32_t>(arrival - rtpTs));
  if (haveTransit_) {
    std::int64_t d = transit - transit_;
    if (d < 0) d = -d;
    // A transit jump of more than 10 s is a timestamp restart, not jitter.
    if (d < 80000) jitter_ += (static_cast<double>(d) - jitter_) / 16.0;
  }
  transit_ = transit;
  haveTransit_ = true;
}

std::uint64_t ReceiveStats::sourceLost() const noexcept {
  if (!haveSource_) return 0;
  std::uint64_t expected = std::uint64_t{extendedMax()} - baseSeq_ + 1;
  return expected > received_ ? expected - received_ : 0;
}

std::uint64_t ReceiveStats::lost() const noexcept {
  return prevLost_ + sourceLost();
}

ReceiveStats::Block ReceiveStats::takeBlock() noexcept {
  Block b{};
  b.ssrc = ssrc_;
  std::uint64_t expected = std::uint64_t{extendedMax()} - baseSeq_ + 1;
  std::uint64_t lostTotal = sourceLost();
  b.cumulativeLost = static_cast<std::int32_t>(std::min<std::uint64_t>(lostTotal, 0x7fffff));
  std::uint64_t expectedInterval = expected - expectedPrior_;
  std::uint64_t receivedInterval = received_ - receivedPrior_;
  expectedPrior_ = expected;
  receivedPrior_ = received_;
  if (expectedInterval > receivedInterval && expectedInterval != 0) {
    b.fractionLost =
        static_cast<std::uint8_t>(((expectedInterval - receivedInterval) << 8) / expectedInterval);
  }
  b.extendedMax = extendedMax();
  b.jitter = static_cast<std::uint32_t>(jitter_);
  return b;
}

bool looksLikeRtcp(std::span<const std::uint8_t> d) noexcept {
  return d.size() >= 2 && d[1] >= 192 && d[1] <= 223;
}

std::optional<RtcpInfo> parseRtcp(std::span<const std::uint8_t> d) noexcept {
  if (d.size() < 8) return std::nullopt;
  RtcpInfo info;
  std::size_t pos = 0;
  while (pos < d.size()) {
    if (d.size() - pos < 4) return std::nullopt;
    const std::uint8_t* p = d.data() + pos;
    if ((p[0] >> 6) != 2) return std::nullopt;
    std::size_t len = (std::size_t{p[2]} << 8 | p[3]) * 4 + 4;
    if (len > d.size() - pos) return std::nullopt;
    std::uint8_t type = p[1];
    if (type < 192 || type > 223) return std::nullopt;
    if (len >= 8 && (type == 200 || type == 201)) info.senderSsrc = get32(p + 4);
    if (type == 200 && len >= 28) info.lastSr = get32(p + 10);  // NTP bytes 2..5
    if (type == 203) info.bye = true;
    pos += len;
  }
  return info;
}

std::size_t writeReceiverReport(std::uint32_t ourSsrc, const ReceiveStats::Block* block,
                                std::uint32_t lsr, std::uint32_t dlsr,
                                std::span<std::uint8_t> out) noexcept {
  const std::size_t rrLen = 8 + (block ? 24 : 0);
  const std::size_t cnameLen = sizeof kCname - 1;
  // SDES: header, SSRC, CNAME item (type, length, text), end of items, padding to 32 bits.
  const std::size_t sdesLen = (4 + 4 + 2 + cnameLen + 1 + 3) / 4 * 4;
  if (out.size() < rrLen + sdesLen) return 0;
  std::uint8_t* p = out.data();
  std::memset(p, 0, rrLen + sdesLen);
  p[0] = static_cast<std::uint8_t>(0x80 | (block ? 1 : 0));
  p[1] = 201;
  put16(p + 2, static_cast<std::uint16_t>(rrLen / 4 - 1));
  put32(p + 4, ourSsrc);
  if (block) {
    std::uint8_t* b = p + 8;
    put32(b, block->ssrc);
    b[4] = block->fractionLost;
    auto cum = static_cast<std::uint32_t>(block->cumulativeLost) & 0xffffff;
    b[5] = static_cast<std::uint8_t>(cum >> 16);
    b[6] = static_cast<std::uint8_t>(cum >> 8);
    b[7] = static_cast<std::uint8_t>(cum);
    put32(b + 8, block->extendedMax);
    put32(b + 12, block->jitter);
    put32(b + 16, lsr);
    put32(b + 20, dlsr);
  }
  std::uint8_t* s = p + rrLen;
  s[0] = 0x81;
  s[1] = 202;
  put16(s + 2, static_cast<std::uint16_t>(sdesLen / 4 - 1));
  put32(s + 4, ourSsrc);
  s[8] = 1;  // CNAME
  s[9] = static_cast<std::uint8_t>(cnameLen);
  std::memcpy(s + 10, kCname, cnameLen);
  // The zero bytes after the text end the item list and pad (memset above).
  return rrLen + sdesLen;
}

}  // namespace bankcc::media
