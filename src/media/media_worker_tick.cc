// SPDX-License-Identifier: Apache-2.0
// The 20 ms media clock of a worker: per tick, decode what needs decoding, detect in-band
// digits, run collection timeouts, mix monitor groups, write recordings, then produce each
// session's outgoing frame (DTMF, prompt, music on hold or mix).

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "media/g711.h"
#include "media/media_worker.h"
#include "media/mixer.h"

namespace bankcc::media {
namespace {

// Late ticks are caught up, but never more than this many at once: a burst of frames would
// only overflow the far end's jitter buffer. The time skipped still moves our timestamps.
constexpr std::uint64_t kMaxCatchUpTicks = 3;
constexpr std::uint64_t kReportIntervalTicks = 250;  // RTCP every 5 s
constexpr int kDtmfGapTicks = 3;                     // 60 ms between sent digits
constexpr std::uint32_t kDtmfDurationSamples = 800;  // 100 ms per sent digit

base::Duration samplesToDuration(std::uint32_t samples) {
  return base::Duration(std::int64_t{samples} * 125);
}

const Frame kSilence{};

}  // namespace

Session::Linear& MediaWorker::linearOf(Session& s) {
  if (!s.linear) s.linear = std::make_unique<Session::Linear>();
  return *s.linear;
}

std::span<const std::int16_t, kFrameSamples> MediaWorker::linearHeard(Session& s) {
  Session::Linear& l = linearOf(s);
  if (!l.heardDecoded) {
    if (s.heardPresent) {
      media::decode(s.params.codec, s.heardCoded, l.heard);
    } else {
      l.heard.fill(0);
    }
    l.heardDecoded = true;
  }
  return l.heard;
}

std::span<const std::int16_t, kFrameSamples> MediaWorker::voiceOf(Session& s) {
  return s.muted ? std::span<const std::int16_t, kFrameSamples>(kSilence) : linearHeard(s);
}

CodedFrame MediaWorker::codedVoiceOf(const Session& s) const {
  if (s.muted || !s.heardPresent) return CallRecorder::silentFrame();
  return CodedFrame{s.heardCoded, s.params.codec};
}

void MediaWorker::onTimer() {
  std::uint64_t expirations = 0;
  if (::read(timerFd_, &expirations, sizeof expirations) != sizeof expirations) return;
  if (expirations == 0) return;
  std::uint64_t run = std::min(expirations, kMaxCatchUpTicks);
  if (expirations > 1) ++counters_.lateTicks;
  counters_.skippedTicks += expirations - run;
  tick_ += expirations - run;
  for (std::uint64_t i = 0; i < run; ++i) {
    try {
      tick();
    } catch (const std::exception& e) {
      // Allocation failure in a recorder or a DTMF train: skip the rest of this tick.
      spdlog::error("media worker {}: tick failed: {}", index_, e.what());
    }
  }
}

void MediaWorker::tick() {
  ++tick_;
  ++counters_.ticks;
  now_ = ctx_.clock->monotonic();
  // Relayed packets must not queue behind a whole tick (hundreds of recorded calls take a
  // millisecond or more): once kServiceEvery of work has passed, the sockets are serviced.
  // Counted in time rather than items, since an item costs well under a microsecond when
  // nothing is due and each servicing is a system call. This is the steady clock, not ctx_'s:
  // it measures the work done, not media time. Packets relayed meanwhile only add to jitter
  // buffers and statistics; no session or recorder is added or removed outside commands, so
  // the iterations below stay valid.
  constexpr std::size_t kClockEvery = 4;  // items between two looks at the clock
  constexpr auto kServiceEvery = std::chrono::microseconds(50);
  std::size_t done = 0;
  auto serviced = std::chrono::steady_clock::now();
  auto slice = [&] {
    if (++done % kClockEvery != 0) return;
    const auto t = std::chrono::steady_clock::now();
    if (t - serviced < kServiceEvery) return;
    serviceSocketsDuringTick();
    serviced = std::chrono::steady_clock::now();
  };
  for (auto& [id, s] : sessions_) {
    tickInput(*s);
    slice();
  }
  for (MonitorGroup& g : groups_) mixGroup(g);
  for (Recording& r : recorders_) {
    record(r);
    slice();
  }
  for (auto& [id, s] : sessions_) {
    tickOutput(*s);
    slice();
  }
}

void MediaWorker::tickInput(Session& s) {
  // Decode only while someone needs the audio: a pure relay never decodes.
  bool decode = s.needsDecode();
  if (decode && !s.jitter) {
    s.jitter = std::make_unique<JitterBuffer>(ctx_.config->jitterDepthFrames);
  } else if (!decode && s.jitter) {
    s.jitter.reset();
  }
  // Kept as received: decoding waits until a mix or the tone detector asks (linearHeard).
  s.heardPresent = s.jitter && s.jitter->popInto(s.heardCoded);
  if (!s.inGroup && !s.wantsInband()) {
    s.linear.reset();  // no mix and no detector: nothing reads samples
  } else if (s.linear) {
    s.linear->heardDecoded = false;
  }

  if (s.wantsInband()) {
    if (!s.inband) s.inband = std::make_unique<InbandDtmfDetector>();
    for (const auto& d : s.inband->feed(linearHeard(s))) {
      handleDigit(s, d.digit, d.durationSamples);
    }
  } else if (s.inband) {
    s.inband.reset();
  }

  if (s.collection) {
    Collection& c = *s.collection;
    // The first-digit timeout starts when the prompt asking for the digits has ended (a looping
    // play, e.g. music, does not hold it back).
    if (c.count == 0 && s.player && !s.player->loops()) c.started = now_;
    bool expired = c.count == 0 ? now_ - c.started >= c.spec.firstDigitTimeout
                                : now_ - c.lastDigit >= c.spec.interDigitTimeout;
    if (expired) finishCollection(s, ev::DigitsCollected::Reason::Timeout);
  }

  const base::Duration timeout = ctx_.config->rtpTimeout;
  if (timeout.count() > 0 && s.configured && s.receives() && !s.held && !s.timeoutReported &&
      now_ - s.lastReceive >= timeout) {
    s.timeoutReported = true;
    emit(ev::MediaTimeout{s.id});
  }

  if (tick_ >= s.nextReportTick) {
    s.nextReportTick = tick_ + kReportIntervalTicks;
    sendReport(s);
  }
}

void MediaWorker::mixGroup(MonitorGroup& g) {
  // A held or muted party is heard as silence; so are secret digits being keyed (their
  // in-band tones).
  auto said = [this](Session& s) -> std::span<const std::int16_t> {
    return s.held || s.secretOpen() ? std::span<const std::int16_t>(kSilence) : voiceOf(s);
  };
  ThreeWayFrames in{said(*g.customer), said(*g.agent), said(*g.third)};
  ThreeWayOut out{linearOf(*g.customer).mixed, linearOf(*g.agent).mixed, linearOf(*g.third).mixed};
  mixThreeWay(g.mode, in, out);
  for (Session* m : {g.customer, g.agent, g.third}) m->linear->mixedReady = true;
}

void MediaWorker::record(Recording& recording) {
  CallRecorder& r = *recording.recorder;
  Session* left = recording.left;
  Session* right = recording.right;
  // Secret digits pause the whole call's recording (both channels stay aligned in time).
  if (r.paused || left->secretOpen() || right->secretOpen()) {
    r.addSilence();
    return;
  }
  // The agent channel carries what the agent said plus a third party the customer can hear
  // (barge, conference) or that speaks to the agent (whisper); a listening supervisor is
  // silent by definition. A muted party adds silence to its channel, and only its own part:
  // with the agent muted the agent channel carries the third party alone, and the reverse.
  for (const MonitorGroup& g : groups_) {
    if ((g.agent == right || g.customer == left) && g.mode != telephony::MonitorMode::Listen) {
      Frame mixed;
      mixInto(mixed, voiceOf(*right), voiceOf(*g.third));
      r.addFrame(voiceOf(*left), mixed);
      return;
    }
  }
  r.addCoded(codedVoiceOf(*left), codedVoiceOf(*right));
}

void MediaWorker::tickOutput(Session& s) {
  bool mixed = s.linear && s.linear->mixedReady;
  if (s.linear) s.linear->mixedReady = false;
  if (s.dtmfOut.active()) {
    stepDtmf(s);
    return;
  }
  Frame frame;
  if (s.player) {
    if (s.player->nextFrame(frame)) sendFrame(s, frame);
    if (s.player->finished()) finishPlayback(s, false);
    return;
  }
  if (s.held) {
    if (s.music && s.music->nextFrame(frame)) sendFrame(s, frame);
    return;
  }
  if (mixed && s.inGroup) sendFrame(s, s.linear->mixed);
}

void MediaWorker::stepDtmf(Session& s) {
  DtmfSender& d = s.dtmfOut;
  if (d.inbandPos < d.inband.size()) {
    Frame frame{};
    std::size_t n = std::min(kFrameSamples, d.inband.size() - d.inbandPos);
    std::copy_n(d.inband.begin() + static_cast<std::ptrdiff_t>(d.inbandPos), n, frame.begin());
    d.inbandPos += n;
    sendFrame(s, frame);
    return;
  }
  if (d.next >= d.train.size() && d.gapTicks > 0) {
    --d.gapTicks;
    return;
  }
  if (d.next >= d.train.size()) {
    d.train.clear();
    d.next = 0;
    while (!d.pending.empty() && d.train.empty()) {
      auto event = digitToEvent(d.pending.front());
      d.pending.erase(d.pending.begin());
      if (event) d.train = encodeDigit(*event, kDtmfDurationSamples, kFrameSamples);
    }
    if (d.train.empty()) return;
  }
  if (s.params.telephoneEventPt < 0) {
    // The peer lost RFC 4733 in a re-INVITE: drop what was queued for it.
    d.train.clear();
    d.pending.clear();
    d.next = 0;
    return;
  }
  const DtmfPacket& packet = d.train[d.next];
  std::array<std::uint8_t, 4> payload;
  writeTelephoneEvent(packet.event, payload);
  RtpHeader h = s.out.eventPacket(static_cast<std::uint8_t>(s.params.telephoneEventPt), tick_,
                                  d.next == 0, packet.marker);
  sendPacket(s, h, payload);
  if (++d.next == d.train.size()) d.gapTicks = kDtmfGapTicks;
}

void MediaWorker::handleDigit(Session& s, char digit, std::uint32_t durationSamples) {
  if (s.player && s.player->bargeIn()) finishPlayback(s, true);
  if (s.collection) {
    collectDigit(s, digit);
    return;
  }
  emit(ev::DigitPressed{s.id, digit, samplesToDuration(durationSamples)});
}

void MediaWorker::collectDigit(Session& s, char digit) {
  Collection& c = *s.collection;
  c.lastDigit = now_;
  if (c.spec.terminator != '\0' && digit == c.spec.terminator) {
    finishCollection(s, ev::DigitsCollected::Reason::Terminator);
    return;
  }
  if (c.spec.secret) {
    if (!c.secret.push(digit)) {
      finishCollection(s, ev::DigitsCollected::Reason::MaxDigits);
      return;
    }
  } else {
    c.digits.push_back(digit);
  }
  if (++c.count >= c.spec.maxDigits) finishCollection(s, ev::DigitsCollected::Reason::MaxDigits);
}

void MediaWorker::finishCollection(Session& s, ev::DigitsCollected::Reason reason) {
  Collection& c = *s.collection;
  ev::DigitsCollected done;
  done.session = s.id;
  done.token = c.spec.token;
  // TooFew needs some input: a timeout without any digit stays Timeout (no input).
  const bool shortOfMin = c.count < c.spec.minDigits &&
                          (c.count > 0 || reason == ev::DigitsCollected::Reason::Terminator);
  const bool endedEarly = reason == ev::DigitsCollected::Reason::Terminator ||
                          reason == ev::DigitsCollected::Reason::Timeout;
  done.reason = endedEarly && shortOfMin ? ev::DigitsCollected::Reason::TooFew : reason;
  done.digits = std::move(c.digits);
  done.secret = std::move(c.secret);
  s.collection.reset();
  emit(std::move(done));
}

void MediaWorker::finishPlayback(Session& s, bool interrupted) {
  std::uint64_t token = s.player->token();
  s.player.reset();
  emit(ev::PlaybackDone{s.id, token, interrupted});
}

}  // namespace bankcc::media
