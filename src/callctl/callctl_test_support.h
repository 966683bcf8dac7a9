// SPDX-License-Identifier: Apache-2.0
#pragma once

// A test bench for the call-control core in virtual time: SimTelephony as the port, an
// EventLoop on a ManualClock, the core's events kept as typed values and as short trace lines
// ("C1 queue.joined retail prio=0 pos=1"), the port's commands as trace lines
// ("Originate(L2->8001)"). Call ids become C1, C2, ... and legs L1, L2, ... in order of first
// appearance, so that traces do not depend on UUID values.

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "callctl/call_control.h"
#include "sim/sim_telephony.h"

namespace bankcc::callctl::testing {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;
using events::AgentState;
using telephony::LegId;

inline sim::SimOptions simOptions() {
  sim::SimOptions o;
  o.prompts = {{"moh", 30s}, {"queue_closed", 3s}, {"agent_lost", 2s}};
  o.defaultAnswerAfter = 2s;
  return o;
}

/// A phone that rings until the ring timeout (or until the test answers or hangs it up).
inline sim::PhoneBehaviour neverAnswers() {
  sim::PhoneBehaviour phone;
  phone.kind = sim::PhoneBehaviour::Kind::NeverAnswer;
  return phone;
}

inline Actor agentActor(std::string agentNo) {
  Actor a;
  a.username = "user" + agentNo;
  a.agentNo = std::move(agentNo);
  return a;
}

inline Actor supervisorOf(std::string team) {
  Actor a;
  a.username = "sup_" + team;
  a.supervisor = true;
  a.supervisedTeams = {std::move(team)};
  return a;
}

inline Actor adminActor() {
  Actor a;
  a.username = "admin";
  a.admin = true;
  return a;
}

/// Core options that allow transfers and consults to numbers starting with `prefix`.
inline CoreOptions withTransferNumbers(std::string prefix = "400") {
  CoreOptions o;
  o.transferNumbers = {std::move(prefix)};
  return o;
}

/// The command was refused with `status` and machine code `code`, and says why.
inline void expectRefused(const CommandReply& r, CommandReply::Status status,
                          const std::string& code) {
  EXPECT_EQ(r.status, status) << r.code << ": " << r.message;
  EXPECT_EQ(r.code, code) << r.message;
  EXPECT_FALSE(r.message.empty());
}

inline void expectAccepted(const CommandReply& r) {
  EXPECT_EQ(r.status, CommandReply::Status::Accepted) << r.code << ": " << r.message;
}

inline QueueSetup queueSetup(std::string code, std::string dnis, std::string skill) {
  QueueSetup q;
  q.acd.code = std::move(code);
  q.acd.needs = {{std::move(skill), 1}};
  q.dnis = {std::move(dnis)};
  q.ringTimeout = 20s;
  q.wrapUp = 15s;
  return q;
}

inline AgentSetup agentSetup(std::string agentNo, std::string extension,
                             std::vector<std::string> skills, std::string team = "team_a",
                             bool autoAnswerPhone = false) {
  AgentSetup a;
  a.acd.agentNo = std::move(agentNo);
  for (auto& s : skills) a.acd.skills.push_back({std::move(s), 3});
  a.team = std::move(team);
  a.extensions = {{std::move(extension), autoAnswerPhone}};
  return a;
}

class CoreBench {
 public:
  explicit CoreBench(CoreOptions options = {}) {
    sim_ = std::make_unique<sim::SimTelephony>(
        loop_, clock_, [this](telephony::Event e) { core_->onTelephonyEvent(std::move(e)); },
        simOptions());
    core_ = std::make_unique<CallControl>(
        loop_, clock_, *sim_, [this](events::Event e) { onEvent(std::move(e)); },
        std::move(options));
  }
  ~CoreBench() {
    core_.reset();
    sim_.reset();
  }

  CallControl& core() { return *core_; }
  sim::SimTelephony& sim() { return *sim_; }
  base::ManualClock& clock() { return clock_; }

  void run(base::Duration d) { sim_->runFor(clock_, d, 100ms); }

  // ---- commands
  CommandReply send(Actor actor, Command command, std::string requestId = {}) {
    if (requestId.empty()) requestId = fmt::format("req-{}", ++requests_);
    std::optional<CommandReply> reply;
    core_->submit(CommandRequest{requestId, std::move(actor), std::move(command)},
                  [&](CommandReply r) { reply = std::move(r); });
    run(0ms);
    EXPECT_TRUE(reply.has_value()) << "no reply";
    return reply.value_or(CommandReply{});
  }
  /// Registers the phone, logs the agent in and makes them ready.
  void loginReady(const std::string& agentNo, const std::string& extension,
                  sim::PhoneBehaviour phone = {}) {
    sim_->registerPhone(extension, phone);
    run(0ms);
    login(agentNo, extension);
    ready(agentNo);
  }
  void login(const std::string& agentNo, const std::string& extension) {
    const CommandReply r = send(agentActor(agentNo), Login{agentNo, extension});
    ASSERT_EQ(r.status, CommandReply::Status::Accepted) << r.code << ": " << r.message;
  }
  void ready(const std::string& agentNo) {
    const CommandReply r = send(agentActor(agentNo), SetState{agentNo, true, {}});
    ASSERT_EQ(r.status, CommandReply::Status::Accepted) << r.code << ": " << r.message;
  }
  void notReady(const std::string& agentNo, std::string reason) {
    const CommandReply r = send(agentActor(agentNo), SetState{agentNo, false, std::move(reason)});
    ASSERT_EQ(r.status, CommandReply::Status::Accepted) << r.code << ": " << r.message;
  }

  // ---- legs and calls
  /// The agent leg most recently originated to `extension`.
  LegId agentLeg(const std::string& extension) const {
    LegId found;
    for (const auto& cmd : sim_->commands()) {
      if (const auto* o = std::get_if<telephony::Originate>(&cmd); o && o->to.number == extension) {
        found = o->leg;
      }
    }
    return found;
  }
  /// The call id of the n-th call (1-based) in arrival order.
  std::string callId(int n) const {
    for (const auto& [id, alias] : callAlias_) {
      if (alias == "C" + std::to_string(n)) return id;
    }
    return {};
  }
  std::optional<CallView> call(int n) const {
    const std::string id = callId(n);
    for (auto& c : core_->calls()) {
      if (c.callId == id) return c;
    }
    return std::nullopt;
  }
  AgentState stateOf(const std::string& agentNo) const {
    auto v = core_->agent(agentNo);
    return v ? v->state : AgentState::LoggedOut;
  }
  std::string reasonOf(const std::string& agentNo) const {
    auto v = core_->agent(agentNo);
    return v ? v->reason : std::string();
  }

  // ---- traces
  Lines takeEvents() { return std::exchange(eventLines_, {}); }
  std::vector<events::Event>& events() { return events_; }
  /// The port's commands since the last call, as trace lines.
  Lines takeCommands() {
    Lines out;
    const auto& cmds = sim_->commands();
    for (; commandsSeen_ < cmds.size(); ++commandsSeen_)
      out.push_back(describe(cmds[commandsSeen_]));
    return out;
  }
  template <typename T>
  std::vector<const T*> eventsOf() const {
    std::vector<const T*> out;
    for (const auto& e : events_) {
      if (const auto* p = std::get_if<T>(&e.payload)) out.push_back(p);
    }
    return out;
  }
  /// The envelope of the last event of type T.
  template <typename T>
  const events::Event* lastEvent() const {
    for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
      if (std::holds_alternative<T>(it->payload)) return &*it;
    }
    return nullptr;
  }

  std::string leg(const LegId& id) {
    if (id.value.empty()) return "-";
    auto [it, inserted] = legAlias_.emplace(id.value, "");
    if (inserted) it->second = "L" + std::to_string(legAlias_.size());
    return it->second;
  }
  std::string callAlias(const std::string& id) {
    if (id.empty()) return "";
    auto [it, inserted] = callAlias_.emplace(id, "");
    if (inserted) it->second = "C" + std::to_string(callAlias_.size());
    return it->second;
  }

 private:
  void onEvent(events::Event e) {
    // ts comes from the clock; envelope ids are set where they apply.
    EXPECT_NE(e.ts, base::SysTime{});
    eventLines_.push_back(describe(e));
    events_.push_back(std::move(e));
  }

  std::string describe(const events::Event& e) {
    std::string prefix = callAlias(e.callId);
    if (!prefix.empty()) prefix += ' ';
    using namespace events;
    return prefix +
           std::visit(
               [&](const auto& p) -> std::string {
                 using T = std::decay_t<decltype(p)>;
                 if constexpr (std::is_same_v<T, AgentStateChanged>) {
                   std::string s = fmt::format("agent {} {}->{}", p.agentNo, agentStateName(p.from),
                                               agentStateName(p.to));
                   if (!p.reason.empty()) s += "(" + p.reason + ")";
                   return s;
                 } else if constexpr (std::is_same_v<T, QueueJoined>) {
                   return fmt::format("queue.joined {} prio={} pos={}", p.queue, p.priority,
                                      p.position);
                 } else if constexpr (std::is_same_v<T, QueueLeft>) {
                   return fmt::format("queue.left {} {}", p.queue, p.reason);
                 } else if constexpr (std::is_same_v<T, RoutingDecided>) {
                   return fmt::format("routing.decided {} {}", p.agentNo, p.trigger);
                 } else if constexpr (std::is_same_v<T, CallOffered>) {
                   return fmt::format("call.offered {} {}{}{}", p.agentNo, p.extension,
                                      p.desktopAnswer ? " desktop" : "", p.line ? " line" : "");
                 } else if constexpr (std::is_same_v<T, AgentLineChanged>) {
                   std::string s = fmt::format("agent.line_changed {} {}", p.agentNo, p.state);
                   if (!p.cause.empty()) s += "(" + p.cause + ")";
                   return s;
                 } else if constexpr (std::is_same_v<T, CallAnswered>) {
                   return fmt::format("call.answered {} {}", p.agentNo, p.queue);
                 } else if constexpr (std::is_same_v<T, CallAgentLost>) {
                   return fmt::format("call.agent_lost {} {}", p.agentNo, p.cause);
                 } else if constexpr (std::is_same_v<T, CallEnded>) {
                   return fmt::format("call.ended {} by={}", p.cause, p.hungUpBy);
                 } else if constexpr (std::is_same_v<T, WrapUpCompleted>) {
                   return fmt::format("wrapup.completed {} code={} notes={}", p.agentNo, p.code,
                                      p.notesLength);
                 } else if constexpr (std::is_same_v<T, WrapUpExtended>) {
                   return fmt::format("wrapup.extended {} +{}ms", p.agentNo, p.extraMs);
                 } else if constexpr (std::is_same_v<T, AgentNextStateSet>) {
                   std::string s =
                       fmt::format("agent.next_state_set {} {}", p.agentNo, agentStateName(p.next));
                   if (!p.reason.empty()) s += "(" + p.reason + ")";
                   return s;
                 } else if constexpr (std::is_same_v<T, CallConsultStarted>) {
                   return fmt::format("call.consult_started {} {} {}", p.agentNo, p.targetType,
                                      p.target);
                 } else if constexpr (std::is_same_v<T, CallConsultEnded>) {
                   return fmt::format("call.consult_ended {}", p.reason);
                 } else if constexpr (std::is_same_v<T, CallConferenced>) {
                   return fmt::format("call.conferenced {}", p.party);
                 } else if constexpr (std::is_same_v<T, CallPartyLeft>) {
                   return fmt::format("call.party_left {} {}", p.party, p.reason);
                 } else if constexpr (std::is_same_v<T, CallOriginated>) {
                   return fmt::format("call.originated {} {} {} {} via={}", p.agentNo, p.extension,
                                      p.targetType, p.target, p.via);
                 } else if constexpr (std::is_same_v<T, CallIntercepted>) {
                   return fmt::format("call.intercepted {} {}->{}", p.supervisor,
                                      p.fromAgent.empty() ? "queue" : p.fromAgent, p.agentNo);
                 } else if constexpr (std::is_same_v<T, CallTransferred>) {
                   return fmt::format("call.transferred {} {} {}", p.mode, p.targetType, p.target);
                 } else {
                   return std::string(T::kType);
                 }
               },
               e.payload);
  }

  std::string describe(const telephony::Command& cmd) {
    using namespace telephony;
    return std::visit(
        [&](const auto& c) -> std::string {
          using T = std::decay_t<decltype(c)>;
          if constexpr (std::is_same_v<T, Answer>) {
            return fmt::format("Answer({})", leg(c.leg));
          } else if constexpr (std::is_same_v<T, Reject>) {
            return fmt::format("Reject({},{})", leg(c.leg), c.sipStatus);
          } else if constexpr (std::is_same_v<T, Play>) {
            std::string what;
            for (const auto& item : c.items) {
              what += item.kind == PlayItem::Kind::Prompt ? item.prompt : std::string("tone");
            }
            return fmt::format("Play({},{}{})", leg(c.leg), what, c.loop ? ",loop" : "");
          } else if constexpr (std::is_same_v<T, StopPlay>) {
            return fmt::format("StopPlay({})", leg(c.leg));
          } else if constexpr (std::is_same_v<T, Originate>) {
            return fmt::format("Originate({}->{}{})", leg(c.leg), c.to.number,
                               c.autoAnswer ? ",auto" : "");
          } else if constexpr (std::is_same_v<T, Bridge>) {
            return fmt::format("Bridge({},{})", leg(c.a), leg(c.b));
          } else if constexpr (std::is_same_v<T, StartRecording>) {
            return fmt::format("StartRecording({},{})", leg(c.customer), leg(c.agent));
          } else if constexpr (std::is_same_v<T, StopRecording>) {
            return "StopRecording";
          } else if constexpr (std::is_same_v<T, Hangup>) {
            return fmt::format("Hangup({})", leg(c.leg));
          } else if constexpr (std::is_same_v<T, Hold>) {
            return fmt::format("Hold({})", leg(c.leg));
          } else if constexpr (std::is_same_v<T, Isolate>) {
            return fmt::format("Isolate({})", leg(c.leg));
          } else if constexpr (std::is_same_v<T, Monitor>) {
            return fmt::format("Monitor({},{},{})", leg(c.supervisor), leg(c.agent),
                               leg(c.customer));
          } else {
            return "other";
          }
        },
        cmd);
  }

  base::ManualClock clock_;
  base::EventLoop loop_{clock_};
  std::unique_ptr<sim::SimTelephony> sim_;
  std::unique_ptr<CallControl> core_;
  std::vector<events::Event> events_;
  Lines eventLines_;
  std::size_t commandsSeen_ = 0;
  std::map<std::string, std::string> legAlias_;
  std::map<std::string, std::string> callAlias_;
  int requests_ = 0;
};

}  // namespace bankcc::callctl::testing
