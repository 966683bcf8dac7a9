// SPDX-License-Identifier: Apache-2.0
// The life of a call (call_control.h, "The walk of a queue call"): telephony events, arrival,
// connection, the agent's leg dropping, the fallback of a full or closed queue, and the end.
// Core thread.
#include <spdlog/spdlog.h>

#include <type_traits>
#include <vector>

#include "base/assert.h"
#include "callctl/core.h"

namespace bankcc::callctl {

using events::AgentState;
using telephony::EndCause;
using telephony::LegId;

CallRec* CallControl::Impl::findCall(std::string_view callId) {
  auto it = calls_.find(callId);
  return it == calls_.end() ? nullptr : &it->second;
}

void CallControl::Impl::onTelephonyEvent(telephony::Event& event) {
  assertCoreThread();
  std::visit(
      [this](auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, telephony::LegArrived>) {
          onLegArrived(e);
        } else if constexpr (std::is_same_v<T, telephony::Answered>) {
          onAnswered(e);
        } else if constexpr (std::is_same_v<T, telephony::LegEnded>) {
          onLegEnded(e);
        } else if constexpr (std::is_same_v<T, telephony::PlaybackDone>) {
          onPlaybackFinished(e.request);
        } else if constexpr (std::is_same_v<T, telephony::CommandFailed>) {
          // Only prompts the core waits for carry a request id: go on as if they had played.
          spdlog::warn("telephony command failed (request {}): {}", e.request, e.reason);
          onPlaybackFinished(e.request);
        } else if constexpr (std::is_same_v<T, telephony::RecordingStopped>) {
          onRecordingStopped(e);
        } else if constexpr (std::is_same_v<T, telephony::RegistrationChanged>) {
          onRegistration(e);
        } else {
          // Ringing, EarlyMedia: progress the core does not act on in this slice. MediaTimeout:
          // the engine hangs the leg up itself; its LegEnded (cause MediaTimeout) decides.
          // Digits: no IVR in this slice.
          static_assert(std::is_same_v<T, telephony::Ringing> ||
                            std::is_same_v<T, telephony::EarlyMedia> ||
                            std::is_same_v<T, telephony::MediaTimeout> ||
                            std::is_same_v<T, telephony::DigitPressed> ||
                            std::is_same_v<T, telephony::DigitsCollected>,
                        "a telephony event the core does not handle");
        }
      },
      event);
}

void CallControl::Impl::addLeg(CallRec& c, const LegId& leg) {
  c.legs[leg] = false;
  legs_[leg] = c.id;
}

void CallControl::Impl::hangupLeg(CallRec& c, const LegId& leg, EndCause cause) {
  auto it = c.legs.find(leg);
  if (it == c.legs.end() || it->second) return;  // ended, or already asked
  if (isLine(leg)) {
    // A persistent line leaves the call and stays up for the next one (decision 0027).
    detachLine(c, leg);
    return;
  }
  it->second = true;
  execute(telephony::Hangup{leg, cause});
}

void CallControl::Impl::playMusic(const CallRec& c) {
  auto q = queues_.find(c.queue);
  const std::string music = q != queues_.end() ? q->second.music : std::string("moh");
  execute(telephony::Play{.leg = c.customer,
                          .items = {telephony::PlayItem::ofPrompt(music)},
                          .bargeIn = false,
                          .loop = true,
                          .request = 0});
}

telephony::RequestId CallControl::Impl::playWithAnswer(CallRec& c, std::string prompt) {
  const telephony::RequestId request = nextRequest_++;
  execute(telephony::Play{.leg = c.customer,
                          .items = {telephony::PlayItem::ofPrompt(std::move(prompt))},
                          .bargeIn = false,
                          .loop = false,
                          .request = request});
  return request;
}

// ---- arrival -----------------------------------------------------------------------------------

void CallControl::Impl::onLegArrived(const telephony::LegArrived& e) {
  if (legs_.contains(e.leg)) {
    BANKCC_BUG("LegArrived for a leg the core already knows");
    return;
  }
  if (!e.extension.empty()) {
    // The phone a logged-in agent uses: the agent places a call (decision 0020).
    if (auto owner = extensionOwner_.find(e.extension); owner != extensionOwner_.end()) {
      if (AgentRec* a = findAgent(owner->second); a != nullptr) {
        onPhoneDialled(e, *a);
        return;
      }
    }
  }
  CallRec fresh;
  fresh.id = newId();
  fresh.customer = e.leg;
  fresh.ani = e.ani;
  fresh.dnis = e.dnis;
  fresh.trunk = e.trunk;
  fresh.arrived = now();
  if (!e.trunk.empty()) {
    // Only the trunk side (carrier, SBC) may tell a tier; an agent phone could claim anything.
    if (auto h = e.headers.find("x-bankcc-tier"); h != e.headers.end()) {
      if (auto t = options_.tierPriority.find(h->second); t != options_.tierPriority.end()) {
        fresh.tier = t->first;
        fresh.priority = t->second;
      }
    }
  }
  const std::string id = fresh.id;
  CallRec& c = calls_.emplace(id, std::move(fresh)).first->second;
  addLeg(c, c.customer);
  emit(c.id, {}, {}, events::CallArrived{c.ani, c.dnis, c.trunk});

  if (draining_) {
    // Shutting down: the caller gets a clean 503 (the carrier may route to another node).
    c.legs[c.customer] = true;
    execute(telephony::Reject{c.customer, 503, "shutting down"});
    endCall(c, "shutdown", "system");
    return;
  }

  auto route = dnisToQueue_.find(e.dnis);
  if (route == dnisToQueue_.end()) {
    spdlog::info("call {}: no queue for DNIS '{}', rejected", c.id, e.dnis);
    c.legs[c.customer] = true;
    execute(telephony::Reject{c.customer, 404, "no service at this number"});
    endCall(c, "unknown_dnis", "system");
    return;
  }
  c.queue = route->second;
  execute(telephony::Answer{c.customer});
  if (joinQueue(c, route->second, c.priority, c.arrived)) {
    playMusic(c);
    routeCall(c, "call_joined");
  }
}

// ---- connection ---------------------------------------------------------------------------------

void CallControl::Impl::onAnswered(const telephony::Answered& e) {
  auto it = legs_.find(e.leg);
  if (it == legs_.end()) {
    onIdleLineAnswered(e.leg);  // an agent's line, in no call; else a leg the core forgot
    return;
  }
  CallRec& c = calls_.at(it->second);
  if (c.phase == Phase::Dialing) {
    if (c.agentLeg == e.leg) {
      if (c.customer.value.empty()) dialTarget(c);  // the agent is on the line: dial out
    } else if (c.customer == e.leg) {
      connectPlaced(c);
    }
    return;
  }
  if (e.leg == c.customer) return;  // our own Answer
  if (c.phase == Phase::Offered && c.agentLeg == e.leg) {
    connect(c);
  } else if (c.monitor && c.monitor->leg == e.leg) {
    onMonitorAnswered(c);
  } else if (c.phase == Phase::Connected && c.party && c.party->leg == e.leg) {
    onPartyAnswered(c);
  } else if (c.phase == Phase::Fallback && c.fallbackLeg == e.leg) {
    execute(telephony::StopPlay{c.customer});
    execute(telephony::Bridge{c.customer, e.leg});
    c.fallbackConnected = true;
  } else {
    // A leg the call gave up on (an offer that timed out, a call that ended) answered late.
    hangupLeg(c, e.leg, EndCause::Normal);
  }
}

void CallControl::Impl::connect(CallRec& c) {
  RequestScope scope(*this, c.answerRequestId);
  AgentRec* a = findAgent(c.agentNo);
  // An offered call's agent is logged in and reserved for it (Logout is refused meanwhile).
  BANKCC_RELEASE_ASSERT(a != nullptr && a->state == AgentState::Reserved && a->callId == c.id,
                        "an offered call's agent is reserved for it");
  cancel(c.ringTimer);
  const LegId agentLeg = *c.agentLeg;
  execute(telephony::StopPlay{c.customer});
  execute(telephony::Bridge{c.customer, agentLeg});
  const std::string recording = newId();
  execute(telephony::StartRecording{telephony::RecordingId{recording}, c.customer, agentLeg});
  acd_.remove(c.id);
  c.inAcd = false;
  c.phase = Phase::Connected;
  c.answered = now();
  c.recordingId = recording;
  recordings_[recording] = RecordingInfo{c.id, c.agentNo, c.queue};
  if (auto q = queues_.find(c.queue); q != queues_.end()) {
    c.wrapUp = q->second.wrapUp;
    c.readyAfterWrapUp = q->second.readyAfterWrapUp;
  }
  emit(c.id, c.agentNo, c.queue,
       events::CallAnswered{c.agentNo, c.queue, toMs(c.answered - c.arrived)});
  emit(c.id, c.agentNo, c.queue,
       events::QueueLeft{c.queue, "answered", toMs(c.answered - c.joined)});
  setState(*a, AgentState::OnCall);
  emit(c.id, c.agentNo, c.queue, events::RecordingStarted{recording});
  adoptLine(*a, c, agentLeg);
}

void CallControl::Impl::stopRecording(CallRec& c) {
  if (c.recordingId.empty()) return;
  execute(telephony::StopRecording{telephony::RecordingId{c.recordingId}});
  c.recordingId.clear();
  c.recordingPaused = false;
}

void CallControl::Impl::onRecordingStopped(const telephony::RecordingStopped& e) {
  auto it = recordings_.find(e.recording.value);
  if (it == recordings_.end()) return;
  const RecordingInfo info = std::move(it->second);
  recordings_.erase(it);
  if (CallRec* c = findCall(info.callId); c != nullptr && c->recordingId == e.recording.value) {
    c->recordingId.clear();  // stopped by the engine (the caller's leg ended)
    c->recordingPaused = false;
  }
  emit(info.callId, info.agentNo, info.queue,
       events::RecordingStopped{e.recording.value, toMs(e.duration), e.file, e.complete});
}

// ---- playback -----------------------------------------------------------------------------------

void CallControl::Impl::onPlaybackFinished(telephony::RequestId request) {
  auto it = plays_.find(request);
  if (it == plays_.end()) return;
  const auto [callId, kind] = it->second;
  plays_.erase(it);
  CallRec* c = findCall(callId);
  if (c == nullptr) return;
  switch (kind) {
    case PlayKind::ClosedPrompt:
      onClosedPromptDone(*c);
      break;
    case PlayKind::RecoveryPrompt:
      // Back to the queue's music while the caller still waits (an answer stops the prompt).
      if (c->phase == Phase::Queued || c->phase == Phase::Offered) playMusic(*c);
      break;
  }
}

// ---- legs ending -------------------------------------------------------------------------------

void CallControl::Impl::onLegEnded(const telephony::LegEnded& e) {
  if (isLine(e.leg)) onLineEnded(e);  // then, in a call, the call sees its leg end as usual
  auto it = legs_.find(e.leg);
  if (it == legs_.end()) return;  // a leg the core no longer knows
  CallRec& c = calls_.at(it->second);
  legs_.erase(it);
  c.legs.erase(e.leg);
  const std::string cause(endCauseName(e.cause));

  if (c.phase == Phase::Ending) {
    if (c.legs.empty()) closeCall(c.id);
    return;
  }
  if (c.phase == Phase::Dialing) {
    onDialingLegEnded(c, e.leg, e.cause);
    return;
  }
  if (e.leg == c.customer) {
    if (c.phase == Phase::Queued || c.phase == Phase::Offered) {
      emit(c.id, c.agentNo, c.queue,
           events::QueueLeft{c.queue, "abandoned", toMs(now() - c.joined)});
    }
    // The engine stopping or failing is not the caller's doing.
    const bool bySystem = e.cause == EndCause::Shutdown || e.cause == EndCause::Failed;
    endCall(c, cause, bySystem ? "system" : c.customerSide);
    return;
  }
  if (c.agentLeg == e.leg) {
    c.agentLeg.reset();
    if (c.phase == Phase::Offered) {
      failOffer(c, e.cause == EndCause::NoAnswer ? kReasonNoAnswer : kReasonPhoneUnavailable);
    } else if (c.phase == Phase::Connected) {
      // The agent hanging up their phone with the party on the line hands the customer over
      // (as on a PBX); a conference goes on without the agent even when their leg dropped.
      const bool handOver =
          c.party &&
          (c.party->stage == CallRec::PartyRec::Stage::Conferenced ||
           (c.party->stage == CallRec::PartyRec::Stage::Consulting && e.cause == EndCause::Normal));
      if (handOver) {
        transferToParty(c, true);
      } else if (e.cause == EndCause::Normal || c.queue.empty()) {
        // A call without a queue (one the agent placed) has nowhere to wait again.
        endCall(c, cause, "agent");
      } else {
        agentLost(c, e.cause);
      }
    }
    return;
  }
  if (c.party && c.party->leg == e.leg) {
    onPartyLegEnded(c, e.cause);
    return;
  }
  if (c.fallbackLeg == e.leg) {
    c.fallbackLeg.reset();
    onFallbackLegEnded(c, e.cause);
    return;
  }
  if (c.monitor && c.monitor->leg == e.leg) onMonitorLegEnded(c, e.cause);
  // Otherwise a leg the call had given up on ended: nothing more.
}

void CallControl::Impl::agentLost(CallRec& c, EndCause cause) {
  AgentRec* a = findAgent(c.agentNo);
  // A connected call's agent is logged in and on the call (Logout is refused meanwhile).
  BANKCC_RELEASE_ASSERT(a != nullptr && a->state == AgentState::OnCall && a->callId == c.id,
                        "a connected call's agent is on it");
  const std::string agentNo = c.agentNo;
  spdlog::warn("call {}: agent {} lost ({}), re-queued", c.id, agentNo, endCauseName(cause));
  emit(c.id, agentNo, c.queue,
       events::CallAgentLost{agentNo, std::string(endCauseName(cause)), toMs(now() - c.answered)});
  if (c.monitor) endMonitor(c, "agent_lost");
  if (c.party) endConsult(c, "call_ended", "system");
  clearMute(c, false);
  retrieve(c);
  stopRecording(c);
  c.agentNo.clear();
  c.phase = Phase::Queued;
  c.answered = {};
  const telephony::RequestId prompt = playWithAnswer(c, options_.recoveryPrompt);
  plays_[prompt] = {c.id, PlayKind::RecoveryPrompt};
  const std::string callId = c.id;
  const bool joined = joinQueue(c, c.queue, options_.reQueuePriority, c.arrived, agentNo,
                                now() + options_.reQueuePreference);
  // The agent did not finish a conversation: no wrap-up, so that they can take the caller back
  // (the re-queued call prefers them). Freeing the agent routes them.
  releaseAgent(*a);
  if (!joined) return;
  if (CallRec* again = findCall(callId); again != nullptr) routeCall(*again, "requeued");
}

// ---- fallback ----------------------------------------------------------------------------------

void CallControl::Impl::leaveForFallback(CallRec& c, std::string_view reason,
                                         std::string destination) {
  emit(c.id, {}, c.queue, events::QueueLeft{c.queue, std::string(reason), toMs(now() - c.joined)});
  c.inAcd = false;
  c.phase = Phase::Fallback;
  c.fallbackDestination = std::move(destination);
  c.fallbackCause = reason == "full"        ? "queue_full"
                    : reason == "closed"    ? "queue_closed"
                    : reason == "timed_out" ? "queue_timeout"
                                            : "queue_overflow";
  auto q = queues_.find(c.queue);
  c.closedPrompt = q != queues_.end() ? q->second.closedPrompt : std::string("queue_closed");
  const telephony::RequestId prompt = playWithAnswer(c, c.closedPrompt);
  plays_[prompt] = {c.id, PlayKind::ClosedPrompt};
}

void CallControl::Impl::onClosedPromptDone(CallRec& c) {
  if (c.phase != Phase::Fallback || c.fallbackLeg) return;
  if (c.fallbackDestination.empty()) {
    endCall(c, c.fallbackCause, "system");
    return;
  }
  dialFallback(c);
}

void CallControl::Impl::dialFallback(CallRec& c) {
  const LegId leg{newId()};
  addLeg(c, leg);
  c.fallbackLeg = leg;
  execute(telephony::Play{.leg = c.customer,
                          .items = {telephony::PlayItem::ofTone(telephony::Tone::Ringback)},
                          .bargeIn = false,
                          .loop = true,
                          .request = 0});
  execute(telephony::Originate{
      .leg = leg,
      .to = telephony::Destination{telephony::Destination::Kind::External, c.fallbackDestination},
      .callerId = c.ani,
      .near = c.customer,
      .ringTimeout = kFallbackRingTimeout,
      .autoAnswer = false,
      .headers = {{"X-Bankcc-Call-Id", c.id}}});
}

void CallControl::Impl::onFallbackLegEnded(CallRec& c, EndCause cause) {
  if (!c.fallbackConnected && !c.transferredTo.empty()) {
    // A blind transfer to a number that did not answer: the caller returns to their queue
    // rather than being dropped.
    spdlog::info("call {}: transfer to {} failed ({}), back to queue {}", c.id, c.transferredTo,
                 endCauseName(cause), c.queue);
    c.transferredTo.clear();
    c.fallbackDestination.clear();
    const std::string callId = c.id;
    if (joinQueue(c, c.queue, c.priority, c.arrived)) {
      playMusic(c);
      if (CallRec* again = findCall(callId)) routeCall(*again, "transfer_failed");
    }
    return;
  }
  if (c.fallbackConnected) {
    endCall(c, std::string(endCauseName(cause)), "system");
  } else {
    endCall(c, "fallback_failed", "system");
  }
}

// ---- the end ------------------------------------------------------------------------------------

void CallControl::Impl::endCall(CallRec& c, std::string cause, std::string hungUpBy) {
  if (c.phase == Phase::Ending) return;
  if (c.inAcd) {
    acd_.remove(c.id);
    c.inAcd = false;
  }
  cancel(c.ringTimer);
  c.awaitingDesktopAnswer = false;
  if (c.monitor) endMonitor(c, "call_ended");
  // A consult ends before the call; a conference party wraps up with the agent (closeCall).
  if (c.party && c.party->stage != CallRec::PartyRec::Stage::Conferenced) {
    endConsult(c, "call_ended", "system");
  }
  stopRecording(c);
  c.phase = Phase::Ending;
  c.endedAt = now();
  c.endCause = std::move(cause);
  c.hungUpBy = std::move(hungUpBy);
  c.endRequestId = requestId_;
  std::vector<LegId> up;
  for (const auto& [leg, asked] : c.legs) up.push_back(leg);
  for (const auto& leg : up) hangupLeg(c, leg, EndCause::Normal);
  if (c.legs.empty()) {
    closeCall(c.id);
    return;
  }
  c.endTimer = after(kLegEndGrace, [this, id = c.id] {
    if (CallRec* late = findCall(id); late != nullptr) {
      spdlog::warn("call {}: {} leg(s) did not report their end; closing the call", id,
                   late->legs.size());
      late->endTimer = {};
      closeCall(id);
    }
    finishTurn();
  });
}

void CallControl::Impl::closeCall(std::string callId) {
  auto it = calls_.find(callId);
  BANKCC_ASSERT(it != calls_.end(), "closeCall of a known call");
  if (it == calls_.end()) return;
  CallRec c = std::move(it->second);
  calls_.erase(it);
  cancel(c.endTimer);
  cancel(c.ringTimer);
  for (const auto& [leg, asked] : c.legs) legs_.erase(leg);
  std::erase_if(plays_, [&](const auto& p) { return p.second.first == callId; });
  forgetCall(callId);
  {
    RequestScope scope(*this, c.endRequestId);
    emit(c.id, c.agentNo, c.queue,
         events::CallEnded{c.endCause, c.hungUpBy, toMs(c.endedAt - c.arrived)});
    AgentRec* a = c.agentNo.empty() ? nullptr : findAgent(c.agentNo);
    if (a != nullptr && a->callId == c.id) {
      if (a->state == AgentState::OnCall) {
        enterWrapUp(*a, c, c.endedAt);
      } else if (a->state == AgentState::Reserved) {
        releaseAgent(*a);
      }
    }
    dropPartyForEnd(c, c.endedAt);
    releasePeer(c);
  }
}

}  // namespace bankcc::callctl
