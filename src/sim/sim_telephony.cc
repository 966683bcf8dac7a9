// SPDX-License-Identifier: Apache-2.0
// SimTelephony: construction, delivery and time, legs, and the call-control commands (answer,
// reject, originate, bridge, hold, mute, record, monitor, hang up). Playback and digits are in
// sim_telephony_media.cc; the script side and inspection in sim_telephony_script.cc.
#include "sim/sim_telephony.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "base/assert.h"
#include "sim/sim_internal.h"

namespace bankcc::sim {

using telephony::EndCause;
using telephony::LegId;

SimTelephony::SimTelephony(base::EventLoop& loop, const base::Clock& clock,
                           telephony::EventSink sink, SimOptions options)
    : loop_(loop), clock_(clock), sink_(std::move(sink)), options_(std::move(options)) {
  assertLoopThread();
  // Without a sink every outcome would be lost silently; a caller always passes one.
  BANKCC_RELEASE_ASSERT(sink_, "SimTelephony needs an event sink");
}

SimTelephony::~SimTelephony() {
  for (const auto& [id, deadline] : pending_) loop_.cancel(base::TimerId{id});
}

void SimTelephony::assertLoopThread() const {
  // The sim's model has no lock: one thread (the loop's) owns it, as the core owns its state.
  BANKCC_ASSERT(loop_.isLoopThread(), "SimTelephony is used on its loop thread only");
}

// ---- Delivery and time ----

base::MonoTime SimTelephony::now() const {
  // Inside a sim timer, "now" is the timer's deadline even when the clock was advanced past it,
  // so that chained outcomes (the next playlist item, the next digit) keep exact spacing.
  return firing_ ? *firing_ : clock_.monotonic();
}

base::TimerId SimTelephony::at(base::MonoTime when, std::function<void()> task) {
  auto box = std::make_shared<std::uint64_t>(0);
  const base::TimerId id = loop_.runAt(
      when, [this, weak = std::weak_ptr<int>(alive_), box, when, task = std::move(task)] {
        if (!weak.lock()) return;
        pending_.erase(*box);
        const auto outer = firing_;
        firing_ = when;
        task();
        firing_ = outer;
      });
  // The loop runs timers only on this thread, so the box is filled before the task can run.
  *box = id.value;
  pending_.emplace(id.value, when);
  return id;
}

void SimTelephony::cancelTimer(base::TimerId& id) {
  if (!id.valid()) return;
  loop_.cancel(id);
  pending_.erase(id.value);
  id = {};
}

void SimTelephony::emit(telephony::Event event) {
  outbox_.push_back(std::move(event));
  if (flushPosted_) return;
  flushPosted_ = true;
  loop_.post([this, weak = std::weak_ptr<int>(alive_)] {
    if (weak.lock()) flush();
  });
}

void SimTelephony::flush() {
  // Events that the sink's reactions add (a core calling execute() synchronously) are
  // delivered by this same loop, after the one that caused them. Cleared first so that a sink
  // that throws (the loop catches it) does not stop delivery for good: the next emit posts.
  flushPosted_ = false;
  while (!outbox_.empty()) {
    telephony::Event e = std::move(outbox_.front());
    outbox_.pop_front();
    sink_(std::move(e));
  }
}

std::optional<base::MonoTime> SimTelephony::nextDeadline() const {
  std::optional<base::MonoTime> next;
  for (const auto& [id, deadline] : pending_) {
    if (!next || deadline < *next) next = deadline;
  }
  return next;
}

void SimTelephony::runFor(base::ManualClock& clock, base::Duration total, base::Duration maxStep) {
  assertLoopThread();
  // Advancing another clock would not move this loop's timers: a test bug.
  BANKCC_ASSERT(static_cast<const base::Clock*>(&clock) == &clock_,
                "runFor needs the sim's own clock");
  BANKCC_ASSERT(maxStep > base::Duration::zero(), "runFor needs a positive step");
  const base::MonoTime end = clock.monotonic() + total;
  loop_.runUntilIdle();
  while (clock.monotonic() < end) {
    const base::MonoTime current = clock.monotonic();
    base::MonoTime stop = std::min(end, current + maxStep);
    if (const auto next = nextDeadline(); next && *next > current && *next < stop) stop = *next;
    clock.advance(stop - current);
    loop_.runUntilIdle();
  }
}

// ---- Legs ----

telephony::LegId SimTelephony::newLegId() {
  // UUIDv7-shaped (time-ordered by the virtual clock) with a counter instead of random bits, so
  // that the same script gives the same ids.
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch())
          .count());
  const std::uint64_t n = nextLeg_++;
  return LegId{fmt::format("{:08x}-{:04x}-7000-8000-{:012x}", (ms >> 16) & 0xffffffffu,
                           ms & 0xffffu, n & 0xffffffffffffu)};
}

SimTelephony::Leg& SimTelephony::addLeg(telephony::LegId id, bool inbound) {
  Leg leg;
  leg.view.id = id;
  leg.view.inbound = inbound;
  leg.view.state = inbound ? LegState::Arrived : LegState::Calling;
  leg.order = legs_.size();
  leg.createdAt = now();
  auto [it, inserted] = legs_.emplace(std::move(id), std::move(leg));
  // Callers check that the id is new (script ids come from a counter, Originate is refused).
  BANKCC_ASSERT(inserted, "leg ids are unique");
  return it->second;
}

SimTelephony::Leg* SimTelephony::findLive(const LegId& id) {
  auto it = legs_.find(id);
  if (it == legs_.end() || it->second.view.state == LegState::Ended) return nullptr;
  return &it->second;
}

const SimTelephony::Leg* SimTelephony::find(const LegId& id) const {
  auto it = legs_.find(id);
  return it == legs_.end() ? nullptr : &it->second;
}

void SimTelephony::refuse(std::string what, telephony::RequestId request) {
  if (request != 0) emit(telephony::CommandFailed{.request = request, .leg = {}, .reason = what});
  refusals_.push_back(std::move(what));
}

SimTelephony::Leg* SimTelephony::liveLeg(const LegId& id, const char* command,
                                         telephony::RequestId request) {
  auto it = legs_.find(id);
  if (it == legs_.end()) {
    refuse(fmt::format("{} {}: unknown leg", command, id.value), request);
    return nullptr;
  }
  if (it->second.view.state == LegState::Ended) {
    refuse(fmt::format("{} {}: leg ended", command, id.value), request);
    return nullptr;
  }
  return &it->second;
}

bool SimTelephony::hasMedia(const Leg& leg) {
  return leg.view.state == LegState::Answered || leg.view.state == LegState::EarlyMedia;
}

bool SimTelephony::secretOpen(const LegId& id) const {
  const Leg* leg = find(id);
  return leg != nullptr && leg->collect && leg->collect->spec.secret;
}

void SimTelephony::answerOutbound(Leg& leg) {
  cancelTimer(leg.progressTimer);
  cancelTimer(leg.ringTimer);
  leg.view.state = LegState::Answered;
  leg.answeredAt = now();
  emit(telephony::Answered{leg.view.id});
}

void SimTelephony::endLeg(Leg& leg, EndCause cause, int sipStatus) {
  const LegId id = leg.view.id;
  // Every event of the leg goes out before its LegEnded (events.h).
  stopPlay(leg, true);
  if (leg.collect) finishCollect(leg, telephony::DigitsCollected::Reason::LegGone);
  cancelTimer(leg.progressTimer);
  cancelTimer(leg.ringTimer);
  if (leg.view.bridgedWith) {
    if (Leg* partner = findLive(*leg.view.bridgedWith)) partner->view.bridgedWith.reset();
    leg.view.bridgedWith.reset();
  }
  std::erase_if(monitors_, [&](const auto& m) {
    return m.first == id || m.second.agent == id || m.second.customer == id;
  });
  leg.view.held = false;
  leg.view.muted = false;
  for (auto& [rid, rec] : recordings_) {
    if (rec.view.active && rec.view.customer == id) stopRecording(rec);
  }
  std::uint64_t packets = 0;
  if (leg.answeredAt) {
    // 20 ms packets while answered: a plausible figure, not a measurement.
    packets = static_cast<std::uint64_t>((now() - *leg.answeredAt) / std::chrono::milliseconds(20));
  }
  leg.view.state = LegState::Ended;
  leg.view.endCause = cause;
  leg.view.endStatus = sipStatus;
  telephony::LegEnded ended;
  ended.leg = id;
  ended.cause = cause;
  ended.sipStatus = sipStatus;
  ended.packetsReceived = packets;
  emit(std::move(ended));
}

void SimTelephony::stopRecording(Recording& rec) {
  rec.view.active = false;
  rec.view.pausedByCommand = false;
  rec.view.duration = now() - rec.startedAt;
  rec.view.file = "sim://" + rec.view.id.value;
  emit(telephony::RecordingStopped{rec.view.id, rec.view.file, rec.view.duration, true});
}

std::optional<PhoneBehaviour> SimTelephony::behaviourFor(const telephony::Destination& to) const {
  if (to.kind == telephony::Destination::Kind::Extension) {
    auto it = phones_.find(to.number);
    if (it == phones_.end()) return std::nullopt;
    return it->second.behaviour;
  }
  auto it = externals_.find(to.number);
  if (it != externals_.end()) return it->second;
  return options_.anyExternalNumber;
}

// ---- The port ----

void SimTelephony::execute(telephony::Command command) {
  assertLoopThread();
  commands_.push_back(command);
  std::visit([this](auto& c) { onCommand(c); }, command);
}

void SimTelephony::onCommand(telephony::Answer& c) {
  Leg* leg = liveLeg(c.leg, "Answer", 0);
  if (leg == nullptr) return;
  if (!leg->view.inbound || leg->view.state == LegState::Answered) {
    refuse(fmt::format("Answer {}: not an inbound leg waiting for answer", c.leg.value), 0);
    return;
  }
  leg->view.state = LegState::Answered;
  leg->answeredAt = now();
  emit(telephony::Answered{c.leg});
}

void SimTelephony::onCommand(telephony::Reject& c) {
  Leg* leg = liveLeg(c.leg, "Reject", 0);
  if (leg == nullptr) return;
  if (!leg->view.inbound || leg->view.state == LegState::Answered) {
    refuse(fmt::format("Reject {}: not an inbound leg waiting for answer", c.leg.value), 0);
    return;
  }
  endLeg(*leg, EndCause::Rejected, c.sipStatus);
}

void SimTelephony::onCommand(telephony::StartEarlyMedia& c) {
  Leg* leg = liveLeg(c.leg, "StartEarlyMedia", 0);
  if (leg == nullptr) return;
  if (!leg->view.inbound || leg->view.state != LegState::Arrived) {
    refuse(fmt::format("StartEarlyMedia {}: not an inbound leg waiting for answer", c.leg.value),
           0);
    return;
  }
  leg->view.state = LegState::EarlyMedia;
}

void SimTelephony::onCommand(telephony::Originate& c) {
  if (c.leg.value.empty() || legs_.contains(c.leg)) {
    refuse(fmt::format("Originate {}: leg id empty or in use", c.leg.value), 0);
    return;
  }
  Leg& leg = addLeg(c.leg, false);
  leg.view.to = c.to;
  leg.view.ani = c.callerId;
  leg.view.headers = c.headers;
  const LegId id = c.leg;
  const bool extension = c.to.kind == telephony::Destination::Kind::Extension;
  const std::optional<PhoneBehaviour> behaviour = behaviourFor(c.to);

  auto failAt = [&](EndCause cause, int status) {
    leg.progressTimer = at(now() + options_.ringingAfter, [this, id, cause, status] {
      Leg* l = findLive(id);
      if (l == nullptr) return;
      l->progressTimer = {};
      endLeg(*l, cause, status);
    });
  };
  if (!behaviour) {
    // An unregistered extension is temporarily unavailable; an unknown number is not found.
    failAt(EndCause::Unreachable, extension ? 480 : 404);
    return;
  }
  if (behaviour->kind == PhoneBehaviour::Kind::Busy) {
    failAt(EndCause::Busy, 486);
    return;
  }

  const base::MonoTime timeout = now() + c.ringTimeout;
  leg.ringTimer = at(timeout, [this, id] {
    Leg* l = findLive(id);
    if (l == nullptr) return;
    l->ringTimer = {};
    endLeg(*l, EndCause::NoAnswer, 408);
  });
  const bool autoAnswer = c.autoAnswer && behaviour->honoursAutoAnswer &&
                          behaviour->kind == PhoneBehaviour::Kind::Answer;
  leg.progressTimer =
      at(now() + options_.ringingAfter, [this, id, b = *behaviour, autoAnswer, timeout] {
        Leg* l = findLive(id);
        if (l == nullptr) return;
        l->progressTimer = {};
        l->view.state = LegState::Ringing;
        emit(telephony::Ringing{id});
        if (b.earlyMedia) {
          l->view.state = LegState::EarlyMedia;
          emit(telephony::EarlyMedia{id});
        }
        if (b.kind == PhoneBehaviour::Kind::NeverAnswer) return;
        const base::Duration wait = autoAnswer
                                        ? options_.autoAnswerDelay
                                        : b.answerAfter.value_or(options_.defaultAnswerAfter);
        // The phone answers (or refuses) only strictly before the ring timeout.
        if (now() + wait >= timeout) return;
        l->progressTimer = at(now() + wait, [this, id, b] {
          Leg* l2 = findLive(id);
          if (l2 == nullptr) return;
          l2->progressTimer = {};
          if (b.kind == PhoneBehaviour::Kind::Reject) {
            endLeg(*l2, endCauseForStatus(b.rejectStatus), b.rejectStatus);
          } else {
            answerOutbound(*l2);
          }
        });
      });
}

void SimTelephony::onCommand(telephony::Bridge& c) {
  Leg* a = liveLeg(c.a, "Bridge", 0);
  if (a == nullptr) return;
  Leg* b = liveLeg(c.b, "Bridge", 0);
  if (b == nullptr) return;
  const std::string what = fmt::format("Bridge {} {}", c.a.value, c.b.value);
  if (a == b || a->view.state != LegState::Answered || b->view.state != LegState::Answered) {
    refuse(what + ": both legs must be distinct and answered", 0);
    return;
  }
  if (a->view.bridgedWith == c.b) return;  // already bridged to each other
  if (a->view.bridgedWith || b->view.bridgedWith) {
    refuse(what + ": a leg is in another bridge", 0);
    return;
  }
  if (monitors_.contains(c.a) || monitors_.contains(c.b)) {
    refuse(what + ": a leg is monitoring", 0);
    return;
  }
  a->view.bridgedWith = c.b;
  b->view.bridgedWith = c.a;
}

void SimTelephony::onCommand(telephony::Unbridge& c) {
  Leg* a = liveLeg(c.a, "Unbridge", 0);
  if (a == nullptr) return;
  Leg* b = liveLeg(c.b, "Unbridge", 0);
  if (b == nullptr) return;
  if (a->view.bridgedWith != c.b) {
    refuse(fmt::format("Unbridge {} {}: not bridged to each other", c.a.value, c.b.value), 0);
    return;
  }
  a->view.bridgedWith.reset();
  b->view.bridgedWith.reset();
  std::erase_if(monitors_, [&](const auto& m) {
    return (m.second.agent == c.a && m.second.customer == c.b) ||
           (m.second.agent == c.b && m.second.customer == c.a);
  });
}

void SimTelephony::onCommand(telephony::Hold& c) {
  Leg* leg = liveLeg(c.leg, "Hold", 0);
  if (leg == nullptr) return;
  if (leg->view.state != LegState::Answered) {
    refuse(fmt::format("Hold {}: not answered", c.leg.value), 0);
    return;
  }
  if (!options_.prompts.contains(c.music)) {
    refuse(fmt::format("Hold {}: unknown music '{}'", c.leg.value, c.music), 0);
    return;
  }
  leg->view.held = true;
  leg->holdMusic = c.music;
}

void SimTelephony::onCommand(telephony::Retrieve& c) {
  Leg* leg = liveLeg(c.leg, "Retrieve", 0);
  if (leg == nullptr) return;
  if (!leg->view.held) {
    refuse(fmt::format("Retrieve {}: not held", c.leg.value), 0);
    return;
  }
  leg->view.held = false;
  leg->holdMusic.clear();
}

void SimTelephony::onCommand(telephony::Mute& c) {
  Leg* leg = liveLeg(c.leg, "Mute", 0);
  if (leg == nullptr) return;
  if (leg->view.state != LegState::Answered) {
    refuse(fmt::format("Mute {}: not answered", c.leg.value), 0);
    return;
  }
  leg->view.muted = c.muted;  // idempotent: muting a muted leg changes nothing
}

void SimTelephony::onCommand(telephony::StartRecording& c) {
  const std::string what = fmt::format("StartRecording {}", c.recording.value);
  if (c.recording.value.empty() || recordings_.contains(c.recording)) {
    refuse(what + ": recording id empty or in use", 0);
    return;
  }
  if (liveLeg(c.customer, "StartRecording", 0) == nullptr) return;
  if (!c.agent.value.empty() && liveLeg(c.agent, "StartRecording", 0) == nullptr) return;
  Recording rec;
  rec.view.id = c.recording;
  rec.view.customer = c.customer;
  rec.view.agent = c.agent;
  rec.view.active = true;
  rec.startedAt = now();
  recordings_.emplace(c.recording, std::move(rec));
}

namespace {

template <typename Map>
auto* activeRecording(Map& recordings, const telephony::RecordingId& id) {
  auto it = recordings.find(id);
  return it == recordings.end() || !it->second.view.active ? nullptr : &it->second;
}

}  // namespace

void SimTelephony::onCommand(telephony::PauseRecording& c) {
  auto* rec = activeRecording(recordings_, c.recording);
  if (rec == nullptr) {
    refuse(fmt::format("PauseRecording {}: no active recording", c.recording.value), 0);
    return;
  }
  rec->view.pausedByCommand = true;
}

void SimTelephony::onCommand(telephony::ResumeRecording& c) {
  auto* rec = activeRecording(recordings_, c.recording);
  if (rec == nullptr) {
    refuse(fmt::format("ResumeRecording {}: no active recording", c.recording.value), 0);
    return;
  }
  rec->view.pausedByCommand = false;
}

void SimTelephony::onCommand(telephony::StopRecording& c) {
  auto* rec = activeRecording(recordings_, c.recording);
  if (rec == nullptr) {
    refuse(fmt::format("StopRecording {}: no active recording", c.recording.value), 0);
    return;
  }
  stopRecording(*rec);
}

void SimTelephony::onCommand(telephony::Monitor& c) {
  Leg* sup = liveLeg(c.supervisor, "Monitor", 0);
  if (sup == nullptr) return;
  Leg* agent = liveLeg(c.agent, "Monitor", 0);
  if (agent == nullptr) return;
  if (liveLeg(c.customer, "Monitor", 0) == nullptr) return;
  const std::string what = fmt::format("Monitor {}", c.supervisor.value);
  if (sup->view.state != LegState::Answered || sup->view.bridgedWith || c.supervisor == c.agent ||
      c.supervisor == c.customer) {
    refuse(what + ": the supervisor's leg must be answered and in no bridge", 0);
    return;
  }
  if (agent->view.bridgedWith != c.customer) {
    refuse(what + ": agent and customer are not bridged to each other", 0);
    return;
  }
  monitors_[c.supervisor] = Monitoring{c.agent, c.customer, c.mode};
}

void SimTelephony::onCommand(telephony::StopMonitor& c) {
  if (monitors_.erase(c.supervisor) == 0) {
    refuse(fmt::format("StopMonitor {}: not monitoring", c.supervisor.value), 0);
  }
}

void SimTelephony::onCommand(telephony::SendDtmf& c) {
  Leg* leg = liveLeg(c.leg, "SendDtmf", 0);
  if (leg == nullptr) return;
  if (!hasMedia(*leg)) {
    refuse(fmt::format("SendDtmf {}: no media", c.leg.value), 0);
    return;
  }
  for (char d : c.digits) {
    if (isDtmf(d)) leg->view.dtmfSent.push_back(d);
  }
}

void SimTelephony::onCommand(telephony::Isolate& c) {
  Leg* leg = liveLeg(c.leg, "Isolate", 0);
  if (leg == nullptr) return;
  if (leg->view.bridgedWith) {
    if (auto partner = legs_.find(*leg->view.bridgedWith); partner != legs_.end()) {
      partner->second.view.bridgedWith.reset();
    }
    leg->view.bridgedWith.reset();
  }
  // Every mix the leg is in: as the third party, or as either side of the monitored bridge.
  std::erase_if(monitors_, [&](const auto& m) {
    return m.first == c.leg || m.second.agent == c.leg || m.second.customer == c.leg;
  });
  leg->view.held = false;
  leg->holdMusic.clear();
  leg->view.muted = false;
  if (leg->play) stopPlay(*leg, true);
  if (leg->collect) finishCollect(*leg, telephony::DigitsCollected::Reason::Stopped);
}

void SimTelephony::onCommand(telephony::Hangup& c) {
  Leg* leg = liveLeg(c.leg, "Hangup", 0);
  if (leg == nullptr) return;
  // BYE after answer; CANCEL (487) while ringing out; a final response (480) before answer.
  int status = 0;
  if (leg->view.state != LegState::Answered) status = leg->view.inbound ? 480 : 487;
  endLeg(*leg, c.cause, status);
}

}  // namespace bankcc::sim
