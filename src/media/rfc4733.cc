// SPDX-License-Identifier: Apache-2.0
#include "media/rfc4733.h"

#include <algorithm>

namespace bankcc::media {
namespace {

constexpr char kDigits[] = "0123456789*#ABCD";
constexpr std::uint8_t kMaxDtmfEvent = 15;
// A digit's first packet normally carries one or two ptimes of duration; more than a second
// means the sender's counter is garbage (seen: 0xFFFF on the start packet).
constexpr std::uint32_t kMaxStartDuration = 8000;
constexpr std::uint8_t kDefaultVolume = 10;
constexpr int kEndPackets = 3;  // RFC 4733 §2.5.1.4: the end packet is sent three times

}  // namespace

std::optional<TelephoneEvent> parseTelephoneEvent(std::span<const std::uint8_t> payload) noexcept {
  if (payload.size() < 4) return std::nullopt;
  TelephoneEvent e;
  e.event = payload[0];
  e.end = (payload[1] & 0x80) != 0;
  e.volume = payload[1] & 0x3F;  // bit 6 is reserved
  e.duration = static_cast<std::uint16_t>((payload[2] << 8) | payload[3]);
  return e;
}

void writeTelephoneEvent(const TelephoneEvent& e, std::span<std::uint8_t, 4> out) noexcept {
  out[0] = e.event;
  out[1] = static_cast<std::uint8_t>((e.end ? 0x80 : 0x00) | (e.volume & 0x3F));
  out[2] = static_cast<std::uint8_t>(e.duration >> 8);
  out[3] = static_cast<std::uint8_t>(e.duration);
}

char eventToDigit(std::uint8_t event) noexcept {
  return event <= kMaxDtmfEvent ? kDigits[event] : '\0';
}

std::optional<std::uint8_t> digitToEvent(char digit) noexcept {
  if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
  for (std::uint8_t i = 0; i <= kMaxDtmfEvent; ++i) {
    if (kDigits[i] == digit && digit != '\0') return i;
  }
  return std::nullopt;
}

DtmfEventReceiver::DtmfEventReceiver(std::uint32_t maxDurationSamples)
    : maxDuration_(std::max(maxDurationSamples, kMinReportedDuration)) {}

bool DtmfEventReceiver::seenRecently(std::uint32_t timestamp) const noexcept {
  for (std::size_t i = 0; i < recentCount_; ++i) {
    if (recent_[i] == timestamp) return true;
  }
  return false;
}

void DtmfEventReceiver::remember(std::uint32_t timestamp) noexcept {
  recent_[recentNext_] = timestamp;
  recentNext_ = (recentNext_ + 1) % kRecent;
  recentCount_ = std::min(recentCount_ + 1, kRecent);
  lastTimestamp_ = timestamp;
}

std::optional<DtmfEventReceiver::Digit> DtmfEventReceiver::onPacket(
    const RtpHeader& h, const TelephoneEvent& e) noexcept {
  if (e.event > kMaxDtmfEvent) return std::nullopt;  // flash, tones, ...: not digits

  if (lastTimestamp_ && h.ssrc != lastSsrc_) {
    // A new source (re-INVITE, SBC failover): its timestamps have nothing to do with the old.
    recentCount_ = 0;
    recentNext_ = 0;
    lastTimestamp_.reset();
  }
  lastSsrc_ = h.ssrc;

  if (seenRecently(h.timestamp)) {
    // An update or a retransmitted end of a digit already reported.
    if (h.timestamp == *lastTimestamp_ && e.event == lastEvent_) {
      lastDuration_ = std::max(lastDuration_, e.duration);
    }
    return std::nullopt;
  }

  // RFC 4733 §2.5.1.3: an event longer than 0xFFFF samples goes on as a new segment, unmarked,
  // whose timestamp is where the previous segment's duration ended. Same key still held.
  const bool continuation = lastTimestamp_ && !h.marker && e.event == lastEvent_ &&
                            lastDuration_ == 0xFFFF &&
                            h.timestamp == static_cast<std::uint32_t>(*lastTimestamp_ + 0xFFFF);
  lastEvent_ = e.event;
  lastDuration_ = e.duration;
  remember(h.timestamp);
  if (continuation) return std::nullopt;

  const std::uint32_t limit = e.end ? maxDuration_ : std::min(maxDuration_, kMaxStartDuration);
  const std::uint32_t duration = std::clamp<std::uint32_t>(e.duration, kMinReportedDuration, limit);
  return Digit{eventToDigit(e.event), duration};
}

std::vector<DtmfPacket> encodeDigit(std::uint8_t event, std::uint32_t durationSamples,
                                    std::uint32_t ptimeSamples) {
  const std::uint32_t ptime = ptimeSamples == 0 ? 160 : ptimeSamples;
  const std::uint32_t duration = std::clamp<std::uint32_t>(durationSamples, 1, 0xFFFF);
  std::vector<DtmfPacket> packets;
  packets.reserve(duration / ptime + kEndPackets + 1);
  for (std::uint32_t d = ptime; d < duration; d += ptime) {
    packets.push_back({false, {event, false, kDefaultVolume, static_cast<std::uint16_t>(d)}});
  }
  for (int i = 0; i < kEndPackets; ++i) {
    packets.push_back({false, {event, true, kDefaultVolume, static_cast<std::uint16_t>(duration)}});
  }
  packets.front().marker = true;
  return packets;
}

}  // namespace bankcc::media
