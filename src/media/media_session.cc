// SPDX-License-Identifier: Apache-2.0
#include "media/media_session.h"

#include <algorithm>

namespace bankcc::media {

std::uint32_t OutStream::advance(std::uint64_t tick, bool& pause) noexcept {
  if (!started_) {
    started_ = true;
    pause = true;
    lastTick_ = tick;
    return lastTs_;
  }
  // The timestamp follows the media clock: one frame per tick, and a pause of n ticks moves it
  // by n frames, so the far end's playout stays in step with real time.
  std::uint64_t gap = tick > lastTick_ ? tick - lastTick_ : 1;
  pause = gap > 1;
  lastTs_ += static_cast<std::uint32_t>(kFrameSamples * gap);
  lastTick_ = tick;
  return lastTs_;
}

RtpHeader OutStream::ownFrame(std::uint8_t pt, std::uint64_t tick) noexcept {
  RtpHeader h;
  bool pause = false;
  h.timestamp = advance(tick, pause);
  h.marker = pause;
  h.payloadType = pt;
  h.sequence = nextSeq_++;
  h.ssrc = ssrc_;
  mapValid_ = false;
  return h;
}

RtpHeader OutStream::eventPacket(std::uint8_t pt, std::uint64_t tick, bool eventStart,
                                 bool marker) noexcept {
  bool pause = false;
  std::uint32_t position = advance(tick, pause);
  if (eventStart) eventTs_ = position;
  RtpHeader h;
  h.timestamp = eventTs_;  // every packet of one event carries its start time (RFC 4733 §2.5)
  h.marker = marker;
  h.payloadType = pt;
  h.sequence = nextSeq_++;
  h.ssrc = ssrc_;
  mapValid_ = false;
  return h;
}

RtpHeader OutStream::relay(const RtpHeader& in, std::uint8_t pt, std::uint64_t tick) noexcept {
  bool resync = !mapValid_ || in.ssrc != mapSrcSsrc_;
  if (resync) {
    bool pause = false;
    std::uint32_t ts0 = advance(tick, pause);
    seqOffset_ = static_cast<std::uint16_t>(nextSeq_ - in.sequence);
    tsOffset_ = ts0 - in.timestamp;
    mapSrcSsrc_ = in.ssrc;
    mapValid_ = true;
  }
  RtpHeader h;
  h.payloadType = pt;
  h.ssrc = ssrc_;
  h.sequence = static_cast<std::uint16_t>(in.sequence + seqOffset_);
  h.timestamp = in.timestamp + tsOffset_;
  h.marker = in.marker || resync;
  if (resync || seqNewer(h.sequence, static_cast<std::uint16_t>(nextSeq_ - 1))) {
    nextSeq_ = static_cast<std::uint16_t>(h.sequence + 1);
  }
  if (resync || tsNewer(h.timestamp, lastTs_)) lastTs_ = h.timestamp;
  lastTick_ = tick;
  return h;
}

Player::Player(ResolvedPlay play, TonePlan plan) : play_(std::move(play)), plan_(plan) {
  if (play_.items.empty()) {
    finished_ = true;
    return;
  }
  enterItem();
}

void Player::enterItem() noexcept {
  pos_ = 0;
  tone_.reset();
  const ResolvedItem& item = play_.items[index_];
  if (item.kind == telephony::PlayItem::Kind::Tone) tone_.emplace(item.tone, plan_);
}

void Player::nextItem() noexcept {
  ++index_;
  if (index_ == play_.items.size()) {
    // A loop whose whole pass produced nothing (empty prompts) would spin for ever.
    if (!play_.loop || passSamples_ == 0) {
      finished_ = true;
      return;
    }
    index_ = 0;
    passSamples_ = 0;
  }
  enterItem();
}

bool Player::nextFrame(std::span<std::int16_t, kFrameSamples> out) noexcept {
  std::size_t produced = 0;
  // Bounded: each round either produces samples or moves to the next item, and a pass that
  // produces nothing ends the playlist.
  while (produced < out.size() && !finished_) {
    const ResolvedItem& item = play_.items[index_];
    std::size_t room = out.size() - produced;
    std::size_t n = 0;
    switch (item.kind) {
      case telephony::PlayItem::Kind::Prompt: {
        const auto& samples = item.prompt->samples;
        n = static_cast<std::size_t>(std::min<std::uint64_t>(room, samples.size() - pos_));
        std::copy_n(samples.begin() + static_cast<std::ptrdiff_t>(pos_), n,
                    out.begin() + static_cast<std::ptrdiff_t>(produced));
        if (pos_ + n >= samples.size()) {
          pos_ += n;
          passSamples_ += n;
          produced += n;
          nextItem();
          continue;
        }
        break;
      }
      case telephony::PlayItem::Kind::Tone:
      case telephony::PlayItem::Kind::Silence: {
        bool endless = item.samples == 0 && item.kind == telephony::PlayItem::Kind::Tone;
        n = endless ? room
                    : static_cast<std::size_t>(std::min<std::uint64_t>(room, item.samples - pos_));
        auto dest = out.subspan(produced, n);
        if (item.kind == telephony::PlayItem::Kind::Tone) {
          tone_->generate(dest);
        } else {
          std::fill(dest.begin(), dest.end(), std::int16_t{0});
        }
        if (!endless && pos_ + n >= item.samples) {
          pos_ += n;
          passSamples_ += n;
          produced += n;
          nextItem();
          continue;
        }
        break;
      }
    }
    pos_ += n;
    passSamples_ += n;
    produced += n;
  }
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(produced), out.end(), std::int16_t{0});
  return produced > 0;
}

}  // namespace bankcc::media
