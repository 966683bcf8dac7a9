// SPDX-License-Identifier: Apache-2.0
// The engine front: MediaEngine::start() and the thread-safe methods, which bind sockets on the
// calling thread, resolve prompts, and post typed commands to the session's worker. The table
// of moved sessions lives here: a move and every post that follows it see the same owner.
#include "media/engine.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "base/assert.h"
#include "media/media_worker.h"
#include "media/recording_writer_pool.h"
#include "media/rtp_port_pool.h"

namespace bankcc::media {
namespace {

constexpr std::size_t kMaxWorkers = 256;  // the worker index is 8 bits of a SessionId

std::uint64_t toSamples(base::Duration d) {
  return d.count() <= 0 ? 0 : static_cast<std::uint64_t>(d.count()) * 8 / 1000;
}

class MediaEngineImpl final : public MediaEngine {
 public:
  MediaEngineImpl(const MediaConfig& config, const base::Clock& clock, const PromptLibrary& prompts,
                  MediaEventSink sink)
      : config_(config),
        clock_(clock),
        prompts_(prompts),
        sink_(std::move(sink)),
        ports_(config.rtpAddress, config.portMin, config.portMax) {}

  ~MediaEngineImpl() override {
    // Workers release their sessions (SessionReleased) and close their recordings; the pool
    // then finishes the files and reports RecordingStopped before it is destroyed. A session
    // on its way between two workers reaches the new one after that one stopped, perhaps: it
    // is released once all have.
    for (auto& w : workers_) w->stop();
    for (auto& w : workers_) w->releaseStranded();
    workers_.clear();
    writers_.reset();
  }

  base::Status init() {
    std::size_t n = config_.workers != 0 ? config_.workers : std::thread::hardware_concurrency();
    n = std::clamp<std::size_t>(n, 1, kMaxWorkers);
    if (config_.portMin > config_.portMax) {
      return base::err(
          base::Errc::ValidationFailed,
          fmt::format("media port_min {} is above port_max {}", config_.portMin, config_.portMax));
    }
    // One pair must bind now, or no call could ever get media.
    auto probe = ports_.allocate();
    if (!probe.ok()) return std::move(probe).error();
    ::close(probe->rtpFd);
    ::close(probe->rtcpFd);
    ports_.release(probe->port);

    writers_ = std::make_unique<RecordingWriterPool>(
        config_.recordingDir, config_.recordingKey, std::max<std::size_t>(config_.writerThreads, 1),
        [this](RecordingDone done) { onRecordingDone(std::move(done)); });
    WorkerContext ctx;
    ctx.config = &config_;
    ctx.clock = &clock_;
    ctx.sink = &sink_;
    ctx.ports = &ports_;
    ctx.writers = writers_.get();
    ctx.workerCount = n;
    ctx.recordingFailed = [this](RecordingDone done) { onRecordingDone(std::move(done)); };
    // workers_ is complete before any move can start, and outlives every worker thread.
    ctx.postTo = [this](std::size_t w, WorkerCommand c) { workers_[w]->post(std::move(c)); };
    ctx.moveAbandoned = [this](SessionId s, std::size_t w) { forgetMove(s, w); };
    for (std::size_t i = 0; i < n; ++i) {
      workers_.push_back(std::make_unique<MediaWorker>(i, ctx));
      BANKCC_TRY(workers_.back()->start());
    }
    spdlog::info("media engine: {} workers, RTP {}:{}-{}", n, config_.rtpAddress, config_.portMin,
                 config_.portMax);
    return {};
  }

  base::Result<SessionCreated> createSession(std::optional<SessionId> near) override {
    std::size_t w = workers_.size();
    if (near) w = workerOf(*near);
    if (w >= workers_.size()) w = leastLoaded();
    auto ports = ports_.allocate();
    if (!ports.ok()) return std::move(ports).error();
    SessionId id{(std::uint64_t{w} << 56) | (nextId_.fetch_add(1, std::memory_order_relaxed) &
                                             ((std::uint64_t{1} << 56) - 1))};
    workers_[w]->load.fetch_add(1, std::memory_order_relaxed);
    std::uint16_t port = ports->port;
    workers_[w]->post(cmd::AddSession{id, *ports});
    return SessionCreated{id, config_.rtpAddress, port};
  }

  void configure(SessionId s, const RtpParams& params) override {
    cmd::Configure c{s, params, {}, {}};
    if (params.remotePort != 0) {
      c.remote = SocketAddress::parse(params.remoteAddress, params.remotePort);
      if (!c.remote.valid()) {
        spdlog::warn("media: remote address '{}' is not a numeric IP; nothing will be sent",
                     params.remoteAddress);
      }
      std::uint16_t rtcpPort = params.remoteRtcpPort != 0 ? params.remoteRtcpPort
                               : params.rtcpMux           ? params.remotePort
                                                          : params.remotePort + 1;
      c.remoteRtcp = SocketAddress::parse(params.remoteAddress, rtcpPort);
    }
    post(s, std::move(c));
  }

  void play(SessionId s, PlaySpec spec) override {
    ResolvedPlay play;
    play.bargeIn = spec.bargeIn;
    play.loop = spec.loop;
    play.token = spec.token;
    for (const auto& item : spec.items) {
      ResolvedItem r;
      r.kind = item.kind;
      r.tone = item.tone;
      r.samples = toSamples(item.duration);
      if (item.kind == telephony::PlayItem::Kind::Prompt) {
        r.prompt = prompts_.find(item.prompt);
        if (!r.prompt) {
          spdlog::warn("media: unknown prompt '{}' skipped", item.prompt);
          continue;
        }
      }
      play.items.push_back(std::move(r));
    }
    post(s, cmd::Play{s, std::move(play)});
  }

  void stopPlay(SessionId s) override { post(s, cmd::StopPlay{s}); }
  void collect(SessionId s, CollectSpec spec) override { post(s, cmd::Collect{s, spec}); }
  void stopCollect(SessionId s) override { post(s, cmd::StopCollect{s}); }

  void bridge(SessionId a, SessionId b) override {
    std::lock_guard lock(movesMu_);
    const std::size_t wa = workerOfLocked(a), wb = workerOfLocked(b);
    if (wa >= workers_.size() || wb >= workers_.size()) return;  // not ids of this engine
    if (wa != wb) moveLocked(b, wb, wa);
    workers_[wa]->post(cmd::Bridge{a, b});
  }

  void unbridge(SessionId s) override { post(s, cmd::Unbridge{s}); }

  void hold(SessionId s, std::string music) override {
    ResolvedPlay play;
    play.loop = true;
    if (auto prompt = prompts_.find(music)) {
      play.items.push_back(ResolvedItem{telephony::PlayItem::Kind::Prompt, prompt, {}, 0});
    } else {
      spdlog::warn("media: unknown music on hold '{}': the held party hears silence", music);
    }
    post(s, cmd::Hold{s, std::move(play)});
  }

  void retrieve(SessionId s) override { post(s, cmd::Retrieve{s}); }
  void mute(SessionId s, bool muted) override { post(s, cmd::Mute{s, muted}); }
  void echo(SessionId s) override { post(s, cmd::Echo{s}); }

  void startRecording(RecordingSpec spec) override {
    {
      // Under the moves' lock, so that no move of a leg slips between the check and the post.
      std::lock_guard lock(movesMu_);
      const std::size_t w = workerOfLocked(spec.left);
      if (w == workerOfLocked(spec.right) && w < workers_.size()) {
        {
          std::lock_guard recordingsLock(recordingsMu_);
          if (!recordings_.emplace(spec.recordingId, w).second) {
            spdlog::warn("media: recording {} already started", spec.recordingId);
            return;
          }
        }
        workers_[w]->post(cmd::StartRecording{std::move(spec)});
        return;
      }
    }
    // voice records a bridged pair, which is on one worker; anything else is a bug there.
    BANKCC_BUG("recording of sessions on different media workers refused");
    onRecordingDone(RecordingDone{spec.recordingId, {}, 0, false, "legs on different workers"});
  }

  void pauseRecording(const std::string& id) override {
    postRecording(id, cmd::PauseRecording{id, true});
  }
  void resumeRecording(const std::string& id) override {
    postRecording(id, cmd::PauseRecording{id, false});
  }
  void stopRecording(const std::string& id) override { postRecording(id, cmd::StopRecording{id}); }

  void monitor(SessionId third, SessionId agent, SessionId customer,
               telephony::MonitorMode mode) override {
    {
      std::lock_guard lock(movesMu_);
      const std::size_t wt = workerOfLocked(third), wa = workerOfLocked(agent);
      if (wa == workerOfLocked(customer) && wa < workers_.size() && wt < workers_.size()) {
        if (wt != wa) moveLocked(third, wt, wa);
        workers_[wa]->post(cmd::Monitor{third, agent, customer, mode});
        return;
      }
    }
    // The agent and the customer are bridged, so on one worker: anything else is a bug in voice.
    BANKCC_BUG("monitor of a bridge across media workers refused");
  }

  void stopMonitor(SessionId third) override { post(third, cmd::StopMonitor{third}); }
  void sendDtmf(SessionId s, std::string digits) override {
    post(s, cmd::SendDtmf{s, std::move(digits)});
  }
  void destroy(SessionId s) override {
    std::lock_guard lock(movesMu_);
    const std::size_t w = workerOfLocked(s);
    // The last command for `s`: later ones go to its home worker, which ignores them.
    moved_.erase(s.value);
    if (w < workers_.size()) workers_[w]->post(cmd::Destroy{s});
  }

  std::size_t workerCount() const override { return workers_.size(); }

  std::size_t workerOf(SessionId s) const override {
    std::lock_guard lock(movesMu_);
    return workerOfLocked(s);
  }

 private:
  // Under movesMu_ for the whole of each post: a move in between would send the command to
  // a worker that has handed the session on already.
  void post(SessionId s, WorkerCommand c) {
    std::lock_guard lock(movesMu_);
    const std::size_t w = workerOfLocked(s);
    if (w < workers_.size()) workers_[w]->post(std::move(c));
  }

  std::size_t workerOfLocked(SessionId s) const {
    auto it = moved_.find(s.value);
    return it != moved_.end() ? it->second : homeWorkerOf(s);
  }

  /// Moves `s` from worker `from` to `to` (media_worker.h): from here on its commands go to
  /// `to`, which holds them back until the session arrives. Under movesMu_.
  void moveLocked(SessionId s, std::size_t from, std::size_t to) {
    if (to == homeWorkerOf(s)) {
      moved_.erase(s.value);  // back home: the id says it
    } else {
      moved_[s.value] = to;
    }
    workers_[to]->post(cmd::Expect{s});
    workers_[from]->post(cmd::Detach{s, to});
  }

  // On worker `w`'s thread: `s` was gone before its move to `w` (destroyed meanwhile).
  void forgetMove(SessionId s, std::size_t w) {
    std::lock_guard lock(movesMu_);
    auto it = moved_.find(s.value);
    if (it != moved_.end() && it->second == w) moved_.erase(it);
  }

  void postRecording(const std::string& id, WorkerCommand c) {
    std::size_t w;
    {
      std::lock_guard lock(recordingsMu_);
      auto it = recordings_.find(id);
      if (it == recordings_.end()) return;  // stopped already, or its legs ended
      w = it->second;
    }
    workers_[w]->post(std::move(c));
  }

  std::size_t leastLoaded() const {
    std::size_t best = 0;
    for (std::size_t i = 1; i < workers_.size(); ++i) {
      if (workers_[i]->load.load(std::memory_order_relaxed) <
          workers_[best]->load.load(std::memory_order_relaxed)) {
        best = i;
      }
    }
    return best;
  }

  // On a writer thread (or a worker for a recording that never started).
  void onRecordingDone(RecordingDone done) {
    {
      std::lock_guard lock(recordingsMu_);
      recordings_.erase(done.recordingId);
    }
    if (!done.error.empty()) {
      spdlog::warn("recording {} incomplete: {}", done.recordingId, done.error);
    }
    sink_(ev::RecordingStopped{done.recordingId, done.file.string(),
                               base::Duration(static_cast<std::int64_t>(done.frames) * 125),
                               done.complete});
  }

  const MediaConfig config_;
  const base::Clock& clock_;
  const PromptLibrary& prompts_;
  const MediaEventSink sink_;
  RtpPortPool ports_;
  std::unique_ptr<RecordingWriterPool> writers_;
  std::vector<std::unique_ptr<MediaWorker>> workers_;
  std::atomic<std::uint64_t> nextId_{1};
  // Sessions not on their home worker (homeWorkerOf): id -> worker. Entries leave with
  // destroy(), a move home, or a move of a session that was gone already.
  mutable std::mutex movesMu_;
  std::unordered_map<std::uint64_t, std::size_t> moved_;
  std::mutex recordingsMu_;
  std::map<std::string, std::size_t> recordings_;  // recording id -> worker
};

}  // namespace

base::Result<std::unique_ptr<MediaEngine>> MediaEngine::start(const MediaConfig& config,
                                                              const base::Clock& clock,
                                                              const PromptLibrary& prompts,
                                                              MediaEventSink sink) {
  auto engine = std::make_unique<MediaEngineImpl>(config, clock, prompts, std::move(sink));
  BANKCC_TRY(engine->init());
  return std::unique_ptr<MediaEngine>(std::move(engine));
}

}  // namespace bankcc::media
