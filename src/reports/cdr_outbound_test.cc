// SPDX-License-Identifier: Apache-2.0
// The CDR fold over calls an agent places (decision 0020; docs/decisions/0015-cdr-projection.md
// "Calls an agent places"): the scenarios of placed_call_test_events.h, when each CDR becomes
// final, its direction and origin agent, and the saved state across them.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reports/cdr.h"
#include "reports/placed_call_test_events.h"

namespace bankcc::reports {
namespace {

using events::AgentState;
using testing::at;
using testing::Events;
using testing::Folded;
using testing::kAgentA;
using testing::kAgentB;
using testing::readyAgents;
using testing::run;
using testing::seg;
using V = std::vector<std::string>;

/// The index of the last event of the log.
std::size_t last(const Events& ev) {
  return ev.all().size() - 1;
}

/// The index of the first event of `type` on call `x`.
template <typename P>
std::size_t firstOf(const Events& ev, const std::string& x) {
  const auto& all = ev.all();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].callId == x && std::holds_alternative<P>(all[i].payload)) return i;
  }
  ADD_FAILURE() << "no such event";
  return 0;
}

TEST(CdrOutboundTest, AnAnsweredCallToANumberWaitsForTheAgentsWrapUp) {
  Events ev = readyAgents();
  testing::outboundAnswered(ev, "x", 10);
  const Folded r = run(ev);
  const Cdr& c = r.only();
  EXPECT_EQ(c.callId, "x");
  EXPECT_EQ(c.direction, "outbound");
  EXPECT_EQ(c.originAgent, kAgentA);
  EXPECT_EQ(c.parentCallId, "");
  EXPECT_EQ(c.ani, testing::kExtensionA);
  EXPECT_EQ(c.dnis, testing::kCustomer);
  EXPECT_EQ(c.trunk, "");
  EXPECT_EQ(c.arrivedAt, at(10));
  EXPECT_EQ(c.answeredAt, at(16));
  EXPECT_EQ(c.endedAt, at(60));
  EXPECT_EQ(c.endCause, "normal");
  EXPECT_EQ(c.hungUpBy, "callee");
  EXPECT_EQ(c.firstQueue, "");
  EXPECT_EQ(c.answeringQueue, "");
  EXPECT_EQ(c.answeredBy, kAgentA);
  EXPECT_EQ(c.agents, V{kAgentA});
  EXPECT_EQ(c.recordingId, "rec-x");
  EXPECT_EQ(c.outcome, "answered");
  EXPECT_EQ(c.segments, (std::vector<CdrSegment>{
                            seg("agent", "", kAgentA, 16, 60, "ended"),
                            seg("hold", "", kAgentA, 30, 35),
                            seg("wrapup", "", kAgentA, 60, 75),
                        }));
  EXPECT_EQ(c.waitMs, 0);
  EXPECT_EQ(c.talkMs, 39'000);
  EXPECT_EQ(c.holdMs, 5'000);
  EXPECT_EQ(c.wrapUpMs, 15'000);
  EXPECT_EQ(c.firstSeq, ev.all()[firstOf<events::CallOriginated>(ev, "x")].seq);
  EXPECT_EQ(r.finalAt.front(), last(ev));  // A ready after the wrap-up
  EXPECT_EQ(r.fold.openCalls(), 0u);

  // A's states on the call name it: reserved while it rang, on_call, wrap_up.
  std::vector<std::string> states;
  for (const auto& i : r.intervals) {
    if (i.agentNo == kAgentA && i.callId == "x") states.push_back(i.state);
  }
  EXPECT_EQ(states, (V{"reserved", "on_call", "wrap_up"}));
}

TEST(CdrOutboundTest, WithoutWrapUpTheCallIsFinalWhenTheAgentIsReady) {
  Events ev = readyAgents();
  testing::outboundAnswered(ev, "x", 10, 0);
  const Folded r = run(ev);
  const Cdr& c = r.only();
  EXPECT_EQ(c.outcome, "answered");
  EXPECT_EQ(c.wrapUpMs, 0);
  EXPECT_EQ(c.segments.size(), 2u);  // agent, hold
  EXPECT_EQ(r.finalAt.front(), last(ev));
  EXPECT_GT(r.finalAt.front(), firstOf<events::CallEnded>(ev, "x"));
}

TEST(CdrOutboundTest, AnUnansweredCallIsUnansweredWhateverTheCause) {
  for (const std::string cause :
       {"no_answer", "busy", "rejected", "unreachable", "failed", "cancelled"}) {
    Events ev = readyAgents();
    testing::outboundUnanswered(ev, "x", 10, cause, cause == "busy");
    const Folded r = run(ev);
    const Cdr& c = r.only();
    EXPECT_EQ(c.outcome, "unanswered") << cause;
    EXPECT_EQ(c.direction, "outbound") << cause;
    EXPECT_EQ(c.originAgent, kAgentA) << cause;
    EXPECT_EQ(c.endCause, cause);
    EXPECT_EQ(c.hungUpBy, cause == "cancelled" ? "agent" : "callee");
    EXPECT_FALSE(c.answeredAt) << cause;
    EXPECT_EQ(c.answeredBy, "") << cause;
    EXPECT_TRUE(c.agents.empty()) << cause;
    EXPECT_TRUE(c.segments.empty()) << cause;
    EXPECT_EQ(c.talkMs, 0);
    EXPECT_EQ(c.endedAt, at(30));
    // Nobody was on it: final at call.ended, before the agent's state change.
    EXPECT_EQ(r.finalAt.front(), firstOf<events::CallEnded>(ev, "x")) << cause;
  }
}

TEST(CdrOutboundTest, AnInternalCallToAColleagueIsBothAgentsAndFinalWhenBothLeftIt) {
  Events ev = readyAgents();
  testing::internalToColleague(ev, "x", 10);
  const Folded r = run(ev);
  const Cdr& c = r.only();
  EXPECT_EQ(c.direction, "internal");
  EXPECT_EQ(c.originAgent, kAgentA);
  EXPECT_EQ(c.ani, testing::kExtensionA);
  EXPECT_EQ(c.dnis, kAgentB);
  EXPECT_EQ(c.answeredAt, at(14));
  EXPECT_EQ(c.answeredBy, kAgentA);  // the call's agent (call.answered); dnis names B
  EXPECT_EQ(c.answeringQueue, "");
  EXPECT_EQ(c.agents, (V{kAgentA, kAgentB}));
  EXPECT_EQ(c.hungUpBy, "agent");
  EXPECT_EQ(c.outcome, "answered");
  EXPECT_EQ(c.segments, (std::vector<CdrSegment>{
                            seg("agent", "", kAgentA, 14, 40, "ended"),
                            seg("agent", "", kAgentB, 14, 40, "ended"),
                            seg("hold", "", kAgentA, 20, 22),
                        }));
  // Talk is our agents' time: both legs, less the hold.
  EXPECT_EQ(c.talkMs, 2 * 26'000 - 2'000);
  EXPECT_EQ(c.holdMs, 2'000);
  EXPECT_EQ(c.wrapUpMs, 0);
  EXPECT_EQ(r.finalAt.front(), last(ev));  // B ready, after A

  // B's states name the call too.
  std::vector<std::string> states;
  for (const auto& i : r.intervals) {
    if (i.agentNo == kAgentB && i.callId == "x") states.push_back(i.state);
  }
  EXPECT_EQ(states, (V{"reserved", "on_call"}));
}

TEST(CdrOutboundTest, TheColleagueReadyFirstThenThePlacingAgent) {
  // The order of the two state changes does not matter: final at the second.
  Events ev = readyAgents();
  testing::aCallsB(ev, "x", 10);
  ev.add(14, "x", kAgentA, events::CallAnswered{kAgentA, "", 4000})
      .state(14, kAgentA, AgentState::Reserved, AgentState::OnCall, "x")
      .state(14, kAgentB, AgentState::Reserved, AgentState::OnCall, "x")
      .add(30, "x", kAgentB, events::CallEnded{"normal", "callee", 20000})
      .state(30, kAgentB, AgentState::OnCall, AgentState::NotReady, "x", "break")
      .state(32, kAgentA, AgentState::OnCall, AgentState::Ready, "x");
  const Folded r = run(ev);
  EXPECT_EQ(r.only().agents, (V{kAgentA, kAgentB}));
  EXPECT_EQ(r.finalAt.front(), last(ev));
}

TEST(CdrOutboundTest, AColleagueWhoDoesNotAnswerIsNotOnTheCall) {
  Events ev = readyAgents();
  testing::colleagueDoesNotAnswer(ev, "x", 10);
  const Folded r = run(ev);
  const Cdr& c = r.only();
  EXPECT_EQ(c.direction, "internal");
  EXPECT_EQ(c.outcome, "unanswered");
  EXPECT_EQ(c.endCause, "no_answer");
  EXPECT_TRUE(c.agents.empty());
  EXPECT_TRUE(c.segments.empty());
  EXPECT_EQ(r.finalAt.front(), firstOf<events::CallEnded>(ev, "x"));
  EXPECT_EQ(r.fold.openCalls(), 0u);
}

TEST(CdrOutboundTest, AnInternalCallToAnExtension) {
  Events ev = readyAgents();
  testing::internalToExtension(ev, "x", 10);
  const Folded r = run(ev);
  const Cdr& c = r.only();
  EXPECT_EQ(c.direction, "internal");
  EXPECT_EQ(c.originAgent, kAgentA);
  EXPECT_EQ(c.dnis, testing::kDeskPhone);
  EXPECT_EQ(c.agents, V{kAgentA});
  EXPECT_EQ(c.outcome, "answered");
  EXPECT_EQ(c.segments, (std::vector<CdrSegment>{seg("agent", "", kAgentA, 13, 25, "ended")}));
  EXPECT_EQ(c.talkMs, 12'000);
  EXPECT_EQ(r.finalAt.front(), last(ev));
}

TEST(CdrOutboundTest, AQueueDialledByAnAgentIsTheQueueAgentsCall) {
  Events ev = readyAgents();
  testing::agentDialsQueue(ev, "x", 10);
  const Folded r = run(ev);
  const Cdr& c = r.only();
  EXPECT_EQ(c.direction, "internal");
  EXPECT_EQ(c.originAgent, kAgentA);  // never answered it, never in wrap-up
  EXPECT_EQ(c.ani, testing::kExtensionA);
  EXPECT_EQ(c.dnis, testing::kQueue);
  EXPECT_EQ(c.firstQueue, testing::kQueue);
  EXPECT_EQ(c.answeringQueue, testing::kQueue);
  EXPECT_EQ(c.answeredBy, kAgentB);
  EXPECT_EQ(c.agents, V{kAgentB});
  EXPECT_EQ(c.hungUpBy, "agent");
  EXPECT_EQ(c.outcome, "answered");
  EXPECT_EQ(c.segments, (std::vector<CdrSegment>{
                            seg("queue", testing::kQueue, "", 10, 15, "answered"),
                            seg("agent", testing::kQueue, kAgentB, 15, 50, "ended"),
                            seg("wrapup", "", kAgentB, 50, 60),
                        }));
  EXPECT_EQ(c.waitMs, 5'000);
  EXPECT_EQ(c.talkMs, 35'000);
  EXPECT_EQ(c.wrapUpMs, 10'000);
  EXPECT_EQ(r.finalAt.front(), last(ev));  // B's wrap-up ended; A's state does not matter
}

TEST(CdrOutboundTest, AQueueDialledAndLeftWaitingIsAbandoned) {
  Events ev = readyAgents();
  testing::aPlaces(ev, "x", 10, "queue", testing::kQueue, "phone");
  ev.state(10, kAgentA, AgentState::Ready, AgentState::OnCall, "x")
      .add(10, "x", {}, events::QueueJoined{testing::kQueue, 0, 1})
      .add(18, "x", {}, events::QueueLeft{testing::kQueue, "abandoned", 8000})
      .add(18, "x", kAgentA, events::CallEnded{"normal", "agent", 8000})
      .state(18, kAgentA, AgentState::OnCall, AgentState::Ready, "x");
  const Folded r = run(ev);
  EXPECT_EQ(r.only().outcome, "abandoned");
  EXPECT_EQ(r.only().waitMs, 8'000);
  EXPECT_EQ(r.finalAt.front(), firstOf<events::CallEnded>(ev, "x"));
}

TEST(CdrOutboundTest, AnOutboundCallTransferredToAQueue) {
  Events ev = readyAgents();
  testing::outboundTransferredToQueue(ev, "x", 10);
  const Folded r = run(ev);
  const Cdr& c = r.only();
  EXPECT_EQ(c.direction, "outbound");
  EXPECT_EQ(c.answeredBy, kAgentA);
  EXPECT_EQ(c.answeringQueue, "");  // the first answer's
  EXPECT_EQ(c.firstQueue, testing::kQueue);
  EXPECT_EQ(c.agents, (V{kAgentA, kAgentB}));
  EXPECT_EQ(c.transfers, 1);
  EXPECT_EQ(c.segments, (std::vector<CdrSegment>{
                            seg("agent", "", kAgentA, 16, 30, "transferred"),
                            seg("transfer", "", kAgentA, 30, 30, "blind to queue retail_zh"),
                            seg("wrapup", "", kAgentA, 30, 45),
                            seg("queue", testing::kQueue, "", 30, 35, "answered"),
                            seg("agent", testing::kQueue, kAgentB, 35, 70, "ended"),
                            seg("wrapup", "", kAgentB, 70, 80),
                        }));
  EXPECT_EQ(c.waitMs, 5'000);
  EXPECT_EQ(c.talkMs, 14'000 + 35'000);
  EXPECT_EQ(c.wrapUpMs, 25'000);
  EXPECT_EQ(r.finalAt.front(), last(ev));
}

TEST(CdrOutboundTest, AnEpochChangeClosesAPlacedCall) {
  Events ev = readyAgents();
  testing::aCallsB(ev, "ringing", 10);
  testing::aPlaces(ev, "talking", 11, "number", testing::kCustomer);
  ev.add(15, "talking", kAgentA, events::CallAnswered{kAgentA, "", 4000});
  ev.started(100);
  const Folded r = run(ev);
  ASSERT_EQ(r.cdrs.size(), 2u);
  for (const auto& c : r.cdrs) {
    EXPECT_EQ(c.endCause, "node_restart") << c.callId;
    EXPECT_EQ(c.hungUpBy, "system") << c.callId;
    EXPECT_EQ(c.outcome, c.callId == "talking" ? "answered" : "unanswered") << c.callId;
    EXPECT_EQ(c.direction, c.callId == "talking" ? "outbound" : "internal") << c.callId;
    EXPECT_EQ(c.originAgent, kAgentA);
  }
  EXPECT_EQ(r.fold.openCalls(), 0u);
}

TEST(CdrOutboundTest, ACallOriginatedTwiceOrWithoutACallIdOpensOneCdr) {
  Events ev = readyAgents();
  testing::aPlaces(ev, "x", 10, "number", testing::kCustomer);
  ev.add(11, "x", kAgentA,
         events::CallOriginated{kAgentA, testing::kExtensionA, "agent", kAgentB, "phone"})
      .add(11, "", kAgentA,
           events::CallOriginated{kAgentA, testing::kExtensionA, "number", "1", "phone"})
      .add(20, "x", kAgentA, events::CallEnded{"cancelled", "agent", 10000});
  const Folded r = run(ev);
  EXPECT_EQ(r.only().direction, "outbound");  // the first one's
  EXPECT_EQ(r.only().dnis, testing::kCustomer);
}

using Scenario = void (*)(Events&, const std::string&, double);

void outboundNoWrapUp(Events& ev, const std::string& x, double t) {
  testing::outboundAnswered(ev, x, t, 0);
}
void outboundCancelled(Events& ev, const std::string& x, double t) {
  testing::outboundUnanswered(ev, x, t, "cancelled", true);
}
void outboundWithWrapUp(Events& ev, const std::string& x, double t) {
  testing::outboundAnswered(ev, x, t);
}

TEST(CdrOutboundTest, SavedStateKeepsAPlacedCallInProgressExactly) {
  // Stop in the middle of each scenario, save, load, and fold the rest: the same CDRs as one
  // uninterrupted fold.
  for (Scenario scenario :
       {&outboundWithWrapUp, &outboundNoWrapUp, &outboundCancelled, &testing::internalToColleague,
        &testing::colleagueDoesNotAnswer, &testing::internalToExtension, &testing::agentDialsQueue,
        &testing::outboundTransferredToQueue}) {
    Events ev = readyAgents();
    scenario(ev, "x", 10);
    const auto& all = ev.all();
    const Folded whole = run(ev);
    ASSERT_EQ(whole.cdrs.size(), 1u);
    for (std::size_t split = 0; split <= all.size(); ++split) {
      CdrFold first;
      for (std::size_t i = 0; i < split; ++i) first.apply(all[i]);
      std::vector<Cdr> got = first.takeCdrs();
      (void)first.takeIntervals();
      const std::string saved = first.saveState();
      auto resumed = CdrFold::loadState(saved);
      ASSERT_TRUE(resumed.ok()) << resumed.error().describe();
      EXPECT_EQ(resumed->saveState(), saved) << "split " << split;
      for (std::size_t i = split; i < all.size(); ++i) resumed->apply(all[i]);
      for (auto& c : resumed->takeCdrs()) got.push_back(std::move(c));
      EXPECT_EQ(got, whole.cdrs) << "split " << split;
    }
  }

  // While B's phone rings the state carries who placed the call and whom it rings.
  Events ev = readyAgents();
  testing::aCallsB(ev, "x", 10);
  CdrFold fold;
  for (const auto& e : ev.all()) fold.apply(e);
  const std::string saved = fold.saveState();
  EXPECT_NE(saved.find(R"("v":3)"), std::string::npos) << saved;
  EXPECT_NE(saved.find(R"("direction":"internal")"), std::string::npos) << saved;
  EXPECT_NE(saved.find(R"("origin_agent":"1001")"), std::string::npos) << saved;
  EXPECT_NE(saved.find(R"("callee_agent":"1002")"), std::string::npos) << saved;
}

TEST(CdrOutboundTest, AStateOfTheConsultShapeStillLoads) {
  // Written by the fold before placed calls (v2): an inbound call in progress and a consult
  // of its agent to a number, both answered; no direction, origin_agent, callee_agent.
  const char* v2 = R"({"v":2,"epoch":1,"last_seq":20,"skipped":0,"stopping_at":null,
    "calls":[
     {"call_id":"k","parent_call_id":"p","epoch":1,"ani":"1001","dnis":"95566","trunk":"",
      "arrived_at":1767225630000000,"answered_at":1767225634000000,"ended_at":0,
      "end_cause":"","hung_up_by":"","first_queue":"","answering_queue":"","answered_by":"",
      "agents":[],"transfers":0,"recording_id":"","tier":"","segments":[{"kind":"party",
      "queue":"","agent_no":"","started_at":1767225634000000,"ended_at":null,
      "detail":"number 95566"}],"first_seq":12,"queue_segment":null,"agent_segment":null,
      "hold_segment":null,"consult_segment":null,"party_segment":0,"wrap_ups":{},
      "busy_agents":[],"fallback_reason":"","consult_target_type":"number","ended":false},
     {"call_id":"p","parent_call_id":"","epoch":1,"ani":"138","dnis":"95555","trunk":"t",
      "arrived_at":1767225610000000,"answered_at":1767225615000000,"ended_at":0,
      "end_cause":"","hung_up_by":"","first_queue":"q","answering_queue":"q",
      "answered_by":"1001","agents":["1001"],"transfers":0,"recording_id":"","tier":"",
      "segments":[{"kind":"queue","queue":"q","agent_no":"","started_at":1767225610000000,
      "ended_at":1767225615000000,"detail":"answered"},{"kind":"agent","queue":"q",
      "agent_no":"1001","started_at":1767225615000000,"ended_at":null,"detail":""}],
      "first_seq":2,"queue_segment":null,"agent_segment":1,"hold_segment":null,
      "consult_segment":null,"party_segment":null,"wrap_ups":{},"busy_agents":["1001"],
      "fallback_reason":"","consult_target_type":"","ended":false}],
    "intervals":[],"agent_calls":{"1001":"p"}})";
  auto fold = CdrFold::loadState(v2);
  ASSERT_TRUE(fold.ok()) << fold.error().describe();
  EXPECT_EQ(fold->openCalls(), 2u);
  const std::string resaved = fold->saveState();
  EXPECT_NE(resaved.find(R"("v":3)"), std::string::npos);
  auto apply = [&](std::uint64_t seq, double t, const std::string& call, events::Payload p) {
    fold->apply(events::Event{
        .epoch = 1, .seq = seq, .ts = at(t), .callId = call, .payload = std::move(p)});
  };
  apply(21, 40, "k", events::CallEnded{"cancelled", "agent", 10000});
  apply(22, 60, "p", events::CallEnded{"normal", "caller", 45000});
  apply(23, 60, "p", events::AgentStateChanged{"1001", AgentState::OnCall, AgentState::Ready, ""});
  auto cdrs = fold->takeCdrs();
  ASSERT_EQ(cdrs.size(), 2u);
  EXPECT_EQ(cdrs[0].callId, "k");
  EXPECT_EQ(cdrs[0].direction, "outbound");  // a consult to a number
  EXPECT_EQ(cdrs[0].originAgent, "1001");    // its ani: the consulting agent
  EXPECT_EQ(cdrs[0].outcome, "answered");
  EXPECT_EQ(cdrs[1].callId, "p");
  EXPECT_EQ(cdrs[1].direction, "inbound");
  EXPECT_EQ(cdrs[1].originAgent, "");
  EXPECT_EQ(cdrs[1].talkMs, 45'000);
  EXPECT_FALSE(CdrFold::loadState(R"({"v":4})").ok());
}

TEST(CdrOutboundTest, ConsultsHaveADirectionAndAnOriginAgent) {
  Events ev = readyAgents();
  testing::consultCancelled(ev, "p", "k", 0);
  testing::attendedTransferToNumber(ev, "p2", "k2", 200);
  const Folded r = run(ev);
  ASSERT_EQ(r.cdrs.size(), 4u);
  for (const auto& c : r.cdrs) {
    if (c.parentCallId.empty()) {
      EXPECT_EQ(c.direction, "inbound") << c.callId;
      EXPECT_EQ(c.originAgent, "") << c.callId;
    } else {
      EXPECT_EQ(c.direction, c.callId == "k" ? "internal" : "outbound") << c.callId;
      EXPECT_EQ(c.originAgent, kAgentA) << c.callId;
    }
  }
}

}  // namespace
}  // namespace bankcc::reports
