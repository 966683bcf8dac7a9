// SPDX-License-Identifier: Apache-2.0
// What happens to a connected call besides its end (call_control.h): hold and retrieve, DTMF to
// the far party, pausing the recording, blind transfer to a queue or a number, and a
// supervisor's monitoring (listen, whisper, barge). Core thread.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/assert.h"
#include "callctl/core.h"
#include "events/json.h"

namespace bankcc::callctl {

using events::AgentState;
using telephony::EndCause;
using telephony::LegId;
using Status = CommandReply::Status;

namespace {

/// 0-9, *, #, A-D (RFC 4733 events 0-15).
bool validDigits(std::string_view digits) {
  return !digits.empty() && digits.size() <= kMaxDigits &&
         std::all_of(digits.begin(), digits.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || ch == '*' || ch == '#' || (ch >= 'A' && ch <= 'D');
         });
}

}  // namespace

bool validNumber(std::string_view n) {
  if (!n.empty() && n.front() == '+') n.remove_prefix(1);
  return n.size() >= 3 && n.size() <= 20 &&
         std::all_of(n.begin(), n.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

CommandReply agentBusy(std::string_view agentNo) {
  return refuse(CommandReply::Status::Conflict, "agent_busy",
                fmt::format("agent '{}' is busy with a call or its wrap-up", agentNo));
}

std::optional<CommandReply> refuseUnlisted(std::string_view number,
                                           const std::vector<std::string>& prefixes,
                                           std::string_view purpose) {
  if (!validNumber(number)) {
    return refuse(Status::Invalid, "bad_number", "a number is 3 to 20 digits, '+' allowed first");
  }
  const bool permitted = std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) {
    return !p.empty() && number.starts_with(p);
  });
  if (!permitted) {
    return refuse(Status::Forbidden, "number_not_allowed",
                  fmt::format("'{}' is not on the list of numbers {}", number, purpose));
  }
  return std::nullopt;
}

std::optional<CommandReply> CallControl::Impl::refuseNumber(std::string_view number) const {
  return refuseUnlisted(number, options_.transferNumbers, "calls may be transferred to");
}

CallRec* CallControl::Impl::findCallOfAgent(std::string_view agentNo) {
  AgentRec* a = findAgent(agentNo);
  if (a == nullptr || a->callId.empty()) return nullptr;
  CallRec* c = findCall(a->callId);
  return c != nullptr && c->agentNo == agentNo ? c : nullptr;
}

std::variant<CallRec*, CommandReply> CallControl::Impl::connectedCallFor(const Actor& actor,
                                                                         std::string_view callId) {
  CallRec* c = findCall(callId);
  if (c == nullptr) return noCall(callId);
  AgentRec* a = c->agentNo.empty() ? nullptr : findAgent(c->agentNo);
  if (!actor.admin && (a == nullptr || !mayActOn(actor, *a))) {
    return refuse(Status::Forbidden, "not_your_call", "the call is not yours");
  }
  if (c->phase != Phase::Connected || a == nullptr) {
    return refuse(Status::Conflict, "not_connected", "the call is not connected to an agent");
  }
  return c;
}

// ---- hold
// ----------------------------------------------------------------------------------------

void CallControl::Impl::hold(CallRec& c) {
  if (c.held) return;
  execute(telephony::Hold{c.customer, "moh"});
  c.held = true;
  c.heldSince = now();
  emit(c.id, c.agentNo, c.queue, events::CallHeld{c.agentNo});
}

void CallControl::Impl::retrieve(CallRec& c) {
  if (!c.held) return;
  execute(telephony::Retrieve{c.customer});
  c.held = false;
  emit(c.id, c.agentNo, c.queue, events::CallRetrieved{c.agentNo, toMs(now() - c.heldSince)});
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const HoldCall& cmd) {
  auto found = connectedCallFor(actor, cmd.callId);
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  if (auto busy = refuseDuringConsult(c)) return *busy;
  if (c.held) return refuse(Status::Conflict, "already_held", "the customer is on hold already");
  hold(c);
  return {};
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const RetrieveCall& cmd) {
  auto found = connectedCallFor(actor, cmd.callId);
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  if (auto busy = refuseDuringConsult(c)) return *busy;
  if (!c.held) return refuse(Status::Conflict, "not_held", "the customer is not on hold");
  retrieve(c);
  return {};
}

std::optional<CommandReply> CallControl::Impl::refuseDuringConsult(const CallRec& c) const {
  if (!c.party || c.party->stage == CallRec::PartyRec::Stage::Conferenced) return std::nullopt;
  return refuse(Status::Conflict, "consult_in_progress",
                "during a consult use alternate, cancel_consult, transfer_complete or conference");
}

// ---- mute
// ----------------------------------------------------------------------------------------

void CallControl::Impl::clearMute(CallRec& c, bool legUp) {
  if (!c.muted) return;
  if (legUp && c.agentLeg) execute(telephony::Mute{*c.agentLeg, false});
  c.muted = false;
  emit(c.id, c.agentNo, c.queue, events::CallUnmuted{c.agentNo, toMs(now() - c.mutedSince)});
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const MuteCall& cmd) {
  auto found = connectedCallFor(actor, cmd.callId);
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  if (cmd.muted == c.muted) {
    return cmd.muted ? refuse(Status::Conflict, "already_muted", "the agent is muted already")
                     : refuse(Status::Conflict, "not_muted", "the agent is not muted");
  }
  if (!cmd.muted) {
    clearMute(c, true);
    return {};
  }
  execute(telephony::Mute{*c.agentLeg, true});
  c.muted = true;
  c.mutedSince = now();
  emit(c.id, c.agentNo, c.queue, events::CallMuted{c.agentNo});
  return {};
}

// ---- DTMF
// ----------------------------------------------------------------------------------------

CommandReply CallControl::Impl::runCommand(const Actor& actor, const SendDigits& cmd) {
  if (!validDigits(cmd.digits)) {
    return refuse(Status::Invalid, "bad_digits",
                  fmt::format("send 1 to {} of 0-9, *, #, A-D", kMaxDigits));
  }
  auto found = connectedCallFor(actor, cmd.callId);
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  // During a consult the digits go to whom the agent talks to (a number's voice menu, say).
  const bool toParty =
      c.party && c.party->stage == CallRec::PartyRec::Stage::Consulting && !c.party->held;
  execute(telephony::SendDtmf{toParty ? c.party->leg : c.customer, cmd.digits});
  return {};
}

// ---- recording
// -----------------------------------------------------------------------------------

void CallControl::Impl::resumeRecording(CallRec& c, std::string_view by) {
  if (!c.recordingPaused || c.recordingId.empty()) return;
  execute(telephony::ResumeRecording{telephony::RecordingId{c.recordingId}});
  c.recordingPaused = false;
  emit(c.id, c.agentNo, c.queue,
       events::RecordingResumed{c.recordingId, std::string(by), toMs(now() - c.pausedSince)});
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const PauseCallRecording& cmd) {
  auto found = connectedCallFor(actor, cmd.callId);
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  if (c.recordingId.empty()) {
    return refuse(Status::Conflict, "not_recording", "the call is not being recorded");
  }
  if (c.recordingPaused) {
    return refuse(Status::Conflict, "already_paused", "the recording is paused already");
  }
  execute(telephony::PauseRecording{telephony::RecordingId{c.recordingId}});
  c.recordingPaused = true;
  c.pausedSince = now();
  emit(c.id, c.agentNo, c.queue,
       events::RecordingPaused{c.recordingId,
                               actor.agentNo.empty() ? actor.username : actor.agentNo});
  return {};
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const ResumeCallRecording& cmd) {
  auto found = connectedCallFor(actor, cmd.callId);
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  if (!c.recordingPaused) {
    return refuse(Status::Conflict, "not_paused", "the recording is not paused");
  }
  resumeRecording(c, actor.agentNo.empty() ? actor.username : actor.agentNo);
  return {};
}

// ---- blind transfer
// ------------------------------------------------------------------------------

void CallControl::Impl::releaseAgentFromCall(CallRec& c, AgentRec& a) {
  if (c.monitor) endMonitor(c, "transferred");
  clearMute(c, false);  // the agent's leg goes with them
  retrieve(c);
  stopRecording(c);
  if (c.agentLeg) {
    hangupLeg(c, *c.agentLeg, EndCause::Normal);
    c.agentLeg.reset();
  }
  const SysTime talkEnded = now();
  enterWrapUp(a, c, talkEnded);
  c.agentNo.clear();
  c.answered = {};
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const BlindTransfer& cmd) {
  using Target = BlindTransfer::Target;
  if (cmd.targetType == Target::Number) {
    if (auto refused = refuseNumber(cmd.target)) return *refused;
  } else if (cmd.targetType == Target::Queue && !queues_.contains(cmd.target)) {
    return refuse(Status::NotFound, "unknown_queue", fmt::format("no queue '{}'", cmd.target));
  } else if (cmd.targetType == Target::Agent && findAgent(cmd.target) == nullptr) {
    return noAgent(cmd.target);
  }
  auto found = connectedCallFor(actor, cmd.callId);
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  if (c.party) return consultInProgress();
  if (auto refused = refuseInternal(c)) return *refused;
  if (cmd.targetType == Target::Agent) {
    if (auto refused = refuseTransferAgent(c, cmd.target)) return *refused;
  }
  blindTransfer(c, cmd.targetType, cmd.target, "blind");
  return {};
}

void CallControl::Impl::blindTransfer(CallRec& c, BlindTransfer::Target target,
                                      const std::string& to, std::string_view mode) {
  using Target = BlindTransfer::Target;
  AgentRec* a = findAgent(c.agentNo);
  BANKCC_RELEASE_ASSERT(a != nullptr && a->state == AgentState::OnCall && a->callId == c.id,
                        "a connected call's agent is on it");
  const std::string agentNo = c.agentNo;
  const Duration talk = now() - c.answered;
  const char* targetType = target == Target::Queue   ? "queue"
                           : target == Target::Agent ? "agent"
                                                     : "number";
  emit(c.id, agentNo, c.queue,
       events::CallTransferred{agentNo, std::string(mode), targetType, to, toMs(talk)});
  releaseAgentFromCall(c, *a);
  switch (target) {
    case Target::Queue: {
      // The caller keeps their arrival time and priority: they have waited once already.
      const std::string callId = c.id;
      if (joinQueue(c, to, c.priority, c.arrived)) {
        playMusic(c);
        if (CallRec* again = findCall(callId)) routeCall(*again, "transferred");
      }
      break;
    }
    case Target::Agent:
      transferToAgent(c, agentNo, to);
      break;
    case Target::Number:
      c.phase = Phase::Fallback;
      c.transferredTo = to;
      c.fallbackDestination = to;
      dialFallback(c);
      break;
  }
}

// ---- supervisor monitoring
// -----------------------------------------------------------------------

void CallControl::Impl::endMonitor(CallRec& c, std::string_view reason) {
  if (!c.monitor) return;
  CallRec::MonitorRec m = std::move(*c.monitor);
  c.monitor.reset();
  monitoring_.erase(m.supervisor);
  // Hanging up the supervisor's leg takes it out of the bridge (no StopMonitor needed: the
  // bridge may be gone already when the call ends).
  hangupLeg(c, m.leg, EndCause::Normal);
  RequestScope scope(*this, reason == "stopped" ? requestId_ : m.requestId);
  emit(c.id, c.agentNo, c.queue,
       events::SupervisorMonitorEnded{m.supervisor, c.agentNo, std::string(reason),
                                      m.connected ? toMs(now() - m.started) : 0});
}

void CallControl::Impl::onMonitorAnswered(CallRec& c) {
  CallRec::MonitorRec& m = *c.monitor;
  if (c.phase != Phase::Connected || !c.agentLeg) {
    endMonitor(c, "call_ended");
    return;
  }
  execute(telephony::Monitor{m.leg, *c.agentLeg, c.customer, m.mode});
  m.connected = true;
  m.started = now();
  RequestScope scope(*this, m.requestId);
  emit(c.id, c.agentNo, c.queue,
       events::SupervisorMonitorStarted{m.supervisor,
                                        c.agentNo,
                                        std::string(telephony::monitorModeName(m.mode)),
                                        {},
                                        m.extension});
}

void CallControl::Impl::onMonitorLegEnded(CallRec& c, EndCause cause) {
  CallRec::MonitorRec m = std::move(*c.monitor);
  c.monitor.reset();
  monitoring_.erase(m.supervisor);
  RequestScope scope(*this, m.requestId);
  emit(c.id, c.agentNo, c.queue,
       events::SupervisorMonitorEnded{m.supervisor, c.agentNo,
                                      m.connected ? "supervisor_hung_up" : "failed",
                                      m.connected ? toMs(now() - m.started) : 0});
  if (!m.connected) {
    spdlog::info("call {}: monitor phone {} of {} did not connect ({})", c.id, m.extension,
                 m.supervisor, endCauseName(cause));
  }
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const MonitorCall& cmd) {
  if (!actor.supervisor && !actor.admin) {
    return refuse(Status::Forbidden, "not_a_supervisor", "only supervisors monitor calls");
  }
  AgentRec* a = findAgent(cmd.agentNo);
  if (a == nullptr) return noAgent(cmd.agentNo);
  if (!mayActOn(actor, *a) || actor.agentNo == cmd.agentNo) {
    return refuse(Status::Forbidden, "not_your_team",
                  fmt::format("agent '{}' is not in a team you supervise", cmd.agentNo));
  }
  CallRec* c = findCallOfAgent(cmd.agentNo);
  if (c == nullptr || c->phase != Phase::Connected || !c->agentLeg) {
    return refuse(Status::Conflict, "not_on_call",
                  fmt::format("agent '{}' has no connected call", cmd.agentNo));
  }
  if (c->party) {
    // The engine mixes three parties: the agent, the customer and one more.
    return refuse(Status::Conflict, "consult_in_progress",
                  fmt::format("agent '{}' is in a consult or conference", cmd.agentNo));
  }
  if (c->monitor && c->monitor->supervisor == actor.username) {
    // A mode switch (change_monitor_mode).
    CallRec::MonitorRec& m = *c->monitor;
    if (m.mode == cmd.mode) return {};
    const auto previous = m.mode;
    m.mode = cmd.mode;
    if (!m.connected) return {};  // applies when the phone answers
    execute(telephony::Monitor{m.leg, *c->agentLeg, c->customer, m.mode});
    emit(c->id, c->agentNo, c->queue,
         events::SupervisorMonitorStarted{
             m.supervisor, c->agentNo, std::string(telephony::monitorModeName(m.mode)),
             std::string(telephony::monitorModeName(previous)), m.extension});
    return {};
  }
  if (c->monitor) {
    return refuse(Status::Conflict, "already_monitored",
                  fmt::format("{} monitors this call already", c->monitor->supervisor));
  }
  if (monitoring_.contains(actor.username)) {
    return refuse(Status::Conflict, "monitoring_another_call",
                  "stop monitoring the other call first");
  }
  if (!validNumber(cmd.extension)) {
    return refuse(Status::Invalid, "bad_extension", "give the phone to monitor from");
  }
  if (auto reg = registered_.find(cmd.extension); reg == registered_.end() || !reg->second) {
    return refuse(Status::Conflict, "phone_unavailable",
                  fmt::format("phone '{}' is not registered", cmd.extension));
  }
  if (auto owner = extensionOwner_.find(cmd.extension); owner != extensionOwner_.end()) {
    return refuse(
        Status::Conflict, "extension_in_use",
        fmt::format("extension '{}' is in use by agent '{}'", cmd.extension, owner->second));
  }
  const LegId leg{newId()};
  addLeg(*c, leg);
  c->monitor = CallRec::MonitorRec{.supervisor = actor.username,
                                   .extension = cmd.extension,
                                   .leg = leg,
                                   .mode = cmd.mode,
                                   .connected = false,
                                   .started = {},
                                   .requestId = requestId_};
  monitoring_[actor.username] = c->id;
  execute(telephony::Originate{
      .leg = leg,
      .to = telephony::Destination{telephony::Destination::Kind::Extension, cmd.extension},
      .callerId = c->agentNo,
      .near = c->customer,
      .ringTimeout = options_.monitorRingTimeout,
      .autoAnswer = true,
      .headers = {{"X-Bankcc-Call-Id", c->id}}});
  return {};
}

CommandReply CallControl::Impl::runCommand(const Actor& actor, const StopMonitoring& cmd) {
  if (!actor.supervisor && !actor.admin) {
    return refuse(Status::Forbidden, "not_a_supervisor", "only supervisors monitor calls");
  }
  CallRec* c = findCallOfAgent(cmd.agentNo);
  if (c == nullptr || !c->monitor || c->monitor->supervisor != actor.username) {
    return refuse(Status::Conflict, "not_monitoring",
                  fmt::format("you are not monitoring agent '{}'", cmd.agentNo));
  }
  endMonitor(*c, "stopped");
  return {};
}

// ---- call data --------------------------------------------------------------------------------

std::string callDataJson(const std::map<std::string, std::string>& data) {
  if (data.empty()) return {};
  std::string out = "{";
  for (const auto& [key, value] : data) {
    if (out.size() > 1) out += ',';
    events::appendJsonString(out, key);
    out += ':';
    events::appendJsonString(out, value);
  }
  out += '}';
  return out;
}

namespace {

bool validDataKey(std::string_view k) {
  return !k.empty() && k.size() <= kMaxCallDataKey && std::all_of(k.begin(), k.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  });
}

/// 13 or more digits in a row (spaces and dashes between them count as part of the run): what
/// a card number (PAN) looks like. Call data is shown on screens and kept in memory: no PAN.
bool looksLikeCardNumber(std::string_view v) {
  int run = 0;
  for (char ch : v) {
    if (ch >= '0' && ch <= '9') {
      if (++run >= 13) return true;
    } else if (ch != ' ' && ch != '-') {
      run = 0;
    }
  }
  return false;
}

}  // namespace

CommandReply CallControl::Impl::runCommand(const Actor& actor, const SetCallData& cmd) {
  if (cmd.data.empty()) return refuse(Status::Invalid, "no_data", "give at least one key");
  for (const auto& [key, value] : cmd.data) {
    if (!validDataKey(key)) {
      return refuse(Status::Invalid, "bad_key",
                    fmt::format("key '{}': use 1 to {} of a-z, 0-9 and _", key, kMaxCallDataKey));
    }
    const bool printable = std::none_of(value.begin(), value.end(), [](char ch) {
      return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
    });
    if (value.size() > kMaxCallDataValue || !events::isCleanText(value) || !printable) {
      return refuse(Status::Invalid, "bad_value",
                    fmt::format("{}: up to {} bytes of printable UTF-8", key, kMaxCallDataValue));
    }
    if (looksLikeCardNumber(value)) {
      return refuse(Status::Invalid, "card_number",
                    fmt::format("{}: a card number may not be attached to a call", key));
    }
  }
  auto found = connectedCallFor(actor, cmd.callId);
  if (auto* refused = std::get_if<CommandReply>(&found)) return *refused;
  CallRec& c = *std::get<CallRec*>(found);
  std::map<std::string, std::string> next = c.data;
  for (const auto& [key, value] : cmd.data) {
    if (value.empty()) {
      next.erase(key);
    } else {
      next[key] = value;
    }
  }
  if (next.size() > kMaxCallDataKeys) {
    return refuse(Status::Conflict, "too_much_data",
                  fmt::format("a call holds at most {} keys", kMaxCallDataKeys));
  }
  c.data = std::move(next);
  std::string keys;
  for (const auto& [key, value] : cmd.data) {
    if (!keys.empty()) keys += ',';
    keys += key;
  }
  emit(c.id, c.agentNo, c.queue, events::CallDataSet{c.agentNo, keys});
  return {};
}

}  // namespace bankcc::callctl
