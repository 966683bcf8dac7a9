// SPDX-License-Identifier: Apache-2.0
#pragma once

// One media worker: a thread running an epoll loop over its sessions' sockets, an eventfd for
// its command queue and a timerfd for the 20 ms media clock (ARCHITECTURE.md "Threads"). All
// sessions, bridges, recordings and monitor groups of a call live on one worker, so none of
// their state is locked. The only lock is the command queue's, taken once per command.
//
// A session moves between workers by messages alone (media_worker_move.cc, decision 0027): the
// engine records the new owner and posts Expect to it and Detach to the old one, under one lock,
// so that every later command for the session goes to the new worker. The old worker handles
// Detach in order with the commands before it: it cuts the session's links to other sessions,
// takes its sockets out of its epoll set and hands the Session object over in Adopt. The new
// worker holds back every command naming the session from Expect until Adopt (and every later
// command naming a session that a held-back command names), then registers the sockets and
// replays them in order. A Detach for a session that is gone answers Abandon instead.

#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "media/call_recorder.h"
#include "media/engine.h"
#include "media/media_session.h"
#include "media/recording_writer_pool.h"
#include "media/rtp_port_pool.h"
#include "media/send_batch.h"

namespace bankcc::media {

/// Commands posted to a worker by the engine front (and, during a move, by another worker).
/// Prompts are already resolved.
namespace cmd {
struct AddSession {
  SessionId id;
  BoundPorts ports;
};
struct Configure {
  SessionId s;
  RtpParams params;
  SocketAddress remote, remoteRtcp;
};
struct Play {
  SessionId s;
  ResolvedPlay play;
};
struct StopPlay {
  SessionId s;
};
struct Collect {
  SessionId s;
  CollectSpec spec;
};
struct StopCollect {
  SessionId s;
};
struct Bridge {
  SessionId a, b;
};
struct Unbridge {
  SessionId s;
};
struct Hold {
  SessionId s;
  ResolvedPlay music;
};
struct Retrieve {
  SessionId s;
};
struct Mute {
  SessionId s;
  bool muted = true;
};
struct Echo {
  SessionId s;
};
struct StartRecording {
  RecordingSpec spec;
};
struct PauseRecording {
  std::string id;
  bool pause = true;
};
struct StopRecording {
  std::string id;
};
struct Monitor {
  SessionId third, agent, customer;
  telephony::MonitorMode mode;
};
struct StopMonitor {
  SessionId third;
};
struct SendDtmf {
  SessionId s;
  std::string digits;
};
struct Destroy {
  SessionId s;
};
struct Shutdown {};
// A move (media_worker_move.cc): Expect and Detach from the engine, Adopt or Abandon from the
// old worker to the new one.
/// To the new worker: `s` is on its way; hold back the commands naming it until it arrives.
struct Expect {
  SessionId s;
};
/// To the old worker: hand `s` to worker `to`.
struct Detach {
  SessionId s;
  std::size_t to = 0;
};
/// To the new worker: the session, with its sockets out of the old worker's epoll set and no
/// links to other sessions.
struct Adopt {
  std::unique_ptr<Session> session;
};
/// To the new worker: `s` was gone when its Detach ran; it will not come.
struct Abandon {
  SessionId s;
};
}  // namespace cmd
using WorkerCommand =
    std::variant<cmd::AddSession, cmd::Configure, cmd::Play, cmd::StopPlay, cmd::Collect,
                 cmd::StopCollect, cmd::Bridge, cmd::Unbridge, cmd::Hold, cmd::Retrieve, cmd::Mute,
                 cmd::Echo, cmd::StartRecording, cmd::PauseRecording, cmd::StopRecording,
                 cmd::Monitor, cmd::StopMonitor, cmd::SendDtmf, cmd::Destroy, cmd::Shutdown,
                 cmd::Expect, cmd::Detach, cmd::Adopt, cmd::Abandon>;

/// What all workers share; owned by the engine, which outlives its workers.
struct WorkerContext {
  const MediaConfig* config = nullptr;
  const base::Clock* clock = nullptr;
  const MediaEventSink* sink = nullptr;
  RtpPortPool* ports = nullptr;
  RecordingWriterPool* writers = nullptr;
  /// How many workers there are: worker i runs its 20 ms clock i/N of a period after worker 0,
  /// so that their ticks do not all take the cores at the same moment.
  std::size_t workerCount = 1;
  /// Reports a recording that ended without reaching the writer pool (its sessions were gone).
  std::function<void(RecordingDone)> recordingFailed;
  /// Posts to worker `index` (a move's Adopt or Abandon). Valid until every worker stopped.
  std::function<void(std::size_t index, WorkerCommand)> postTo;
  /// A session expected by worker `index` is gone: the engine forgets where it moved it.
  std::function<void(SessionId, std::size_t index)> moveAbandoned;
};

/// Counters of one worker (exported as metrics later).
struct WorkerCounters {
  std::uint64_t ticks = 0, lateTicks = 0, skippedTicks = 0;
  std::uint64_t datagrams = 0, relayed = 0, sendErrors = 0;
};

class MediaWorker {
 public:
  MediaWorker(std::size_t index, WorkerContext context);
  /// Joins the thread (after Shutdown) and closes the loop's descriptors.
  ~MediaWorker();
  MediaWorker(const MediaWorker&) = delete;
  MediaWorker& operator=(const MediaWorker&) = delete;

  /// Creates the loop's descriptors and starts the thread. Internal on failure.
  base::Status start();
  /// Queues a command. Thread-safe; never blocks on the worker.
  void post(WorkerCommand command);
  /// Posts Shutdown (release every session) and joins the thread.
  void stop();
  /// Releases (SessionReleased) the sessions that were handed to this worker after it stopped,
  /// by a worker that stopped later. Call after every worker of the engine has stopped.
  void releaseStranded();

  std::size_t index() const { return index_; }
  /// Sessions placed on this worker (counted at creation on the creating thread; a move takes
  /// one from the old worker when it leaves and gives it to the new one when it arrives).
  std::atomic<std::size_t> load{0};

 private:
  struct MonitorGroup {
    Session* third;
    Session* agent;
    Session* customer;
    telephony::MonitorMode mode;
  };
  /// A running recording and its two sessions, which outlive it (releasing a session finishes
  /// its recordings first).
  struct Recording {
    std::unique_ptr<CallRecorder> recorder;
    Session* left;
    Session* right;
  };
  /// Where an epoll event's key leads: the session in a slot, while the slot's generation is
  /// the key's (a slot released and reused meanwhile has moved on).
  struct SocketSlot {
    Session* session = nullptr;
    std::uint32_t generation = 0;
  };

  // media_worker.cc: the loop and the commands.
  void run() noexcept;
  void loop();
  void drainCommands();
  /// Runs one command (or holds it back, media_worker_move.cc); an exception loses only it.
  void runCommand(WorkerCommand& command) noexcept;
  void execute(WorkerCommand& command);
  void on(cmd::AddSession& c);
  void on(cmd::Configure& c);
  void on(cmd::Play& c);
  void on(cmd::StopPlay& c);
  void on(cmd::Collect& c);
  void on(cmd::StopCollect& c);
  void on(cmd::Bridge& c);
  void on(cmd::Unbridge& c);
  void on(cmd::Hold& c);
  void on(cmd::Retrieve& c);
  void on(cmd::Mute& c);
  void on(cmd::Echo& c);
  void on(cmd::StartRecording& c);
  void on(cmd::PauseRecording& c);
  void on(cmd::StopRecording& c);
  void on(cmd::Monitor& c);
  void on(cmd::StopMonitor& c);
  void on(cmd::SendDtmf& c);
  void on(cmd::Destroy& c);
  void on(cmd::Shutdown& c);
  Session* find(SessionId id);
  /// The session whose socket an epoll key names, or nullptr when it was released.
  Session* sessionOfKey(std::uint64_t key) const;
  /// Gives `s` a socket slot and adds its sockets to the epoll set.
  void registerSockets(Session& s);
  /// Takes `s`'s sockets out of the epoll set and frees its slot (stale events find nothing).
  void unregisterSockets(Session& s);
  void release(Session& s);
  /// Ends `s`'s links to other sessions: recordings reading it, its monitor groups, its bridge.
  /// Returns what was cut, for a log line (empty when nothing was).
  std::string cutLinks(Session& s);
  /// The end of every session: answers what is pending, closes the sockets, returns the port
  /// and reports SessionReleased. `s` is in no worker's epoll set or map any more.
  void closeReleased(std::unique_ptr<Session> s);
  void unlinkPeer(Session& s);
  void removeGroupsOf(const Session& s);
  void finishRecorder(std::size_t i);
  void emit(MediaEvent event);

  // media_worker_rtp.cc: receiving, relaying, sending.
  void onReadable(std::uint64_t key);
  void onRtp(Session& s, std::span<const std::uint8_t> datagram, const sockaddr_storage& from);
  void onRtcp(Session& s, std::span<const std::uint8_t> datagram, const sockaddr_storage& from);
  void onTelephoneEvent(Session& s, const RtpView& p);
  /// Whether the bridge passes packets from `from` to `to` now: telephone events always,
  /// audio only when canRelay() also holds.
  bool bridgeOpen(const Session& from, const Session& to) const;
  bool canRelay(const Session& from, const Session& to) const;
  void relayAudio(Session& from, Session& to, const RtpView& p);
  /// Sends one RTP packet to `s`'s remote; while a receive batch is handled (batching_), the
  /// packet joins tx_ instead and goes out with the others for the same destination.
  void sendPacket(Session& s, const RtpHeader& h, std::span<const std::uint8_t> payload);
  /// Sends what tx_ holds (one sendmmsg) and counts it on the session it went to.
  void flushSends();
  void sendFrame(Session& s, std::span<const std::int16_t, kFrameSamples> frame);
  void sendReport(Session& s);

  // media_worker_tick.cc: the 20 ms media clock.
  void onTimer();
  void tick();
  /// Relays what arrived on the sockets meanwhile (epoll with no wait), between slices of a
  /// tick, so that a packet does not wait for the whole tick's decoding and recording.
  /// Commands and the timer wait for the main loop.
  void serviceSocketsDuringTick();
  void tickInput(Session& s);
  void tickOutput(Session& s);
  void stepDtmf(Session& s);
  void mixGroup(MonitorGroup& g);
  /// The sample buffers of `s`, made on first use.
  Session::Linear& linearOf(Session& s);
  /// What `s` heard in this tick as samples, decoded on first use in the tick.
  std::span<const std::int16_t, kFrameSamples> linearHeard(Session& s);
  /// What the far end of `s` said in this tick as samples, for mixes and recordings: nothing
  /// while `s` is muted.
  std::span<const std::int16_t, kFrameSamples> voiceOf(Session& s);
  /// voiceOf() as received, for a recording channel.
  CodedFrame codedVoiceOf(const Session& s) const;
  void record(Recording& r);
  void handleDigit(Session& s, char digit, std::uint32_t durationSamples);
  void collectDigit(Session& s, char digit);
  void finishCollection(Session& s, ev::DigitsCollected::Reason reason);
  void finishPlayback(Session& s, bool interrupted);

  // media_worker_move.cc: moving a session to another worker (the header comment).
  void on(cmd::Expect& c);
  void on(cmd::Detach& c);
  void on(cmd::Adopt& c);
  void on(cmd::Abandon& c);
  /// Whether `command` must wait: it names a session on its way here, or a session or a
  /// recording that a command held back already names (that one runs first).
  bool mustWait(const WorkerCommand& command) const;
  void holdBack(WorkerCommand command);
  /// Runs the held-back commands again, in order; some may wait again for another session.
  void replayHeldBack();

  const std::size_t index_;
  WorkerContext ctx_;
  int epollFd_ = -1, wakeFd_ = -1, timerFd_ = -1;
  std::thread thread_;
  bool running_ = true;

  std::mutex queueMu_;
  std::vector<WorkerCommand> queue_;  // guarded by queueMu_
  std::vector<WorkerCommand> draining_;

  std::unordered_map<std::uint64_t, std::unique_ptr<Session>> sessions_;
  // Epoll keys name a slot here rather than a session id: a packet finds its session with an
  // index instead of a hash lookup (media_worker.cc, epollKey).
  std::vector<SocketSlot> slots_;
  std::vector<std::uint32_t> freeSlots_;
  std::vector<Recording> recorders_;
  std::vector<MonitorGroup> groups_;
  // Moves (media_worker_move.cc). All empty but for the moment a session is on its way here.
  std::unordered_set<std::uint64_t> expected_;      // Expect seen, Adopt not yet
  std::vector<WorkerCommand> heldBack_;             // commands waiting for them, in order
  std::unordered_set<std::uint64_t> heldSessions_;  // sessions named by heldBack_
  std::vector<std::string> heldRecordings_;         // recordings named by heldBack_
  std::uint64_t tick_ = 0;
  base::MonoTime now_{};
  WorkerCounters counters_;

  // Receive and send buffers, reused for every packet (no allocation on the packet path).
  static constexpr std::size_t kBatch = 16;
  static constexpr std::size_t kMaxDatagram = 2048;
  std::array<std::array<std::uint8_t, kMaxDatagram>, kBatch> rxBuf_{};
  std::array<sockaddr_storage, kBatch> rxFrom_{};
  std::array<std::uint8_t, kMaxDatagram> txBuf_{};
  // Relayed packets of one receive batch (media_worker_rtp.cc): one bridge partner's socket,
  // flushed at the end of the batch, before any command can run, so txTo_ stays valid.
  SendBatch tx_;
  Session* txTo_ = nullptr;
  bool batching_ = false;
  std::array<std::uint8_t, kMaxDatagram> payloadBuf_{};
  std::array<std::int16_t, kFrameSamples * 3> mixIn_{};
};

}  // namespace bankcc::media
