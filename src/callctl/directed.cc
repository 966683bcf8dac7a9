// SPDX-License-Identifier: Apache-2.0
// Calls given to a named agent rather than the one the router would pick (decision 0022): a
// supervisor's intercept of a waiting or ringing call, and an agent's blind transfer to a
// colleague. Both put the call in its queue (where it keeps its place should the named agent
// not answer) and offer it to that agent outside the router. Core thread.
#include <fmt/core.h>

#include "base/assert.h"
#include "callctl/core.h"

namespace bankcc::callctl {

using events::AgentState;
using Status = CommandReply::Status;

CommandReply CallControl::Impl::runCommand(const Actor& actor, const InterceptCall& cmd) {
  if (!actor.supervisor && !actor.admin) {
    return refuse(Status::Forbidden, "not_a_supervisor", "only supervisors intercept calls");
  }
  CallRec* c = findCall(cmd.callId);
  if (c == nullptr) return noCall(cmd.callId);
  AgentRec* a = findAgent(cmd.agentNo);
  if (a == nullptr) return noAgent(cmd.agentNo);
  // The supervisor's own agent, or one of a team they supervise; and the same for the agent
  // whose phone rings now (a supervisor does not take calls from other teams' agents).
  if (!mayActOn(actor, *a)) {
    return refuse(Status::Forbidden, "not_your_team",
                  fmt::format("agent '{}' is not in a team you supervise", cmd.agentNo));
  }
  const bool ringing = c->phase == Phase::Offered;
  if (ringing) {
    const AgentRec* current = findAgent(c->agentNo);
    if (current != nullptr && !mayActOn(actor, *current)) {
      return refuse(Status::Forbidden, "not_your_team",
                    fmt::format("the call rings at agent '{}', who is not in a team you supervise",
                                c->agentNo));
    }
  }
  if (!c->inAcd || (c->phase != Phase::Queued && !ringing)) {
    return refuse(Status::Conflict, "not_waiting",
                  fmt::format("call '{}' is neither waiting in a queue nor ringing", c->id));
  }
  if (ringing && c->agentNo == cmd.agentNo) {
    return refuse(Status::Conflict, "already_offered",
                  fmt::format("call '{}' rings at agent '{}' already", c->id, cmd.agentNo));
  }
  if (auto refused = refuseUnavailable(*a)) return *refused;

  AgentRec* previous = ringing ? withdrawOffer(*c, telephony::EndCause::Normal) : nullptr;
  const std::string from = previous != nullptr ? previous->setup.acd.agentNo : std::string();
  // The ringing agent's desktop learns why the ring stopped; the new agent gets the offer.
  emit(c->id, from.empty() ? cmd.agentNo : from, c->queue,
       events::CallIntercepted{actor.username, from, cmd.agentNo});
  offerDirected(*c, *a, fmt::format("intercepted by supervisor {}", actor.username), "intercepted");
  // Not a missed call: back to the state the agent had (ready, or the not_ready they asked
  // for meanwhile). The call is offered already, so a ready agent is not given it again;
  // call.intercepted has told them their offer ended.
  if (previous != nullptr) releaseAgent(*previous);
  return {};
}

std::optional<CommandReply> CallControl::Impl::refuseTransferAgent(const CallRec& c,
                                                                   std::string_view target) {
  const AgentRec* b = findAgent(target);
  if (b == nullptr) return noAgent(target);
  if (target == c.agentNo) {
    return refuse(Status::Conflict, "transfer_self",
                  "an agent cannot transfer a call to themselves");
  }
  if (auto refused = refuseNoPlaceToWait(c)) return refused;
  if (b->state != AgentState::Ready) {
    return refuse(Status::Conflict, "agent_not_ready",
                  fmt::format("agent '{}' is not ready", target));
  }
  return std::nullopt;
}

std::optional<CommandReply> CallControl::Impl::refuseNoPlaceToWait(const CallRec& c) const {
  if (c.queue.empty()) {
    // A call an agent placed never waited anywhere: it has no place to keep.
    return refuse(Status::Conflict, "no_queue",
                  "a call that waited in no queue cannot wait for a colleague: send it to a "
                  "queue or a number, or consult");
  }
  if (auto open = queueOpen_.find(c.queue); open == queueOpen_.end() || !open->second) {
    return refuse(Status::Conflict, "queue_closed",
                  fmt::format("queue '{}' is closed: the caller cannot wait there for a colleague; "
                              "consult them instead",
                              c.queue));
  }
  return std::nullopt;
}

void CallControl::Impl::transferToAgent(CallRec& c, const std::string& from,
                                        const std::string& target) {
  // The customer waits in the call's queue, keeping arrival time and priority, while the
  // colleague's phone rings: should they not answer, the queue's agents take the call.
  const std::string callId = c.id;
  if (!joinQueue(c, c.queue, c.priority, c.arrived)) return;  // full: the queue's fallback
  playMusic(c);
  CallRec* again = findCall(callId);
  if (again == nullptr) return;
  AgentRec* b = findAgent(target);
  // The transferring agent's release (no wrap-up: ready) routes only that agent, never the
  // colleague: they are still ready unless something in between took them.
  if (b != nullptr && b->state == AgentState::Ready && canTakeCall(*b)) {
    offerDirected(*again, *b, fmt::format("transferred by agent {}", from), "transferred");
  } else {
    routeCall(*again, "transferred");
  }
}

}  // namespace bankcc::callctl
