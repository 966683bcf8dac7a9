// SPDX-License-Identifier: Apache-2.0
// Moving a session between media workers (decision 0027; the protocol is in media_worker.h's
// header comment): Detach on the old worker, Expect, Adopt and Abandon on the new one, and the
// commands held back meanwhile.
#include <algorithm>
#include <array>
#include <type_traits>

#include <spdlog/spdlog.h>

#include "base/assert.h"
#include "media/media_worker.h"

namespace bankcc::media {
namespace {

/// The sessions and the recording a command names.
struct Names {
  std::array<SessionId, 3> sessions{};
  std::size_t count = 0;
  const std::string* recording = nullptr;
  void add(SessionId s) { sessions[count++] = s; }
};

Names namesOf(const WorkerCommand& command) {
  Names n;
  std::visit(
      [&n](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, cmd::Bridge>) {
          n.add(c.a);
          n.add(c.b);
        } else if constexpr (std::is_same_v<T, cmd::Monitor>) {
          n.add(c.third);
          n.add(c.agent);
          n.add(c.customer);
        } else if constexpr (std::is_same_v<T, cmd::StopMonitor>) {
          n.add(c.third);
        } else if constexpr (std::is_same_v<T, cmd::StartRecording>) {
          n.add(c.spec.left);
          n.add(c.spec.right);
          n.recording = &c.spec.recordingId;
        } else if constexpr (std::is_same_v<T, cmd::PauseRecording> ||
                             std::is_same_v<T, cmd::StopRecording>) {
          n.recording = &c.id;
        } else if constexpr (requires { c.s; }) {
          n.add(c.s);  // Configure, Play, ..., Destroy, Expect, Detach
        }
        // AddSession names a new session nobody can expect; Shutdown names none.
      },
      command);
  return n;
}

}  // namespace

bool MediaWorker::mustWait(const WorkerCommand& command) const {
  if (expected_.empty() && heldBack_.empty()) return false;  // no move under way: at once
  const Names n = namesOf(command);
  for (std::size_t i = 0; i < n.count; ++i) {
    const std::uint64_t id = n.sessions[i].value;
    if (expected_.contains(id) || heldSessions_.contains(id)) return true;
  }
  return n.recording && std::find(heldRecordings_.begin(), heldRecordings_.end(), *n.recording) !=
                            heldRecordings_.end();
}

void MediaWorker::holdBack(WorkerCommand command) {
  // Whatever this command names waits too: a later command for it must not overtake it.
  const Names n = namesOf(command);
  for (std::size_t i = 0; i < n.count; ++i) heldSessions_.insert(n.sessions[i].value);
  if (n.recording) heldRecordings_.push_back(*n.recording);
  heldBack_.push_back(std::move(command));
}

void MediaWorker::replayHeldBack() {
  std::vector<WorkerCommand> commands;
  commands.swap(heldBack_);
  heldSessions_.clear();
  heldRecordings_.clear();
  for (WorkerCommand& c : commands) runCommand(c);
}

void MediaWorker::on(cmd::Expect& c) {
  // Reached only when nothing named `c.s` waits already (mustWait): a second move to this
  // worker waits behind the first one's Adopt and the Detach that takes it away again.
  expected_.insert(c.s.value);
}

void MediaWorker::on(cmd::Detach& c) {
  auto it = sessions_.find(c.s.value);
  if (it == sessions_.end()) {
    // Destroyed before the move (its Destroy ran first): the new worker waits no more.
    ctx_.postTo(c.to, cmd::Abandon{c.s});
    return;
  }
  Session& s = *it->second;
  // Links to other sessions stay on this worker: another thread must never reach them. The
  // session's own state (RTP numbering, jitter buffer, playback, collection, hold, mute, DTMF)
  // travels as it is, so the phone notices nothing.
  const std::string cut = cutLinks(s);
  if (!cut.empty()) {
    spdlog::warn("media: session {:#x} moved from worker {} to {} was not idle; cut: {}",
                 s.id.value, index_, c.to, cut);
  }
  unregisterSockets(s);
  std::unique_ptr<Session> moving = std::move(it->second);
  sessions_.erase(it);
  load.fetch_sub(1, std::memory_order_relaxed);
  ctx_.postTo(c.to, cmd::Adopt{std::move(moving)});
}

void MediaWorker::on(cmd::Adopt& c) {
  BANKCC_ASSERT(c.session != nullptr, "an Adopt carries a session");
  if (!running_) {
    // It arrived after this worker's Shutdown: released now, as it would have been.
    closeReleased(std::move(c.session));
    return;
  }
  Session& s = *c.session;
  // Each move of a session resolves on its new worker before the next Detach of it runs there
  // (that Detach waits behind the Expect), so an Adopt always finds its Expect.
  BANKCC_ASSERT(expected_.contains(s.id.value), "a session arrives only where it is expected");
  // Packets that reached the socket meanwhile wait in its buffer and are read now (epoll is
  // level-triggered). The tick-based fields (OutStream, nextReportTick) need no translation:
  // every worker counts the ticks of the same 20 ms period since about the same start, skipped
  // ticks included, so their counts differ by one at most.
  registerSockets(s);
  const std::uint64_t id = s.id.value;
  sessions_.emplace(id, std::move(c.session));
  load.fetch_add(1, std::memory_order_relaxed);
  expected_.erase(id);
  replayHeldBack();
}

void MediaWorker::on(cmd::Abandon& c) {
  expected_.erase(c.s.value);
  ctx_.moveAbandoned(c.s, index_);
  // What waited finds no session now (ignored; a recording reports that its legs are gone;
  // a Detach tells its own new worker in turn).
  replayHeldBack();
}

void MediaWorker::releaseStranded() {
  BANKCC_ASSERT(!thread_.joinable(), "called once every worker has stopped");
  std::vector<WorkerCommand> left;
  {
    std::lock_guard lock(queueMu_);
    left.swap(queue_);
  }
  for (WorkerCommand& c : left) {
    if (auto* adopt = std::get_if<cmd::Adopt>(&c)) closeReleased(std::move(adopt->session));
  }
}

}  // namespace bankcc::media
