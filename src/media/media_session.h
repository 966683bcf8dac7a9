// SPDX-License-Identifier: Apache-2.0
#pragma once

// Per-session state of the media engine, owned by one MediaWorker at a time and touched only on
// its thread (no locks); a move hands the whole object to another worker (media_worker.h).
// Holds the pieces that have no I/O: our outgoing RTP numbering (OutStream), the playlist
// player, the digit collection and the DTMF sender. The worker does the sockets.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/secret_digits.h"
#include "media/engine.h"
#include "media/inband_dtmf.h"
#include "media/jitter_buffer.h"
#include "media/prompt_library.h"
#include "media/rfc4733.h"
#include "media/rtcp.h"
#include "media/rtp_packet.h"
#include "media/rtp_port_pool.h"
#include "media/tones.h"

namespace bankcc::media {

using Frame = std::array<std::int16_t, kFrameSamples>;

/// Our RTP stream toward one peer: SSRC, sequence and timestamp are ours, whatever we send
/// (prompts, echo, relayed packets of another leg), so the far end sees one continuous stream
/// across bridges, prompts and re-bridges. Time is counted in media ticks (20 ms).
class OutStream {
 public:
  explicit OutStream(std::uint32_t ssrc, std::uint16_t seq, std::uint32_t ts)
      : ssrc_(ssrc), nextSeq_(seq), lastTs_(ts) {}

  /// The header of a frame we produce at `tick` (one per tick at most). The marker is set on
  /// the first frame after a pause (talk-spurt start).
  RtpHeader ownFrame(std::uint8_t pt, std::uint64_t tick) noexcept;
  /// The header of a telephone-event packet at `tick`; `eventStart` on its first packet.
  RtpHeader eventPacket(std::uint8_t pt, std::uint64_t tick, bool eventStart, bool marker) noexcept;
  /// Maps an incoming header from another stream (relay, echo) into ours: a new source or
  /// any own packet in between starts a new mapping that continues where we left off.
  RtpHeader relay(const RtpHeader& in, std::uint8_t pt, std::uint64_t tick) noexcept;
  /// Forgets the relay mapping (bridge changes).
  void resetRelay() noexcept { mapValid_ = false; }

  std::uint32_t ssrc() const noexcept { return ssrc_; }

 private:
  std::uint32_t advance(std::uint64_t tick, bool& pause) noexcept;

  std::uint32_t ssrc_;
  std::uint16_t nextSeq_;
  std::uint32_t lastTs_;
  std::uint64_t lastTick_ = 0;
  bool started_ = false;
  std::uint32_t eventTs_ = 0;
  bool mapValid_ = false;
  std::uint32_t mapSrcSsrc_ = 0;
  std::uint16_t seqOffset_ = 0;
  std::uint32_t tsOffset_ = 0;
};

/// A play item with its prompt resolved on the calling thread.
struct ResolvedItem {
  telephony::PlayItem::Kind kind = telephony::PlayItem::Kind::Silence;
  PromptPtr prompt;
  telephony::Tone tone = telephony::Tone::Ringback;
  std::uint64_t samples = 0;  ///< tone/silence length; 0 for a tone: until stopped
};
struct ResolvedPlay {
  std::vector<ResolvedItem> items;
  bool bargeIn = false;
  bool loop = false;
  std::uint64_t token = 0;
};

/// Produces a playlist frame by frame.
class Player {
 public:
  Player(ResolvedPlay play, TonePlan plan);
  /// Fills `out` with the next 20 ms (silence after the end). False when nothing was left.
  bool nextFrame(std::span<std::int16_t, kFrameSamples> out) noexcept;
  bool finished() const noexcept { return finished_; }
  bool bargeIn() const noexcept { return play_.bargeIn; }
  bool loops() const noexcept { return play_.loop; }
  std::uint64_t token() const noexcept { return play_.token; }

 private:
  void enterItem() noexcept;
  void nextItem() noexcept;

  ResolvedPlay play_;
  TonePlan plan_;
  std::size_t index_ = 0;
  std::uint64_t pos_ = 0;
  std::uint64_t passSamples_ = 0;
  std::optional<ToneGenerator> tone_;
  bool finished_ = false;
};

/// An open digit collection.
struct Collection {
  CollectSpec spec;
  std::string digits;
  base::SecretDigits secret;
  int count = 0;
  base::MonoTime started{};
  base::MonoTime lastDigit{};
};

/// Digits queued by sendDtmf and the packet train of the digit being sent.
struct DtmfSender {
  std::string pending;
  std::vector<DtmfPacket> train;
  std::size_t next = 0;
  int gapTicks = 0;
  std::vector<std::int16_t> inband;  ///< tone samples when the peer has no telephone-event
  std::size_t inbandPos = 0;
  bool active() const {
    return !pending.empty() || next < train.size() || gapTicks > 0 || inbandPos < inband.size();
  }
};

struct Session {
  Session(SessionId id, BoundPorts ports, std::uint32_t ssrc, std::uint16_t seq, std::uint32_t ts)
      : id(id), ports(ports), out(ssrc, seq, ts) {}

  SessionId id;
  BoundPorts ports;
  std::uint32_t slot = 0;  ///< the worker's socket slot (MediaWorker::slots_)
  RtpParams params;
  bool configured = false;  ///< configure() gave a remote address: latch to its IP
  SocketAddress remote;
  SocketAddress remoteRtcp;
  OutStream out;
  RtpStats stats;
  ReceiveStats rx;
  DtmfEventReceiver dtmfRx;

  // Relations with other sessions of the same worker.
  Session* peer = nullptr;  ///< bridge partner
  bool inGroup = false;     ///< part of a monitor group (mixed, not relayed)
  int recorders = 0;        ///< recordings that read this session's audio
  bool echo = false;
  bool held = false;
  bool muted = false;  ///< mute(): what the far end says reaches nobody (engine.h)
  /// While muted: the source timestamp of the telephone event being relayed (the digit that
  /// started last); packets of other events are not relayed.
  std::optional<std::uint32_t> mutedEventTs;

  std::optional<Player> player;  ///< play()
  std::optional<Player> music;   ///< hold()
  std::optional<Collection> collection;
  DtmfSender dtmfOut;

  // Decoding, only while something needs the audio (recording, mixing, in-band DTMF).
  std::unique_ptr<JitterBuffer> jitter;
  std::unique_ptr<InbandDtmfDetector> inband;
  /// What the peer said in the current tick, as received (params.codec); valid when
  /// heardPresent (no frame was due: silence).
  std::array<std::uint8_t, kFrameSamples> heardCoded{};
  bool heardPresent = false;
  /// Samples, only while a monitor mix or the tone detector needs them (a recording takes the
  /// received bytes): 640 bytes that most sessions never need.
  struct Linear {
    /// heardCoded decoded (silence when missing), made on first use in a tick
    /// (MediaWorker::linearHeard).
    Frame heard{};
    bool heardDecoded = false;
    Frame mixed{};  ///< what a monitor group's mix gives this session in the current tick
    bool mixedReady = false;
  };
  std::unique_ptr<Linear> linear;

  // A telephone event that began while a secret collection was open stays hidden to its end,
  // even when the collection closes on its first packet.
  bool hideEvent = false;
  std::uint32_t hiddenEventTs = 0;

  base::MonoTime lastReceive{};
  bool timeoutReported = false;
  std::uint64_t nextReportTick = 0;
  std::optional<std::uint32_t> lastSr;
  base::MonoTime lastSrArrival{};

  bool receives() const {
    return params.direction == Direction::SendRecv || params.direction == Direction::RecvOnly;
  }
  bool sends() const {
    return remote.valid() &&
           (params.direction == Direction::SendRecv || params.direction == Direction::SendOnly);
  }
  bool secretOpen() const { return collection && collection->spec.secret; }
  /// Something wants digits and the peer has no RFC 4733: decode and run the tone detector.
  bool wantsInband() const {
    return params.telephoneEventPt < 0 && (collection || (player && player->bargeIn()));
  }
  bool needsDecode() const { return recorders > 0 || inGroup || wantsInband(); }
};

}  // namespace bankcc::media
