// SPDX-License-Identifier: Apache-2.0
// The worker's loop and its commands. Receiving and sending are in media_worker_rtp.cc, the
// 20 ms media clock in media_worker_tick.cc.
#include "media/media_worker.h"

#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string_view>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "base/assert.h"
#include "base/log.h"

namespace bankcc::media {
namespace {

constexpr std::uint64_t kWakeKey = ~std::uint64_t{0};
constexpr std::uint64_t kTimerKey = ~std::uint64_t{0} - 1;
constexpr int kMaxEvents = 64;

// Epoll keys of sockets: the slot's generation (31 bits) in the high half, the slot index
// (31 bits) and whether the socket is the RTCP one in the low half. Bit 63 is always clear,
// so no key equals kWakeKey or kTimerKey.
constexpr std::uint32_t kKeyMask = 0x7fff'ffff;

std::uint64_t epollKey(std::uint32_t slot, std::uint32_t generation, bool rtcp) {
  return std::uint64_t{generation & kKeyMask} << 32 | std::uint64_t{slot & kKeyMask} << 1 |
         std::uint64_t{rtcp};
}

}  // namespace

MediaWorker::MediaWorker(std::size_t index, WorkerContext context)
    : index_(index), ctx_(std::move(context)) {}

MediaWorker::~MediaWorker() {
  if (thread_.joinable()) stop();
  for (int fd : {epollFd_, wakeFd_, timerFd_}) {
    if (fd >= 0) ::close(fd);
  }
}

base::Status MediaWorker::start() {
  epollFd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  timerFd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (epollFd_ < 0 || wakeFd_ < 0 || timerFd_ < 0) {
    return base::err(
        base::Errc::Internal,
        std::string("media worker: cannot create descriptors: ") + std::strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeKey;
  ::epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev);
  ev.data.u64 = kTimerKey;
  ::epoll_ctl(epollFd_, EPOLL_CTL_ADD, timerFd_, &ev);

  // Absolute deadlines on a fixed 20 ms grid: the clock does not drift however late a tick
  // runs; the expiration count tells how many ticks were missed. Each worker's grid is shifted
  // by its share of the period: a tick of hundreds of recorded calls takes a while, and
  // packets wait less when the workers' ticks do not fall on the same moment.
  timespec first{};
  ::clock_gettime(CLOCK_MONOTONIC, &first);
  const std::size_t workers = std::max<std::size_t>(ctx_.workerCount, 1);
  first.tv_nsec += 20'000'000 + static_cast<long>(20'000'000 * (index_ % workers) / workers);
  if (first.tv_nsec >= 1'000'000'000) {
    first.tv_nsec -= 1'000'000'000;
    ++first.tv_sec;
  }
  itimerspec spec{};
  spec.it_value = first;
  spec.it_interval.tv_nsec = 20'000'000;
  if (::timerfd_settime(timerFd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    return base::err(base::Errc::Internal, "media worker: cannot arm the media clock");
  }
  thread_ = std::thread([this] { run(); });
  return {};
}

void MediaWorker::post(WorkerCommand command) {
  bool wake;
  {
    std::lock_guard lock(queueMu_);
    wake = queue_.empty();
    queue_.push_back(std::move(command));
  }
  if (wake) {
    std::uint64_t one = 1;
    // A full eventfd counter (impossible in practice) still leaves it readable: ignore errors.
    [[maybe_unused]] auto n = ::write(wakeFd_, &one, sizeof one);
  }
}

void MediaWorker::stop() {
  if (!thread_.joinable()) return;
  post(cmd::Shutdown{});
  thread_.join();
}

void MediaWorker::run() noexcept {
  base::setThreadName("media-" + std::to_string(index_));
  try {
    loop();
  } catch (const std::exception& e) {
    spdlog::critical("media worker {} stopped: {}", index_, e.what());
    BANKCC_BUG("exception escaped a media worker loop");
  } catch (...) {
    BANKCC_BUG("unknown exception escaped a media worker loop");
  }
}

void MediaWorker::loop() {
  std::array<epoll_event, kMaxEvents> events{};
  while (running_) {
    int n = ::epoll_wait(epollFd_, events.data(), kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::critical("media worker {}: epoll_wait: {}", index_, std::strerror(errno));
      BANKCC_BUG("epoll_wait failed on a media worker");
      return;
    }
    now_ = ctx_.clock->monotonic();
    for (int i = 0; i < n && running_; ++i) {
      std::uint64_t key = events[i].data.u64;
      if (key == kWakeKey) {
        drainCommands();
      } else if (key == kTimerKey) {
        onTimer();
      } else {
        // A session destroyed earlier in this batch is simply not found.
        onReadable(key);
      }
    }
  }
}

void MediaWorker::serviceSocketsDuringTick() {
  std::array<epoll_event, 64> events{};
  int n = ::epoll_wait(epollFd_, events.data(), static_cast<int>(events.size()), 0);
  for (int i = 0; i < n; ++i) {
    const std::uint64_t key = events[static_cast<std::size_t>(i)].data.u64;
    if (key != kWakeKey && key != kTimerKey) onReadable(key);  // level-triggered: the rest wait
  }
}

void MediaWorker::drainCommands() {
  std::uint64_t count;
  [[maybe_unused]] auto r = ::read(wakeFd_, &count, sizeof count);
  {
    std::lock_guard lock(queueMu_);
    draining_.swap(queue_);
  }
  for (auto& command : draining_) runCommand(command);
  draining_.clear();
}

void MediaWorker::runCommand(WorkerCommand& command) noexcept {
  try {
    execute(command);
  } catch (const std::exception& e) {
    // Only allocation can throw here; the command is lost, the worker keeps serving.
    spdlog::error("media worker {}: command failed: {}", index_, e.what());
  }
}

void MediaWorker::execute(WorkerCommand& command) {
  // A session arriving is always taken, even after Shutdown (it is released then): a move
  // must not lose it.
  if (auto* adopt = std::get_if<cmd::Adopt>(&command)) return on(*adopt);
  if (!running_) return;  // after Shutdown nothing is left to command
  // Abandon ends a wait, so it never waits itself.
  if (auto* abandon = std::get_if<cmd::Abandon>(&command)) return on(*abandon);
  if (mustWait(command)) return holdBack(std::move(command));
  std::visit([this](auto& c) { on(c); }, command);
}

Session* MediaWorker::find(SessionId id) {
  auto it = sessions_.find(id.value);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void MediaWorker::emit(MediaEvent event) {
  (*ctx_.sink)(std::move(event));
}

void MediaWorker::on(cmd::AddSession& c) {
  // SSRC, first sequence and timestamp are random (RFC 3550 §5.1).
  std::uint32_t random[3];
  arc4random_buf(random, sizeof random);
  auto s = std::make_unique<Session>(c.id, c.ports, random[0],
                                     static_cast<std::uint16_t>(random[1]), random[2]);
  s->lastReceive = now_;
  s->nextReportTick = tick_ + 250;  // 5 s
  registerSockets(*s);
  sessions_.emplace(c.id.value, std::move(s));
}

void MediaWorker::registerSockets(Session& s) {
  if (freeSlots_.empty()) {
    freeSlots_.push_back(static_cast<std::uint32_t>(slots_.size()));
    slots_.emplace_back();
  }
  s.slot = freeSlots_.back();
  freeSlots_.pop_back();
  SocketSlot& slot = slots_[s.slot];
  slot.session = &s;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = epollKey(s.slot, slot.generation, false);
  ::epoll_ctl(epollFd_, EPOLL_CTL_ADD, s.ports.rtpFd, &ev);
  ev.data.u64 = epollKey(s.slot, slot.generation, true);
  ::epoll_ctl(epollFd_, EPOLL_CTL_ADD, s.ports.rtcpFd, &ev);
}

void MediaWorker::unregisterSockets(Session& s) {
  ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, s.ports.rtpFd, nullptr);
  ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, s.ports.rtcpFd, nullptr);
  SocketSlot& slot = slots_[s.slot];
  slot.session = nullptr;
  slot.generation = (slot.generation + 1) & kKeyMask;
  freeSlots_.push_back(s.slot);
}

Session* MediaWorker::sessionOfKey(std::uint64_t key) const {
  const std::uint32_t index = static_cast<std::uint32_t>(key >> 1) & kKeyMask;
  const auto generation = static_cast<std::uint32_t>(key >> 32);
  // A session released earlier in the same batch of events left its slot with a newer
  // generation (or to a new session): its stale event finds nothing.
  if (index >= slots_.size() || slots_[index].generation != generation) return nullptr;
  return slots_[index].session;
}

void MediaWorker::on(cmd::Configure& c) {
  Session* s = find(c.s);
  if (!s) return;
  bool wasReceiving = s->configured && s->receives();
  if (c.params.codec != s->params.codec && s->jitter) s->jitter->reset();
  if (c.params.telephoneEventPt != s->params.telephoneEventPt) s->dtmfRx = DtmfEventReceiver();
  s->params = c.params;
  s->remote = c.remote;
  s->remoteRtcp = c.remoteRtcp;
  s->configured = c.remote.valid();
  // The timeout counts from when we started expecting packets.
  if (!wasReceiving) {
    s->lastReceive = now_;
    s->timeoutReported = false;
  }
  if (s->peer) s->peer->out.resetRelay();
}

void MediaWorker::on(cmd::Play& c) {
  Session* s = find(c.s);
  if (!s) return;
  if (s->player) finishPlayback(*s, true);
  s->player.emplace(std::move(c.play), ctx_.config->tonePlan);
}

void MediaWorker::on(cmd::StopPlay& c) {
  Session* s = find(c.s);
  if (s && s->player) finishPlayback(*s, true);
}

void MediaWorker::on(cmd::Collect& c) {
  Session* s = find(c.s);
  if (!s) return;
  if (s->collection) finishCollection(*s, ev::DigitsCollected::Reason::Stopped);
  CollectSpec spec = c.spec;
  spec.maxDigits = std::max(spec.maxDigits, 1);
  if (spec.secret) {
    spec.maxDigits = std::min<int>(spec.maxDigits, base::SecretDigits::kCapacity);
  }
  spec.minDigits = std::clamp(spec.minDigits, 0, spec.maxDigits);
  s->collection.emplace();
  s->collection->spec = spec;
  s->collection->started = now_;
  s->collection->lastDigit = now_;
  // Digits pressed before the collection opened were DigitPressed and do not count (the port's
  // CollectDigits carries its own prompt, which plays after this command).
}

void MediaWorker::on(cmd::StopCollect& c) {
  Session* s = find(c.s);
  if (s && s->collection) finishCollection(*s, ev::DigitsCollected::Reason::Stopped);
}

void MediaWorker::on(cmd::Bridge& c) {
  Session* a = find(c.a);
  Session* b = find(c.b);
  if (!a || !b || a == b) return;  // a leg that ended meanwhile: nothing to bridge
  unlinkPeer(*a);
  unlinkPeer(*b);
  a->peer = b;
  b->peer = a;
  a->echo = b->echo = false;
  a->out.resetRelay();
  b->out.resetRelay();
}

void MediaWorker::on(cmd::Unbridge& c) {
  if (Session* s = find(c.s)) unlinkPeer(*s);
}

void MediaWorker::unlinkPeer(Session& s) {
  if (!s.peer) return;
  // A monitor group needs its bridge: unbridging ends it.
  Session* peer = s.peer;
  removeGroupsOf(s);
  peer->peer = nullptr;
  s.peer = nullptr;
  peer->out.resetRelay();
  s.out.resetRelay();
}

void MediaWorker::on(cmd::Hold& c) {
  Session* s = find(c.s);
  if (!s) return;
  s->held = true;
  s->music.emplace(std::move(c.music), ctx_.config->tonePlan);
}

void MediaWorker::on(cmd::Retrieve& c) {
  Session* s = find(c.s);
  if (!s) return;
  s->held = false;
  s->music.reset();
  s->lastReceive = now_;  // a held phone may have been silent; count afresh
  s->out.resetRelay();
  if (s->peer) s->peer->out.resetRelay();
}

void MediaWorker::on(cmd::Mute& c) {
  Session* s = find(c.s);
  if (!s || s->muted == c.muted) return;  // gone, or muted (unmuted) already
  s->muted = c.muted;
  s->mutedEventTs.reset();
  // As after Retrieve: the partner's stream goes on from our own numbering, not from a mapping
  // made before the packets that were dropped meanwhile.
  s->out.resetRelay();
  if (s->peer) s->peer->out.resetRelay();
}

void MediaWorker::on(cmd::Echo& c) {
  Session* s = find(c.s);
  if (!s) return;
  unlinkPeer(*s);
  s->echo = true;
  s->out.resetRelay();
}

void MediaWorker::on(cmd::StartRecording& c) {
  const RecordingSpec& spec = c.spec;
  Session* left = find(spec.left);
  Session* right = find(spec.right);
  bool duplicate = std::any_of(recorders_.begin(), recorders_.end(), [&](const Recording& r) {
    return r.recorder->id() == spec.recordingId;
  });
  if (duplicate) {
    spdlog::warn("recording {} is already running", spec.recordingId);
    return;
  }
  if (!left || !right) {
    // Its legs ended before the command arrived: report it ended, with nothing written.
    ctx_.recordingFailed(RecordingDone{spec.recordingId, {}, 0, false, "the legs are gone"});
    return;
  }
  auto handle = ctx_.writers->open(RecordingInfo{spec.recordingId, ctx_.clock->now()});
  recorders_.push_back(Recording{std::make_unique<CallRecorder>(spec.recordingId, spec.left,
                                                                spec.right, *ctx_.writers, handle),
                                 left, right});
  ++left->recorders;
  ++right->recorders;
}

void MediaWorker::on(cmd::PauseRecording& c) {
  for (Recording& r : recorders_) {
    if (r.recorder->id() == c.id) r.recorder->paused = c.pause;
  }
}

void MediaWorker::on(cmd::StopRecording& c) {
  for (std::size_t i = 0; i < recorders_.size(); ++i) {
    if (recorders_[i].recorder->id() == c.id) {
      finishRecorder(i);
      return;
    }
  }
}

void MediaWorker::finishRecorder(std::size_t i) {
  Recording& r = recorders_[i];
  --r.left->recorders;
  --r.right->recorders;
  r.recorder->finish();
  recorders_.erase(recorders_.begin() + static_cast<std::ptrdiff_t>(i));
}

void MediaWorker::on(cmd::Monitor& c) {
  Session* third = find(c.third);
  Session* agent = find(c.agent);
  Session* customer = find(c.customer);
  if (!third || !agent || !customer || third == agent || third == customer || agent == customer) {
    spdlog::warn("monitor: a leg is gone or named twice; ignored");
    return;
  }
  // One group per bridge and per third party: a new monitor() replaces what it overlaps.
  removeGroupsOf(*third);
  removeGroupsOf(*agent);
  removeGroupsOf(*customer);
  groups_.push_back(MonitorGroup{third, agent, customer, c.mode});
  for (Session* s : {third, agent, customer}) {
    s->inGroup = true;
    s->out.resetRelay();
  }
}

void MediaWorker::on(cmd::StopMonitor& c) {
  if (Session* third = find(c.third)) removeGroupsOf(*third);
}

void MediaWorker::removeGroupsOf(const Session& s) {
  for (std::size_t i = 0; i < groups_.size();) {
    MonitorGroup& g = groups_[i];
    if (g.third == &s || g.agent == &s || g.customer == &s) {
      for (Session* m : {g.third, g.agent, g.customer}) {
        m->inGroup = false;
        if (m->linear) m->linear->mixedReady = false;
        m->out.resetRelay();
        if (m->jitter) m->jitter->reset();
      }
      groups_.erase(groups_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

void MediaWorker::on(cmd::SendDtmf& c) {
  Session* s = find(c.s);
  if (!s) return;
  if (s->params.telephoneEventPt >= 0) {
    s->dtmfOut.pending += c.digits;
    return;
  }
  // No RFC 4733 at the far end: send the tones in band.
  DtmfSender& d = s->dtmfOut;
  if (d.inbandPos >= d.inband.size()) {
    d.inband.clear();
    d.inbandPos = 0;
  }
  for (char digit : c.digits) {
    if (digitToEvent(digit)) generateDtmf(digit, 100, 60, d.inband);
  }
}

void MediaWorker::on(cmd::Destroy& c) {
  if (Session* s = find(c.s)) release(*s);
}

void MediaWorker::on(cmd::Shutdown&) {
  // Releasing a session finishes the recordings of its legs, so none is left afterwards.
  while (!sessions_.empty()) release(*sessions_.begin()->second);
  BANKCC_ASSERT(recorders_.empty(), "every recording reads two sessions of this worker");
  // Sessions still on their way here are released when they arrive (on(Adopt) after Shutdown,
  // or releaseStranded()); what waited for them is dropped, and a recording among it ends as
  // one whose legs are gone, so that its RecordingStopped still comes.
  for (WorkerCommand& c : heldBack_) {
    if (auto* start = std::get_if<cmd::StartRecording>(&c)) {
      ctx_.recordingFailed(
          RecordingDone{start->spec.recordingId, {}, 0, false, "the media engine stopped"});
    }
  }
  heldBack_.clear();
  heldSessions_.clear();
  heldRecordings_.clear();
  expected_.clear();
  running_ = false;
}

void MediaWorker::release(Session& s) {
  cutLinks(s);
  unregisterSockets(s);
  auto node = sessions_.extract(s.id.value);  // `s` is owned by `node` from here on
  load.fetch_sub(1, std::memory_order_relaxed);
  closeReleased(std::move(node.mapped()));
}

std::string MediaWorker::cutLinks(Session& s) {
  std::string cut;
  auto note = [&cut](std::string_view what) {
    if (!cut.empty()) cut += ", ";
    cut += what;
  };
  for (std::size_t i = 0; i < recorders_.size();) {
    if (recorders_[i].left == &s || recorders_[i].right == &s) {
      note("recording " + recorders_[i].recorder->id());
      finishRecorder(i);
    } else {
      ++i;
    }
  }
  if (s.inGroup) note("monitor group");
  removeGroupsOf(s);
  if (s.peer) note(fmt::format("bridge with session {:#x}", s.peer->id.value));
  unlinkPeer(s);
  return cut;
}

void MediaWorker::closeReleased(std::unique_ptr<Session> s) {
  // Answer what is pending so that every request gets its event before SessionReleased.
  if (s->collection) finishCollection(*s, ev::DigitsCollected::Reason::Stopped);
  if (s->player) finishPlayback(*s, true);
  ::close(s->ports.rtpFd);
  ::close(s->ports.rtcpFd);
  ctx_.ports->release(s->ports.port);
  ev::SessionReleased released{s->id, s->stats};
  released.stats.packetsReceived = s->rx.received();
  released.stats.packetsLost = s->rx.lost();
  released.stats.jitterMs = s->rx.jitterMs();
  s.reset();
  emit(std::move(released));
}

}  // namespace bankcc::media
