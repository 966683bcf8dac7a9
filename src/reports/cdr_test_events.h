// SPDX-License-Identifier: Apache-2.0
#pragma once

// Hand-built event sequences for the CDR tests (cdr_test.cc, cdr_projector_itest.cc), in the
// order the core emits them (callctl/call_control.h, "The walk of a queue call").

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "events/event.h"

namespace bankcc::reports::testing {

using events::AgentState;
using std::chrono::seconds;

inline const base::SysTime kT0{seconds{1'767'225'600}};  // 2026-01-01Z

inline base::SysTime at(double s) {
  return kT0 + std::chrono::microseconds(static_cast<std::int64_t>(s * 1'000'000));
}

/// Builds events with consecutive seqs in one epoch (epoch() starts the next).
class Events {
 public:
  Events& add(double t, std::string callId, std::string agentNo, events::Payload payload) {
    out_.push_back(events::Event{.epoch = epoch_,
                                 .seq = ++seq_,
                                 .ts = at(t),
                                 .callId = std::move(callId),
                                 .agentId = std::move(agentNo),
                                 .payload = std::move(payload)});
    return *this;
  }
  Events& state(double t, const std::string& agent, AgentState from, AgentState to,
                std::string callId = {}, std::string reason = {}) {
    return add(t, std::move(callId), agent, events::AgentStateChanged{agent, from, to, reason});
  }
  Events& started(double t) {
    ++epoch_;
    return add(t, {}, {}, events::SystemStarted{"test", "node", 1});
  }
  const std::vector<events::Event>& all() const { return out_; }

 private:
  std::uint64_t epoch_ = 0;
  std::uint64_t seq_ = 0;
  std::vector<events::Event> out_;
};

/// The answered call with a hold of CdrFoldTest.AnsweredCallWithHoldAndWrapUp, up to and including
/// the agent's wrap-up.
inline void answeredCallWithHold(Events& ev, const std::string& call, const std::string& agent,
                                 double t) {
  ev.add(t, call, {}, events::CallArrived{"13800138000", "95555", "trunk1"})
      .add(t, call, {}, events::QueueJoined{"retail_zh", 0, 1})
      .add(t + 2, call, agent, events::RoutingDecided{"retail_zh", agent, "longest_idle", "x"})
      .state(t + 2, agent, AgentState::Ready, AgentState::Reserved, call)
      .add(t + 2, call, agent, events::CallOffered{.agentNo = agent, .tier = "vip"})
      .add(t + 5, call, agent, events::CallAnswered{agent, "retail_zh", 5000})
      .add(t + 5, call, {}, events::QueueLeft{"retail_zh", "answered", 5000})
      .state(t + 5, agent, AgentState::Reserved, AgentState::OnCall, call)
      .add(t + 5, call, {}, events::RecordingStarted{"rec-" + call})
      .add(t + 20, call, agent, events::CallHeld{agent})
      .add(t + 30, call, agent, events::CallRetrieved{agent, 10000})
      .add(t + 60, call, agent, events::RecordingStopped{"rec-" + call, 55000, "f", true})
      .add(t + 60, call, agent, events::CallEnded{"normal", "caller", 60000})
      .state(t + 60, agent, AgentState::OnCall, AgentState::WrapUp, call)
      .add(t + 70, {}, agent, events::WrapUpCompleted{agent, "balance", 12})
      .state(t + 75, agent, AgentState::WrapUp, AgentState::Ready, call);
}

/// Every scenario above in one log, over two epochs.
inline std::vector<events::Event> everything() {
  Events ev;
  ev.started(0).state(0, "1001", AgentState::NotReady, AgentState::Ready);
  answeredCallWithHold(ev, "a1", "1001", 10);
  ev.add(100, "ab", {}, events::CallArrived{"139", "95555", "t"})
      .add(100, "ab", {}, events::QueueJoined{"retail_zh", 0, 1});
  answeredCallWithHold(ev, "a2", "1002", 101);
  ev.add(150, "ab", {}, events::QueueLeft{"retail_zh", "abandoned", 50000})
      .add(150, "ab", {}, events::CallEnded{"normal", "caller", 50000})
      .add(160, "open", {}, events::CallArrived{"137", "95555", "t"})
      .add(160, "open", {}, events::QueueJoined{"retail_zh", 0, 1})
      .state(161, "1003", AgentState::Ready, AgentState::Reserved, "open")
      .add(162, "open", "1003", events::CallAnswered{"1003", "retail_zh", 2000})
      .state(162, "1003", AgentState::Reserved, AgentState::OnCall, "open")
      .add(170, "open", "1003", events::CallHeld{"1003"})
      .started(300);
  answeredCallWithHold(ev, "b1", "1001", 310);
  return ev.all();
}

}  // namespace bankcc::reports::testing
