// SPDX-License-Identifier: Apache-2.0
#pragma once

// The RTP media engine (ARCHITECTURE.md "Threads"): N worker threads, each an epoll loop with a
// 20 ms media clock. A session (one leg's RTP socket and state) lives on one worker at a time;
// a session created `near` another is placed on that one's current worker, so bridges,
// recordings and monitor mixes of one call run on one thread without locks. A bridge or a
// monitor of sessions on different workers first moves the second session (decision 0027: the
// persistent agent line meets a customer on another worker): its id, socket, RTP numbering
// and internal state travel with it, its links to other sessions do not (see bridge()). Workers
// never touch files: prompts come from the PromptLibrary in memory; recorders hand chunks to
// the RecordingWriterPool.
//
// Every public method is thread-safe: it posts a command to the session's worker and returns.
// Commands for a session that no longer exists are ignored; commands posted to one session are
// carried out in the order posted, moves included. Results come back as MediaEvents on the
// sink, called on a worker or writer thread; the sink must not block (voice posts them to the
// SIP thread). For one session, events are delivered in order and SessionReleased is its last
// event.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/secret_digits.h"
#include "media/g711.h"
#include "media/prompt_library.h"
#include "media/recording_file.h"
#include "media/tones.h"
#include "telephony/types.h"

namespace bankcc::media {

/// Names a session. The index of the worker that created it is in the top 8 bits; a session
/// keeps its id when it moves (MediaEngine::workerOf).
struct SessionId {
  std::uint64_t value = 0;
  friend auto operator<=>(const SessionId&, const SessionId&) = default;
};

enum class Direction { SendRecv, SendOnly, RecvOnly, Inactive };

struct MediaConfig {
  std::size_t workers = 0;               ///< 0: one per core
  std::string rtpAddress = "127.0.0.1";  ///< the address RTP sockets bind to and SDP announces
  std::uint16_t portMin = 20000;         ///< even ports are used for RTP (+1 for RTCP without mux)
  std::uint16_t portMax = 29999;
  base::Duration rtpTimeout = std::chrono::seconds(30);  ///< zero: never
  std::size_t jitterDepthFrames = 2;
  TonePlan tonePlan = TonePlan::China;
  std::filesystem::path recordingDir;  ///< where recordings go
  RecordingMasterKey recordingKey{};   ///< wraps the per-file recording keys
  std::size_t writerThreads = 1;
};

/// What the far end sends and expects, from the negotiated SDP (voice maps it from sip/).
struct RtpParams {
  std::string remoteAddress;
  std::uint16_t remotePort = 0;      ///< 0: no remote yet (nothing is sent)
  std::uint16_t remoteRtcpPort = 0;  ///< 0: remotePort + 1, or remotePort with rtcpMux
  G711 codec = G711::Alaw;
  std::uint8_t payloadType = 8;
  int telephoneEventPt = -1;  ///< -1: the peer has no RFC 4733; detect DTMF in band
  int ptimeMs = 20;
  bool rtcpMux = false;
  Direction direction = Direction::SendRecv;  ///< our direction toward this peer
};

struct SessionCreated {
  SessionId id;
  std::string localAddress;
  std::uint16_t localPort = 0;  ///< RTP; RTCP is localPort + 1 unless muxed
};

struct PlaySpec {
  std::vector<telephony::PlayItem> items;
  bool bargeIn = false;
  bool loop = false;
  std::uint64_t token = 0;  ///< echoed in PlaybackDone
};

/// A digit collection. The first-digit timeout starts when no playback is running on the
/// session (a prompt played for the collection holds it back until it ends or is barged in).
struct CollectSpec {
  int minDigits = 1;
  int maxDigits = 1;
  base::Duration firstDigitTimeout = std::chrono::seconds(5);
  base::Duration interDigitTimeout = std::chrono::seconds(3);
  char terminator = '#';
  bool secret = false;
  std::uint64_t token = 0;
};

struct RecordingSpec {
  std::string recordingId;  ///< UUIDv7; names the file (recording_file.h recordingPath)
  SessionId left;           ///< customer
  SessionId right;          ///< agent (a third party is mixed in)
};

struct RtpStats {
  std::uint64_t packetsReceived = 0, packetsSent = 0, packetsLost = 0;
  std::uint64_t malformed = 0;  ///< datagrams dropped as not RTP, bad version, truncated, ...
  double jitterMs = 0;          ///< RFC 3550 interarrival jitter
  std::uint64_t unknownPayloadType = 0;  ///< valid RTP with a payload type not negotiated
  std::uint64_t foreignSource = 0;       ///< from another IP than the configured remote (dropped)
  std::uint64_t rtcpReceived = 0;        ///< valid RTCP compound packets
};

namespace ev {
struct PlaybackDone {
  SessionId session;
  std::uint64_t token = 0;
  bool interrupted = false;
};
struct DigitPressed {
  SessionId session;
  char digit = 0;
  base::Duration duration{};
};
struct DigitsCollected {
  /// TooFew: the terminator, or a timeout after at least one digit, before minDigits.
  enum class Reason { MaxDigits, Terminator, Timeout, TooFew, Stopped };
  SessionId session;
  std::uint64_t token = 0;
  Reason reason = Reason::MaxDigits;
  std::string digits;         ///< open collection
  base::SecretDigits secret;  ///< secret collection
};
struct RecordingStopped {
  std::string recordingId;
  std::string file;
  base::Duration duration{};
  bool complete = true;
};
struct MediaTimeout {
  SessionId session;
};
/// The session's socket is closed and its state gone: its last event.
struct SessionReleased {
  SessionId session;
  RtpStats stats;
};
}  // namespace ev

using MediaEvent = std::variant<ev::PlaybackDone, ev::DigitPressed, ev::DigitsCollected,
                                ev::RecordingStopped, ev::MediaTimeout, ev::SessionReleased>;
using MediaEventSink = std::function<void(MediaEvent)>;

class MediaEngine {
 public:
  /// Starts the workers and the recording writer pool. Unavailable when no RTP port can be
  /// bound at all. `prompts` and `clock` must outlive the engine.
  static base::Result<std::unique_ptr<MediaEngine>> start(const MediaConfig& config,
                                                          const base::Clock& clock,
                                                          const PromptLibrary& prompts,
                                                          MediaEventSink sink);
  /// Stops the workers: every live session is released (SessionReleased), every open
  /// recording finished (RecordingStopped).
  virtual ~MediaEngine() = default;

  /// Binds an RTP socket (and RTCP) now, on the calling thread, and hands the session to a
  /// worker: `near`'s current worker (workerOf) when given, else the least loaded. Unavailable when
  /// the port range is exhausted.
  virtual base::Result<SessionCreated> createSession(std::optional<SessionId> near) = 0;
  /// Sets or changes where and how to send (answer received, re-INVITE, hold). Until a remote
  /// is configured, packets from any source are accepted; afterwards only those from the
  /// remote's IP (any port; the rest count in RtpStats::foreignSource). We always send 20 ms
  /// frames; `ptimeMs` is not used yet.
  virtual void configure(SessionId s, const RtpParams& params) = 0;
  virtual void play(SessionId s, PlaySpec spec) = 0;
  virtual void stopPlay(SessionId s) = 0;
  /// Collects digits (RFC 4733, or in band when the peer has no telephone-event). A secret
  /// collection reports no DigitPressed, relays neither DTMF nor audio of `s` to its bridge
  /// partner while open, and pauses the call's recording. Digits that barged into a prompt
  /// while no collection was open count as the first digits of the next open collection.
  virtual void collect(SessionId s, CollectSpec spec) = 0;
  virtual void stopCollect(SessionId s) = 0;
  /// Bridges `a` and `b`. When they are on different workers, `b` moves to `a`'s worker first
  /// (create the second leg `near` the first to avoid the move). A move is meant for an idle
  /// session (no bridge, recording or monitor group): links of `b` to other sessions are cut
  /// on the way (its old bridge ends, its monitor groups end, recordings reading it stop with
  /// RecordingStopped) and a warning is logged; its own state (RTP numbering, playback, hold,
  /// mute, digit collection, DTMF) travels unchanged, and so does its port. Relays packets
  /// without decoding when the codecs match (rewriting SSRC, sequence, timestamp and payload
  /// type per leg); transcodes otherwise. Recording and DTMF detection still see the audio.
  virtual void bridge(SessionId a, SessionId b) = 0;
  virtual void unbridge(SessionId s) = 0;
  /// `s` hears `music` looped; its bridge partner hears silence, until retrieve().
  virtual void hold(SessionId s, std::string music) = 0;
  virtual void retrieve(SessionId s) = 0;
  /// While `muted`, what the far end of `s` says reaches nobody: no audio of `s` is relayed to its
  /// bridge partner (who hears nothing, as with hold), a monitor mix takes `s` as silence, and
  /// the recording channel of `s` carries silence (the agent channel still carries a third
  /// party mixed into it). `s` itself still hears everything. Its RFC 4733 digits are still
  /// relayed (they are not audio); in-band digits are audio and are not. Unmuting continues the
  /// partner's stream where it stopped. Idempotent.
  virtual void mute(SessionId s, bool muted) = 0;
  /// Sends back to the peer what it sends (the echo test number).
  virtual void echo(SessionId s) = 0;
  /// Records `left` (what the customer says) and `right` (what the agent says, plus a third
  /// party in Whisper or Barge mode; a listening supervisor is silent) on the worker of
  /// `left`; both must be on one worker (bridge them first), else the recording is refused
  /// with a logged BANKCC_BUG and RecordingStopped{complete = false}. Paused recordings and every
  /// moment a secret collection is open on either leg are written as silence on both channels, so
  /// the time line stays intact. Ends with RecordingStopped (also when a leg is destroyed).
  virtual void startRecording(RecordingSpec spec) = 0;
  virtual void pauseRecording(const std::string& recordingId) = 0;
  virtual void resumeRecording(const std::string& recordingId) = 0;
  virtual void stopRecording(const std::string& recordingId) = 0;
  /// Adds `third` to the bridge of `agent` and `customer` in `mode` (or switches mode). A
  /// `third` on another worker moves to theirs first, as in bridge(); `agent` and `customer`
  /// on different workers are refused with a logged BANKCC_BUG.
  virtual void monitor(SessionId third, SessionId agent, SessionId customer,
                       telephony::MonitorMode mode) = 0;
  virtual void stopMonitor(SessionId third) = 0;
  virtual void sendDtmf(SessionId s, std::string digits) = 0;
  /// Closes the session; SessionReleased follows.
  virtual void destroy(SessionId s) = 0;

  virtual std::size_t workerCount() const = 0;
  /// The worker that serves `s` for commands posted from now on: the one it was last moved
  /// to, else the one that created it. Thread-safe (a short lock: once per command, never per
  /// packet).
  virtual std::size_t workerOf(SessionId s) const = 0;
  /// The worker that created `s` (the top bits of its id), wherever it is now.
  static std::size_t homeWorkerOf(SessionId s) { return static_cast<std::size_t>(s.value >> 56); }
};

}  // namespace bankcc::media
