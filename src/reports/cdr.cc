// SPDX-License-Identifier: Apache-2.0
#include "reports/cdr.h"

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>
#include <utility>
#include <variant>

#include "events/json.h"

namespace bankcc::reports {

namespace {

using events::AgentState;

std::int64_t millisBetween(base::SysTime from, base::SysTime to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

/// Closes segment `index` (when set) at `at` with `detail` and forgets it.
void closeSegment(Cdr& cdr, std::optional<std::size_t>& index, base::SysTime at,
                  std::string detail) {
  if (!index) return;
  auto& s = cdr.segments[*index];
  s.endedAt = at;
  if (!detail.empty()) s.detail = std::move(detail);
  index.reset();
}

std::size_t addSegment(Cdr& cdr, std::string kind, std::string queue, std::string agentNo,
                       base::SysTime at) {
  cdr.segments.push_back(CdrSegment{.kind = std::move(kind),
                                    .queue = std::move(queue),
                                    .agentNo = std::move(agentNo),
                                    .startedAt = at,
                                    .endedAt = std::nullopt,
                                    .detail = {}});
  return cdr.segments.size() - 1;
}

/// Closes segment `index` whose detail names its subject ("agent 1002", "number 95566"): the
/// end reason is appended ("agent 1002: cancelled"), as "agent_lost: <cause>" does.
void closeDescribed(Cdr& cdr, std::optional<std::size_t>& index, base::SysTime at,
                    std::string_view reason) {
  if (!index) return;
  std::string detail = fmt::format("{}: {}", cdr.segments[*index].detail, reason);
  closeSegment(cdr, index, at, std::move(detail));
}

/// Closes the conference party's leg: an agent segment ends with the reason as its detail, like
/// any agent segment; a party segment keeps the number in it.
void closePartyLeg(Cdr& cdr, std::optional<std::size_t>& index, base::SysTime at,
                   std::string_view reason) {
  if (!index) return;
  if (cdr.segments[*index].kind == "agent") {
    closeSegment(cdr, index, at, std::string(reason));
  } else {
    closeDescribed(cdr, index, at, reason);
  }
}

/// Opens a segment whose detail names its subject: "<type> <who>".
std::size_t addDescribed(Cdr& cdr, std::string kind, std::string agentNo, base::SysTime at,
                         std::string_view type, std::string_view who) {
  const std::size_t i = addSegment(cdr, std::move(kind), {}, std::move(agentNo), at);
  cdr.segments[i].detail = fmt::format("{} {}", type, who);
  return i;
}

/// Ends whatever the agent leg holds open: the hold inside it first, then the leg.
void endAgentLeg(CdrFold::OpenCall& c, base::SysTime at, std::string detail) {
  closeSegment(c.cdr, c.holdSegment, at, {});
  closeSegment(c.cdr, c.agentSegment, at, std::move(detail));
}

std::string outcomeOf(const CdrFold::OpenCall& c) {
  const Cdr& cdr = c.cdr;
  if (cdr.answeredAt) return "answered";
  if (cdr.endCause == "unknown_dnis") return "unknown_dnis";
  if (cdr.endCause == "queue_full" || cdr.endCause == "queue_closed") return "rejected";
  if (cdr.endCause == "queue_timeout" || cdr.endCause == "queue_overflow") return "overflow";
  if (!c.fallbackReason.empty()) return "fallback";
  if (!cdr.originAgent.empty() && cdr.parentCallId.empty()) {
    // A call an agent placed: the agent is its caller. Abandoned only as a queue sees it (they
    // dialled a queue and hung up waiting); a number or colleague that did not answer, or the
    // agent cancelling while it rang, is unanswered.
    const bool abandonedInQueue = std::any_of(
        cdr.segments.begin(), cdr.segments.end(),
        [](const CdrSegment& s) { return s.kind == "queue" && s.detail == "abandoned"; });
    return abandonedInQueue ? "abandoned" : "unanswered";
  }
  if (cdr.hungUpBy == "caller") return "abandoned";
  return "unanswered";
}

bool isFallbackReason(std::string_view reason) {
  return reason == "full" || reason == "closed" || reason == "timed_out" || reason == "overflow";
}

}  // namespace

std::string_view placedCallDirection(std::string_view targetType) {
  return targetType == "number" ? "outbound" : "internal";
}

void CdrFold::apply(const store::StoredEvent& stored) {
  if (stored.seq <= lastSeq_) return;
  auto payload = events::parsePayload(stored.type, stored.payload);
  if (!payload.ok()) {
    // Still advance: the checkpoint must not stop at an event no version of the fold will read.
    ++skipped_;
    lastSeq_ = stored.seq;
    return;
  }
  apply(events::Event{.epoch = stored.epoch,
                      .seq = stored.seq,
                      .ts = stored.ts,
                      .callId = stored.callId,
                      .agentId = stored.agentId,
                      .queueId = stored.queueId,
                      .requestId = stored.requestId,
                      .payload = std::move(payload).value()});
}

void CdrFold::apply(const events::Event& e) {
  if (e.seq != 0 && e.seq <= lastSeq_) return;
  if (epoch_ != 0 && e.epoch != epoch_) {
    closeEpoch(stoppingAt_.value_or(e.ts), e.seq);
  }
  if (epoch_ != e.epoch) {
    epoch_ = e.epoch;
    stoppingAt_.reset();
  }
  if (e.seq != 0) lastSeq_ = e.seq;

  std::visit(
      [&](const auto& p) {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, events::SystemStopping>) {
          stoppingAt_ = e.ts;
        } else if constexpr (std::is_same_v<P, events::AgentStateChanged>) {
          onAgentState(e, p);
        } else if constexpr (std::is_same_v<P, events::CallConsultStarted>) {
          onConsultStarted(e, p);
        } else if constexpr (std::is_same_v<P, events::CallOriginated>) {
          onOriginated(e, p);
        } else if constexpr (std::is_same_v<P, events::CallArrived>) {
          if (e.callId.empty() || calls_.contains(e.callId)) return;
          OpenCall c;
          c.cdr.callId = e.callId;
          c.cdr.epoch = e.epoch;
          c.cdr.ani = p.ani;
          c.cdr.dnis = p.dnis;
          c.cdr.trunk = p.trunk;
          c.cdr.arrivedAt = e.ts;
          c.cdr.firstSeq = e.seq;
          calls_.emplace(e.callId, std::move(c));
        } else {
          auto it = calls_.find(e.callId);
          if (it == calls_.end()) return;
          OpenCall& c = it->second;
          Cdr& cdr = c.cdr;
          if constexpr (std::is_same_v<P, events::QueueJoined>) {
            closeSegment(cdr, c.queueSegment, e.ts, "moved");
            c.queueSegment = addSegment(cdr, "queue", p.queue, {}, e.ts);
            if (cdr.firstQueue.empty()) cdr.firstQueue = p.queue;
          } else if constexpr (std::is_same_v<P, events::QueueLeft>) {
            if (!c.queueSegment) c.queueSegment = addSegment(cdr, "queue", p.queue, {}, e.ts);
            closeSegment(cdr, c.queueSegment, e.ts, p.reason);
            if (cdr.firstQueue.empty()) cdr.firstQueue = p.queue;
            if (isFallbackReason(p.reason)) c.fallbackReason = p.reason;
          } else if constexpr (std::is_same_v<P, events::CallOffered>) {
            if (cdr.tier.empty()) cdr.tier = p.tier;
            // An internal call rings the colleague the core chose (the target's number).
            if (!c.calleeAgent.empty() && p.queue.empty() && !p.agentNo.empty()) {
              c.calleeAgent = p.agentNo;
            }
          } else if constexpr (std::is_same_v<P, events::CallAnswered>) {
            onAnswered(e, c, p);
          } else if constexpr (std::is_same_v<P, events::CallAgentLost>) {
            if (c.partySegment && !p.agentNo.empty() &&
                cdr.segments[*c.partySegment].kind == "agent" &&
                cdr.segments[*c.partySegment].agentNo == p.agentNo) {
              // The other agent on the line (a colleague, a conferenced agent) dropped.
              closePartyLeg(cdr, c.partySegment, e.ts, "agent_lost: " + p.cause);
              return;
            }
            endAgentLeg(c, e.ts, "agent_lost: " + p.cause);
          } else if constexpr (std::is_same_v<P, events::CallIntercepted>) {
            // A supervisor gave the waiting or ringing call to an agent (decision 0022): a
            // point in the call's story, like a transfer, for the auditor reading the CDR.
            const std::size_t i = addSegment(cdr, "intercept", {}, p.agentNo, e.ts);
            cdr.segments[i].endedAt = e.ts;
            cdr.segments[i].detail =
                p.fromAgent.empty() ? fmt::format("by {}", p.supervisor)
                                    : fmt::format("by {} from agent {}", p.supervisor, p.fromAgent);
          } else if constexpr (std::is_same_v<P, events::CallTransferred>) {
            endAgentLeg(c, e.ts, "transferred");
            const std::size_t i = addSegment(cdr, "transfer", {}, p.agentNo, e.ts);
            cdr.segments[i].endedAt = e.ts;
            cdr.segments[i].detail = fmt::format("{} to {} {}", p.mode, p.targetType, p.target);
            ++cdr.transfers;
            if (p.mode != "attended" || p.target.empty()) return;
            // The party already on the line keeps the customer. A conferenced party continues
            // in their segment (the owner left the conference); a consulted one starts one.
            bool partyIsTarget = false;
            if (c.partySegment) {
              const CdrSegment& party = cdr.segments[*c.partySegment];
              partyIsTarget =
                  p.targetType == "agent"
                      ? party.kind == "agent" && party.agentNo == p.target
                      : party.kind == "party" &&
                            party.detail == fmt::format("{} {}", p.targetType, p.target);
            }
            if (p.targetType == "agent") {
              if (partyIsTarget) {
                c.agentSegment = std::exchange(c.partySegment, std::nullopt);
              } else {
                c.agentSegment = addSegment(cdr, "agent", {}, p.target, e.ts);
              }
              joinAgent(c, p.target);
            } else if (!partyIsTarget) {
              closePartyLeg(cdr, c.partySegment, e.ts, "replaced");
              c.partySegment = addDescribed(cdr, "party", {}, e.ts, p.targetType, p.target);
            }
          } else if constexpr (std::is_same_v<P, events::CallConsultAnswered>) {
            // On the consult call: the party picked up.
            if (cdr.answeredAt) return;
            cdr.answeredAt = e.ts;
            const std::string& party = p.target.empty() ? cdr.dnis : p.target;
            if (c.consultTargetType == "agent" || c.consultTargetType == "queue") {
              c.agentSegment = addSegment(cdr, "agent", {}, party, e.ts);
              cdr.answeredBy = party;
              joinAgent(c, party);
            } else {
              c.partySegment = addDescribed(cdr, "party", {}, e.ts, c.consultTargetType, party);
            }
          } else if constexpr (std::is_same_v<P, events::CallConsultEnded>) {
            closeDescribed(cdr, c.consultSegment, e.ts, p.reason);
          } else if constexpr (std::is_same_v<P, events::CallConferenced>) {
            closePartyLeg(cdr, c.partySegment, e.ts, "replaced");  // one party at a time
            if (p.partyType == "agent") {
              c.partySegment = addSegment(cdr, "agent", {}, p.party, e.ts);
              joinAgent(c, p.party);
            } else {
              c.partySegment = addDescribed(cdr, "party", {}, e.ts, p.partyType, p.party);
            }
          } else if constexpr (std::is_same_v<P, events::CallPartyLeft>) {
            // A party agent stays busy on the call until their wrap-up ends.
            closePartyLeg(cdr, c.partySegment, e.ts, p.reason);
          } else if constexpr (std::is_same_v<P, events::CallHeld>) {
            if (!c.holdSegment) c.holdSegment = addSegment(cdr, "hold", {}, p.agentNo, e.ts);
          } else if constexpr (std::is_same_v<P, events::CallRetrieved>) {
            closeSegment(cdr, c.holdSegment, e.ts, {});
          } else if constexpr (std::is_same_v<P, events::RecordingStarted>) {
            if (cdr.recordingId.empty()) cdr.recordingId = p.recordingId;
            if (!p.recordingId.empty() &&
                std::find(cdr.recordingIds.begin(), cdr.recordingIds.end(), p.recordingId) ==
                    cdr.recordingIds.end()) {
              cdr.recordingIds.push_back(p.recordingId);
            }
          } else if constexpr (std::is_same_v<P, events::CallEnded>) {
            if (c.ended) return;
            closeSegment(cdr, c.queueSegment, e.ts, "call_ended");
            endAgentLeg(c, e.ts, "ended");
            closePartyLeg(cdr, c.partySegment, e.ts, "ended");
            closeDescribed(cdr, c.consultSegment, e.ts, "call_ended");
            c.ended = true;
            cdr.endedAt = e.ts;
            cdr.endCause = p.cause;
            cdr.hungUpBy = p.hungUpBy;
            if (!cdr.parentCallId.empty() &&
                (p.cause == "transferred" || p.cause == "conferenced")) {
              // The consulted agent went on to the parent call (call.transferred or
              // call.conferenced there came first): their state changes name the parent from
              // now on, and a consult has no wrap-up of its own.
              for (const auto& agent : c.busyAgents) {
                if (auto a = agentCall_.find(agent);
                    a != agentCall_.end() && a->second == e.callId) {
                  agentCall_.erase(a);
                }
              }
              c.busyAgents.clear();
            }
            if (c.busyAgents.empty()) finish(c, e.seq);
          }
        }
      },
      e.payload);
  finalizeDue(e.ts, e.seq);
}

void CdrFold::onAnswered(const events::Event& e, OpenCall& c, const events::CallAnswered& p) {
  Cdr& cdr = c.cdr;
  endAgentLeg(c, e.ts, "replaced");  // never two agent legs at once
  c.agentSegment = addSegment(cdr, "agent", p.queue, p.agentNo, e.ts);
  if (!cdr.answeredAt) {
    cdr.answeredAt = e.ts;
    cdr.answeringQueue = p.queue;
    cdr.answeredBy = p.agentNo;
  }
  joinAgent(c, p.agentNo);
  if (!c.calleeAgent.empty() && p.queue.empty() && !c.partySegment) {
    // An internal call to a colleague: their answer connects the placing agent (the event's
    // agent) and them; both are on the call and busy on it until their states leave it.
    const std::string callee = std::exchange(c.calleeAgent, {});
    c.partySegment = addSegment(cdr, "agent", {}, callee, e.ts);
    joinAgent(c, callee);
  }
}

void CdrFold::onOriginated(const events::Event& e, const events::CallOriginated& p) {
  if (e.callId.empty() || calls_.contains(e.callId)) return;
  const std::string& agent = p.agentNo.empty() ? e.agentId : p.agentNo;
  OpenCall c;
  c.cdr.callId = e.callId;
  c.cdr.direction = std::string(placedCallDirection(p.targetType));
  c.cdr.originAgent = agent;
  c.cdr.epoch = e.epoch;
  c.cdr.ani = p.extension;  // the calling party: the agent's phone
  c.cdr.dnis = p.target;
  c.cdr.arrivedAt = e.ts;
  c.cdr.firstSeq = e.seq;
  if (p.targetType == "agent") c.calleeAgent = p.target;
  calls_.emplace(e.callId, std::move(c));
}

void CdrFold::onConsultStarted(const events::Event& e, const events::CallConsultStarted& p) {
  if (e.callId.empty() || calls_.contains(e.callId)) return;
  const std::string& agent = p.agentNo.empty() ? e.agentId : p.agentNo;
  OpenCall k;
  k.cdr.callId = e.callId;
  k.cdr.parentCallId = p.parentCallId;
  k.cdr.direction = std::string(placedCallDirection(p.targetType));
  k.cdr.originAgent = agent;
  k.cdr.epoch = e.epoch;
  // The consulting agent placed the call: their number is its calling party (the CDR has no
  // other column to name them, and the parent's consult segment carries it too).
  k.cdr.ani = agent;
  k.cdr.dnis = p.target;
  k.cdr.arrivedAt = e.ts;
  k.cdr.firstSeq = e.seq;
  k.consultTargetType = p.targetType;
  calls_.emplace(e.callId, std::move(k));

  auto parent = p.parentCallId == e.callId ? calls_.end() : calls_.find(p.parentCallId);
  if (parent == calls_.end() || parent->second.ended) return;
  OpenCall& c = parent->second;
  closeDescribed(c.cdr, c.consultSegment, e.ts, "replaced");  // one consult at a time
  c.consultSegment = addDescribed(c.cdr, "consult", agent, e.ts, p.targetType, p.target);
}

void CdrFold::joinAgent(OpenCall& c, const std::string& agent) {
  if (agent.empty()) return;
  Cdr& cdr = c.cdr;
  if (std::find(cdr.agents.begin(), cdr.agents.end(), agent) == cdr.agents.end()) {
    cdr.agents.push_back(agent);
  }
  c.busyAgents.insert(agent);
  agentCall_[agent] = cdr.callId;
}

void CdrFold::onAgentState(const events::Event& e, const events::AgentStateChanged& s) {
  const std::string& agent = s.agentNo.empty() ? e.agentId : s.agentNo;
  if (agent.empty()) return;
  // The core names the call in the envelope while the agent works on one; the fold's own
  // record covers events that do not (older history).
  std::string callId = e.callId;
  if (callId.empty()) {
    if (auto a = agentCall_.find(agent); a != agentCall_.end()) callId = a->second;
  }

  if (auto open = intervals_.find(agent); open != intervals_.end()) {
    AgentStateInterval done = std::move(open->second);
    intervals_.erase(open);
    done.endedAt = e.ts;
    done.durationMs = millisBetween(done.startedAt, e.ts);
    done.endSeq = e.seq;
    doneIntervals_.push_back(std::move(done));
  }
  if (s.to != AgentState::LoggedOut) {
    const bool withCall =
        s.to == AgentState::Reserved || s.to == AgentState::OnCall || s.to == AgentState::WrapUp;
    intervals_.emplace(agent, AgentStateInterval{.agentNo = agent,
                                                 .state = std::string(agentStateName(s.to)),
                                                 .reason = s.reason,
                                                 .startedAt = e.ts,
                                                 .endedAt = {},
                                                 .durationMs = 0,
                                                 .callId = withCall ? callId : std::string(),
                                                 .endCause = {},
                                                 .startSeq = e.seq,
                                                 .endSeq = 0});
  }

  auto it = callId.empty() ? calls_.end() : calls_.find(callId);
  if (it == calls_.end()) {
    if (s.to != AgentState::OnCall && s.to != AgentState::WrapUp) agentCall_.erase(agent);
    return;
  }
  OpenCall& c = it->second;
  if (s.from == AgentState::WrapUp) {
    if (auto w = c.wrapUps.find(agent); w != c.wrapUps.end()) {
      c.cdr.segments[w->second].endedAt = e.ts;
      c.wrapUps.erase(w);
    }
  }
  if (s.to == AgentState::WrapUp && c.busyAgents.contains(agent) && !c.wrapUps.contains(agent)) {
    c.wrapUps[agent] = addSegment(c.cdr, "wrapup", {}, agent, e.ts);
  }
  if (s.to != AgentState::OnCall && s.to != AgentState::WrapUp) {
    // The agent is done with the call: ready, not ready, logged out.
    c.busyAgents.erase(agent);
    agentCall_.erase(agent);
    if (c.ended && c.busyAgents.empty()) finish(c, e.seq);
  }
}

void CdrFold::finish(OpenCall& c, std::uint64_t seq) {
  c.cdr.outcome = outcomeOf(c);
  Cdr cdr = std::move(c.cdr);
  cdr.lastSeq = seq;
  cdr.waitMs = cdr.talkMs = cdr.holdMs = cdr.wrapUpMs = 0;
  std::int64_t agentMs = 0;
  for (const auto& s : cdr.segments) {
    if (!s.endedAt) continue;
    const std::int64_t ms = millisBetween(s.startedAt, *s.endedAt);
    if (s.kind == "queue") cdr.waitMs += ms;
    if (s.kind == "agent") agentMs += ms;
    if (s.kind == "hold") cdr.holdMs += ms;
    if (s.kind == "wrapup") cdr.wrapUpMs += ms;
  }
  cdr.talkMs = std::max<std::int64_t>(0, agentMs - cdr.holdMs);
  for (const auto& agent : c.busyAgents) {
    if (auto a = agentCall_.find(agent); a != agentCall_.end() && a->second == cdr.callId) {
      agentCall_.erase(a);
    }
  }
  const std::string id = cdr.callId;
  doneCdrs_.push_back(std::move(cdr));
  calls_.erase(id);  // `c` dies here
}

void CdrFold::finalizeDue(base::SysTime now, std::uint64_t seq) {
  std::vector<std::string> due;
  for (const auto& [id, c] : calls_) {
    if (c.ended && now - c.cdr.endedAt >= kWrapUpCap) due.push_back(id);
  }
  for (const auto& id : due) finish(calls_.at(id), seq);
}

void CdrFold::closeEpoch(base::SysTime at, std::uint64_t seq) {
  const std::string cause(kNodeRestart);
  while (!calls_.empty()) {
    OpenCall& c = calls_.begin()->second;
    Cdr& cdr = c.cdr;
    closeSegment(cdr, c.queueSegment, at, cause);
    endAgentLeg(c, at, cause);
    closePartyLeg(cdr, c.partySegment, at, cause);
    closeDescribed(cdr, c.consultSegment, at, cause);
    for (const auto& [agent, index] : c.wrapUps) {
      cdr.segments[index].endedAt = at;
      cdr.segments[index].detail = cause;
    }
    c.wrapUps.clear();
    if (!c.ended) {
      c.ended = true;
      cdr.endedAt = at;
      cdr.endCause = cause;
      cdr.hungUpBy = "system";
    }
    finish(c, seq);
  }
  for (auto& [agent, open] : intervals_) {
    open.endedAt = std::max(at, open.startedAt);
    open.durationMs = millisBetween(open.startedAt, open.endedAt);
    open.endCause = cause;
    open.endSeq = seq;
    doneIntervals_.push_back(std::move(open));
  }
  intervals_.clear();
  agentCall_.clear();
}

std::vector<Cdr> CdrFold::takeCdrs() {
  return std::exchange(doneCdrs_, {});
}

std::vector<AgentStateInterval> CdrFold::takeIntervals() {
  return std::exchange(doneIntervals_, {});
}

}  // namespace bankcc::reports
