// SPDX-License-Identifier: Apache-2.0
// The call-control core (call_control.h): construction, the hand-off from other threads,
// organisation data, inspection, and the plumbing every part uses (timers, ids, events). The
// state machine lives in agents.cc, calls.cc, routing.cc and commands.cc (see core.h).
#include "callctl/call_control.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "base/assert.h"
#include "base/ids.h"
#include "callctl/core.h"

namespace bankcc::callctl {

using base::Errc;
using events::AgentState;

std::string_view endCauseName(telephony::EndCause cause) {
  using telephony::EndCause;
  switch (cause) {
    case EndCause::Normal:
      return "normal";
    case EndCause::Cancelled:
      return "cancelled";
    case EndCause::Busy:
      return "busy";
    case EndCause::NoAnswer:
      return "no_answer";
    case EndCause::Rejected:
      return "rejected";
    case EndCause::Unreachable:
      return "unreachable";
    case EndCause::MediaTimeout:
      return "media_timeout";
    case EndCause::Failed:
      return "failed";
    case EndCause::Shutdown:
      return "shutdown";
  }
  return "failed";  // unreachable for a valid enum value
}

std::int64_t toMs(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

bool isSystemReason(std::string_view reason) {
  return reason == kReasonLoggedIn || reason == kReasonNoAnswer ||
         reason == kReasonPhoneUnavailable || reason == kReasonAfterWrapUp ||
         reason == kReasonDesktopLost || reason == kReasonSessionLocked;
}

// ---- Impl plumbing ----------------------------------------------------------------------------

CallControl::Impl::Impl(base::EventLoop& loop, const base::Clock& clock,
                        telephony::TelephonyPort& port, EventSink sink, CoreOptions options)
    : loop_(loop),
      clock_(clock),
      port_(port),
      sink_(std::move(sink)),
      options_(std::move(options)) {
  // Without a sink the core would change state without a trace: the event log is the truth.
  BANKCC_RELEASE_ASSERT(sink_, "CallControl needs an event sink");
}

CallControl::Impl::~Impl() {
  // Timers hold alive_ weakly, so they would not run; cancelling frees them now.
  loop_.cancel(acdTimer_);
  for (auto& [no, a] : agents_) loop_.cancel(a.wrapUpTimer);
  for (auto& [id, c] : calls_) {
    loop_.cancel(c.ringTimer);
    loop_.cancel(c.endTimer);
  }
}

void CallControl::Impl::assertCoreThread() const {
  // The core's tables have no lock: one thread, the loop's, owns them (ARCHITECTURE.md).
  BANKCC_ASSERT(loop_.isLoopThread(), "call control runs on its loop thread only");
}

base::TimerId CallControl::Impl::after(Duration d, std::function<void()> fn) {
  return loop_.runAfter(d, [weak = std::weak_ptr<int>(alive_), fn = std::move(fn)] {
    if (weak.lock()) fn();
  });
}

base::TimerId CallControl::Impl::at(base::MonoTime when, std::function<void()> fn) {
  return loop_.runAt(when, [weak = std::weak_ptr<int>(alive_), fn = std::move(fn)] {
    if (weak.lock()) fn();
  });
}

void CallControl::Impl::cancel(base::TimerId& id) {
  if (id.valid()) loop_.cancel(id);
  id = {};
}

std::string CallControl::Impl::newId() const {
  return base::newUuidV7(clock_);
}

void CallControl::Impl::emit(std::string_view callId, std::string_view agentNo,
                             std::string_view queue, events::Payload payload) {
  events::Event e;
  e.ts = now();
  e.callId = callId;
  e.agentId = agentNo;
  e.queueId = queue;
  e.requestId = requestId_;
  e.payload = std::move(payload);
  sink_(std::move(e));
}

void CallControl::Impl::finishTurn() {
  // Exactly one pending timer, for the ACD's next deadline.
  const std::optional<SysTime> next = acd_.nextDeadline();
  if (next == acdDeadline_ && (acdTimer_.valid() || !next)) return;
  cancel(acdTimer_);
  acdDeadline_ = next;
  if (!next) return;
  const Duration delay = std::max(Duration::zero(), *next - now());
  acdTimer_ = after(delay, [this] {
    acdTimer_ = {};
    acdDeadline_.reset();
    onAcdTimer();
    finishTurn();
  });
}

// ---- CallControl -------------------------------------------------------------------------------

CallControl::CallControl(base::EventLoop& loop, const base::Clock& clock,
                         telephony::TelephonyPort& port, EventSink events, CoreOptions options)
    : impl_(std::make_unique<Impl>(loop, clock, port, std::move(events), std::move(options))) {
  impl_->assertCoreThread();
}

CallControl::~CallControl() = default;

void CallControl::onTelephonyEvent(telephony::Event event) {
  // Events are move-only (SecretDigits); the loop's tasks are copyable functions.
  auto box = std::make_shared<telephony::Event>(std::move(event));
  Impl* impl = impl_.get();
  impl_->loop_.post([impl, weak = std::weak_ptr<int>(impl_->alive_), box] {
    if (!weak.lock()) return;
    impl->onTelephonyEvent(*box);
    impl->finishTurn();
  });
}

void CallControl::submit(CommandRequest request, std::function<void(CommandReply)> done) {
  auto box = std::make_shared<CommandRequest>(std::move(request));
  Impl* impl = impl_.get();
  impl_->loop_.post([impl, weak = std::weak_ptr<int>(impl_->alive_), box, done = std::move(done)] {
    if (!weak.lock()) return;
    CommandReply reply = impl->run(*box);
    impl->finishTurn();
    if (done) done(std::move(reply));
  });
}

void CallControl::desktopAttached(std::string agentNo) {
  Impl* impl = impl_.get();
  impl_->loop_.post([impl, weak = std::weak_ptr<int>(impl_->alive_), no = std::move(agentNo)] {
    if (!weak.lock()) return;
    impl->onDesktop(no, true);
    impl->finishTurn();
  });
}

void CallControl::desktopDetached(std::string agentNo) {
  Impl* impl = impl_.get();
  impl_->loop_.post([impl, weak = std::weak_ptr<int>(impl_->alive_), no = std::move(agentNo)] {
    if (!weak.lock()) return;
    impl->onDesktop(no, false);
    impl->finishTurn();
  });
}

void CallControl::sessionLocked(std::string agentNo) {
  Impl* impl = impl_.get();
  impl_->loop_.post([impl, weak = std::weak_ptr<int>(impl_->alive_), no = std::move(agentNo)] {
    if (!weak.lock()) return;
    if (AgentRec* a = impl->findAgent(no)) impl->systemNotReady(*a, kReasonSessionLocked);
    impl->finishTurn();
  });
}

// ---- business hours --------------------------------------------------------------------------

std::string CallControl::Impl::nextHoursChange(const QueueSetup& q) const {
  if (!q.hours) return {};
  auto change = acd::nextChange(*q.hours, now(), options_.timeZone);
  return change ? base::TimeZone::utc().formatRfc3339(*change) : std::string();
}

acd::QueueConfig CallControl::Impl::effectiveConfig(const QueueSetup& q) const {
  acd::QueueConfig c = q.acd;
  if (c.open && q.hours) c.open = acd::isOpen(*q.hours, now(), options_.timeZone);
  return c;
}

void CallControl::Impl::armHours(const std::string& code) {
  auto timer = hoursTimers_.find(code);
  if (timer != hoursTimers_.end()) cancel(timer->second);
  const QueueSetup& q = queues_.at(code);
  if (!q.hours) {
    if (timer != hoursTimers_.end()) hoursTimers_.erase(timer);
    return;
  }
  // No change within the horizon (always open, never open, a change far away): look again
  // tomorrow, so that a long-running node still finds a change that comes into view.
  const SysTime t = now();
  const SysTime next =
      acd::nextChange(*q.hours, t, options_.timeZone).value_or(t + std::chrono::hours(24));
  hoursTimers_[code] = after(next - t, [this, code] {
    onHoursDue(code);
    finishTurn();
  });
}

void CallControl::Impl::onHoursDue(const std::string& code) {
  auto it = queues_.find(code);
  if (it == queues_.end()) return;
  const acd::QueueConfig config = effectiveConfig(it->second);
  bool& open = queueOpen_[code];
  if (open != config.open) {
    if (const base::Status st = acd_.setQueue(config); !st.ok()) {
      // The same config with another `open` was accepted before.
      BANKCC_BUG("the ACD refused a queue it knows when its hours changed");
    }
    open = config.open;
    spdlog::info("queue {} {} by its business hours", code, open ? "opens" : "closes");
    emit({}, {}, code, events::QueueOpenChanged{code, open, nextHoursChange(it->second)});
  }
  armHours(code);
}

base::Status CallControl::setQueue(QueueSetup queue) {
  Impl& im = *impl_;
  im.assertCoreThread();
  const std::string code = queue.acd.code;
  if (queue.ringTimeout <= Duration::zero()) {
    return base::err(Errc::ValidationFailed,
                     fmt::format("queue '{}': the ring timeout must be positive", code));
  }
  if (queue.wrapUp < Duration::zero()) {
    return base::err(Errc::ValidationFailed,
                     fmt::format("queue '{}': the wrap-up time must not be negative", code));
  }
  for (const auto& number : queue.dnis) {
    if (number.empty()) {
      return base::err(Errc::ValidationFailed, fmt::format("queue '{}': empty DNIS", code));
    }
    auto it = im.dnisToQueue_.find(number);
    if (it != im.dnisToQueue_.end() && it->second != code) {
      return base::err(Errc::Conflict,
                       fmt::format("DNIS '{}' already reaches queue '{}'", number, it->second));
    }
  }
  if (queue.hours) {
    if (auto problems = acd::checkBusinessHours(*queue.hours); !problems.empty()) {
      return base::err(Errc::ValidationFailed,
                       fmt::format("queue '{}': business hours: {}: {}", code,
                                   problems.front().field, problems.front().message));
    }
  }
  const acd::QueueConfig config = im.effectiveConfig(queue);
  BANKCC_TRY(im.acd_.setQueue(config));
  std::erase_if(im.dnisToQueue_, [&](const auto& entry) { return entry.second == code; });
  for (const auto& number : queue.dnis) im.dnisToQueue_[number] = code;
  im.queues_[code] = std::move(queue);
  auto [was, fresh] = im.queueOpen_.try_emplace(code, config.open);
  if (!fresh && was->second != config.open) {
    was->second = config.open;
    im.emit({}, {}, code,
            events::QueueOpenChanged{code, config.open, im.nextHoursChange(im.queues_.at(code))});
  }
  im.armHours(code);
  im.routeAll("setup_changed");
  im.finishTurn();
  return {};
}

base::Status CallControl::removeQueue(std::string_view code) {
  Impl& im = *impl_;
  im.assertCoreThread();
  // The ACD refuses while calls wait; offered calls wait too. Connected calls keep copies of
  // what they need from the queue.
  BANKCC_TRY(im.acd_.removeQueue(code));
  std::erase_if(im.dnisToQueue_, [&](const auto& entry) { return entry.second == code; });
  if (auto it = im.queues_.find(code); it != im.queues_.end()) im.queues_.erase(it);
  if (auto o = im.queueOpen_.find(code); o != im.queueOpen_.end()) im.queueOpen_.erase(o);
  if (auto t = im.hoursTimers_.find(code); t != im.hoursTimers_.end()) {
    im.cancel(t->second);
    im.hoursTimers_.erase(t);
  }
  im.finishTurn();
  return {};
}

base::Status CallControl::setAgent(AgentSetup agent) {
  Impl& im = *impl_;
  im.assertCoreThread();
  const std::string no = agent.acd.agentNo;
  if (no.empty()) return base::err(Errc::ValidationFailed, "agent number must not be empty");
  for (std::size_t i = 0; i < agent.extensions.size(); ++i) {
    if (agent.extensions[i].number.empty()) {
      return base::err(Errc::ValidationFailed, fmt::format("agent '{}': empty extension", no));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (agent.extensions[j].number == agent.extensions[i].number) {
        return base::err(Errc::ValidationFailed,
                         fmt::format("agent '{}': extension '{}' is listed twice", no,
                                     agent.extensions[i].number));
      }
    }
  }
  AgentRec* existing = im.findAgent(no);
  if (existing != nullptr && existing->state != AgentState::LoggedOut) {
    // Logged in: the ACD takes the new skills at once (availability is kept).
    BANKCC_TRY(im.acd_.setAgent(agent.acd));
  } else {
    // Logged out: the ACD validates the skills and learns the agent's ordinal (its tie-break
    // order) in the order agents are loaded, then forgets the agent until log-in.
    BANKCC_TRY(im.acd_.setAgent(agent.acd));
    const base::Status forgot = im.acd_.removeAgent(no);
    // Just added and never offered a call: removal cannot fail.
    BANKCC_ASSERT(forgot.ok(), "a logged-out agent has no offer");
  }
  if (existing != nullptr) {
    existing->setup = std::move(agent);
  } else {
    AgentRec rec;
    rec.setup = std::move(agent);
    rec.since = im.now();
    im.agents_.emplace(no, std::move(rec));
  }
  im.routeAll("setup_changed");
  im.finishTurn();
  return {};
}

base::Status CallControl::removeAgent(std::string_view agentNo) {
  Impl& im = *impl_;
  im.assertCoreThread();
  AgentRec* a = im.findAgent(agentNo);
  if (a == nullptr) return base::err(Errc::NotFound, fmt::format("no agent '{}'", agentNo));
  if (a->state != AgentState::LoggedOut) {
    if (!isFree(*a)) {
      return base::err(Errc::Conflict,
                       fmt::format("agent '{}' is busy with a call or its wrap-up", agentNo));
    }
    spdlog::info("agent {} disabled while logged in: logged out", agentNo);
    im.logout(*a);
  }
  im.agents_.erase(im.agents_.find(agentNo));
  im.finishTurn();
  return {};
}

// ---- vetting organisation changes (decision 0023)
// ------------------------------------------------

namespace {

/// "calls_stranded": the waiting calls `ids` would have nobody who could take them.
std::optional<OrgVeto> strandedVeto(const std::vector<std::string>& ids, std::string_view what) {
  if (ids.empty()) return std::nullopt;
  std::string list;
  for (std::size_t i = 0; i < ids.size() && i < 5; ++i) {
    if (i > 0) list += ", ";
    list += ids[i];
  }
  if (ids.size() > 5) list += fmt::format(" and {} more", ids.size() - 5);
  return OrgVeto{"calls_stranded",
                 fmt::format("{} would leave {} waiting call{} without any logged-in agent who "
                             "could take {}: {}",
                             what, ids.size(), ids.size() == 1 ? "" : "s",
                             ids.size() == 1 ? "it" : "them", list)};
}

}  // namespace

std::optional<OrgVeto> CallControl::vetQueue(const QueueSetup& queue) const {
  const Impl& im = *impl_;
  im.assertCoreThread();
  auto current = im.queues_.find(queue.acd.code);
  if (current == im.queues_.end()) return std::nullopt;
  // Only what the change strands: calls nobody could take before it are no reason to refuse
  // (the change may be what fixes them).
  const auto before = im.acd_.callsStrandedBy(im.effectiveConfig(current->second));
  std::vector<std::string> fresh;
  for (auto& id : im.acd_.callsStrandedBy(im.effectiveConfig(queue))) {
    if (std::find(before.begin(), before.end(), id) == before.end()) fresh.push_back(id);
  }
  return strandedVeto(fresh, fmt::format("the skill needs of queue '{}'", queue.acd.code));
}

std::optional<OrgVeto> CallControl::vetRemoveQueue(std::string_view code) const {
  const Impl& im = *impl_;
  im.assertCoreThread();
  const auto snapshot = im.acd_.queueSnapshot(code, im.now());
  if (!snapshot || snapshot->waiting == 0) return std::nullopt;
  return OrgVeto{"calls_waiting",
                 fmt::format("{} call{} still wait{} in queue '{}': wait until they are served, or "
                             "close the queue first",
                             snapshot->waiting, snapshot->waiting == 1 ? "" : "s",
                             snapshot->waiting == 1 ? "s" : "", code)};
}

std::optional<OrgVeto> CallControl::vetAgent(const AgentSetup& agent) const {
  const Impl& im = *impl_;
  im.assertCoreThread();
  auto it = im.agents_.find(agent.acd.agentNo);
  if (it == im.agents_.end() || it->second.state == AgentState::LoggedOut) return std::nullopt;
  const AgentRec& a = it->second;
  const bool keepsExtension =
      std::any_of(agent.extensions.begin(), agent.extensions.end(),
                  [&](const AgentSetup::Extension& e) { return e.number == a.extension; });
  if (!keepsExtension) {
    return OrgVeto{"extension_in_use",
                   fmt::format("agent '{}' is logged in on extension '{}', which the change "
                               "takes away: log them out first",
                               agent.acd.agentNo, a.extension)};
  }
  return strandedVeto(im.acd_.callsStrandedBy(agent.acd),
                      fmt::format("the skills of agent '{}'", agent.acd.agentNo));
}

std::optional<OrgVeto> CallControl::vetRemoveAgent(std::string_view agentNo) const {
  const Impl& im = *impl_;
  im.assertCoreThread();
  auto it = im.agents_.find(agentNo);
  if (it == im.agents_.end() || it->second.state == AgentState::LoggedOut) return std::nullopt;
  const AgentRec& a = it->second;
  if (!isFree(a)) {
    return OrgVeto{"agent_busy",
                   fmt::format("agent '{}' is {} on call {}: wait until they are free", agentNo,
                               events::agentStateName(a.state), a.callId)};
  }
  return strandedVeto(im.acd_.callsStrandedWithout(agentNo),
                      fmt::format("disabling agent '{}'", agentNo));
}

// ---- inspection --------------------------------------------------------------------------------

namespace {

AgentView viewOf(const AgentRec& a) {
  AgentView v;
  v.agentNo = a.setup.acd.agentNo;
  v.state = a.state;
  v.reason = a.reason;
  v.extension = a.extension;
  v.since = a.since;
  v.callId = a.callId;
  v.persistent = a.persistent;
  if (a.line) {
    v.lineLeg = a.line->leg;
    v.line = a.line->state == LineRec::State::Dialing ? "dialing"
             : a.line->callId.empty()                 ? "connected"
                                                      : "in_call";
  }
  return v;
}

CallView viewOf(const CallRec& c) {
  CallView v;
  v.callId = c.id;
  v.ani = c.ani;
  v.dnis = c.dnis;
  v.queue = c.queue;
  switch (c.phase) {
    case Phase::Queued:
      v.phase = CallView::Phase::Queued;
      break;
    case Phase::Offered:
      v.phase = CallView::Phase::Offered;
      break;
    case Phase::Connected:
      v.phase = CallView::Phase::Connected;
      break;
    case Phase::Fallback:
      v.phase = c.fallbackConnected ? CallView::Phase::Connected : CallView::Phase::Ending;
      break;
    case Phase::Ending:
      v.phase = CallView::Phase::Ending;
      break;
    case Phase::Dialing:
      v.phase = CallView::Phase::Dialing;
      break;
  }
  v.direction = c.direction == CallRec::Direction::Outbound   ? "outbound"
                : c.direction == CallRec::Direction::Internal ? "internal"
                                                              : "inbound";
  v.peerAgent = c.peerAgent;
  v.data = c.data;
  v.agentNo = c.agentNo;
  v.arrived = c.arrived;
  v.answered = c.answered;
  v.priority = c.priority;
  v.tier = c.tier;
  v.held = c.held;
  v.muted = c.muted;
  v.recordingPaused = c.recordingPaused;
  if (c.monitor) v.monitoredBy = c.monitor->supervisor;
  v.transferredTo = c.transferredTo;
  if (c.party) {
    using Stage = CallRec::PartyRec::Stage;
    v.consultCallId = c.party->consultId;
    const Stage stage = c.party->stage;
    v.partyType = stage == Stage::Queued ? "queue" : c.party->isAgent ? "agent" : "number";
    v.party = c.party->target;
    v.partyStage = stage == Stage::Queued       ? "queued"
                   : stage == Stage::Ringing    ? "ringing"
                   : stage == Stage::Consulting ? "consulting"
                                                : "conferenced";
    v.partyHeld = c.party->held;
    v.partyQueue = c.party->queue;
  }
  return v;
}

}  // namespace

std::optional<AgentView> CallControl::agent(std::string_view agentNo) const {
  impl_->assertCoreThread();
  auto it = impl_->agents_.find(agentNo);
  if (it == impl_->agents_.end()) return std::nullopt;
  return viewOf(it->second);
}

std::vector<AgentView> CallControl::agents() const {
  impl_->assertCoreThread();
  std::vector<AgentView> out;
  out.reserve(impl_->agents_.size());
  for (const auto& [no, a] : impl_->agents_) out.push_back(viewOf(a));
  return out;
}

void CallControl::drain() {
  impl_->assertCoreThread();
  impl_->draining_ = true;
  std::vector<std::string> live;
  for (const auto& [id, c] : impl_->calls_) {
    if (c.phase != Phase::Ending) live.push_back(id);
  }
  for (const auto& id : live) {
    if (CallRec* c = impl_->findCall(id)) impl_->endCall(*c, "shutdown", "system");
  }
  impl_->finishTurn();
}

std::vector<CallView> CallControl::calls() const {
  impl_->assertCoreThread();
  std::vector<CallView> out;
  out.reserve(impl_->calls_.size());
  for (const auto& [id, c] : impl_->calls_) out.push_back(viewOf(c));
  return out;
}

std::optional<acd::Explanation> CallControl::routingExplanation(std::string_view callId) const {
  impl_->assertCoreThread();
  auto it = impl_->explanations_.find(callId);
  if (it == impl_->explanations_.end()) return std::nullopt;
  return it->second;
}

const acd::Acd& CallControl::acd() const {
  impl_->assertCoreThread();
  return impl_->acd_;
}

}  // namespace bankcc::callctl
