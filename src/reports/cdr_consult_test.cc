// SPDX-License-Identifier: Apache-2.0
// The CDR fold over consults, attended transfers and conferences (decision 0018): the
// scenarios of cdr_test_events.h, each with the parent's and the consult's CDR.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reports/cdr.h"
#include "reports/cdr_test_events.h"

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

/// The index of the first event at `t` that matches `pred`.
template <typename Pred>
std::size_t indexOf(const Events& ev, double t, Pred pred) {
  const auto& all = ev.all();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].ts == at(t) && pred(all[i])) return i;
  }
  ADD_FAILURE() << "no such event at " << t;
  return 0;
}

std::size_t endedAt(const Events& ev, double t, const std::string& call) {
  return indexOf(ev, t, [&](const events::Event& e) {
    return e.callId == call && std::holds_alternative<events::CallEnded>(e.payload);
  });
}

std::size_t stateAt(const Events& ev, double t, const std::string& agent, AgentState to) {
  return indexOf(ev, t, [&](const events::Event& e) {
    const auto* s = std::get_if<events::AgentStateChanged>(&e.payload);
    return s != nullptr && s->agentNo == agent && s->to == to;
  });
}

TEST(CdrConsultTest, ConsultCancelledAfterAlternating) {
  Events ev = readyAgents();
  testing::consultCancelled(ev, "p", "k", 0);
  const Folded r = run(ev);
  ASSERT_EQ(r.cdrs.size(), 2u);
  EXPECT_EQ(r.fold.openCalls(), 0u);

  const Cdr& k = r.byId("k");
  EXPECT_EQ(k.parentCallId, "p");
  EXPECT_EQ(k.ani, kAgentA);
  EXPECT_EQ(k.dnis, kAgentB);
  EXPECT_EQ(k.trunk, "");
  EXPECT_EQ(k.arrivedAt, at(30));
  EXPECT_EQ(k.answeredAt, at(34));
  EXPECT_EQ(k.answeredBy, kAgentB);
  EXPECT_EQ(k.answeringQueue, "");
  EXPECT_EQ(k.firstQueue, "");
  EXPECT_EQ(k.agents, V{kAgentB});
  EXPECT_EQ(k.endedAt, at(50));
  EXPECT_EQ(k.endCause, "cancelled");
  EXPECT_EQ(k.hungUpBy, "agent");
  EXPECT_EQ(k.outcome, "answered");
  EXPECT_EQ(k.segments, (std::vector<CdrSegment>{
                            seg("agent", "", kAgentB, 34, 50, "ended"),
                            seg("hold", "", kAgentA, 40, 47),  // the customer's turn
                        }));
  EXPECT_EQ(k.waitMs, 0);
  EXPECT_EQ(k.holdMs, 7000);
  EXPECT_EQ(k.talkMs, 9000);
  EXPECT_EQ(k.wrapUpMs, 0);
  // Final when B left it (ready again), not before.
  EXPECT_EQ(r.finalIndex("k"), stateAt(ev, 50, kAgentB, AgentState::Ready));

  const Cdr& p = r.byId("p");
  EXPECT_EQ(p.parentCallId, "");
  EXPECT_EQ(p.agents, V{kAgentA});
  EXPECT_EQ(p.transfers, 0);
  EXPECT_EQ(p.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 10, 15, "answered"),
                            seg("agent", "retail_zh", kAgentA, 15, 80, "ended"),
                            seg("hold", "", kAgentA, 30, 40),
                            seg("consult", "", kAgentA, 30, 50, "agent 1002: cancelled"),
                            seg("hold", "", kAgentA, 47, 50),
                            seg("wrapup", "", kAgentA, 80, 90),
                        }));
  EXPECT_EQ(p.holdMs, 13000);
  EXPECT_EQ(p.talkMs, 65000 - 13000);
  EXPECT_EQ(p.wrapUpMs, 10000);
  EXPECT_EQ(r.finalIndex("p"), ev.all().size() - 1);

  // B's consult time is theirs, on the consult call.
  std::vector<std::string> bStates;
  for (const auto& iv : r.intervals) {
    if (iv.agentNo == kAgentB) bStates.push_back(iv.state + "@" + iv.callId);
  }
  EXPECT_EQ(bStates, (V{"ready@", "reserved@k", "on_call@k"}));
}

TEST(CdrConsultTest, AttendedTransferToAnAgent) {
  Events ev = readyAgents();
  testing::attendedTransferToAgent(ev, "p", "k", 0);
  const Folded r = run(ev);
  ASSERT_EQ(r.cdrs.size(), 2u);

  const Cdr& k = r.byId("k");
  EXPECT_EQ(k.parentCallId, "p");
  EXPECT_EQ(k.endCause, "transferred");
  EXPECT_EQ(k.segments, (std::vector<CdrSegment>{seg("agent", "", kAgentB, 35, 60, "ended")}));
  EXPECT_EQ(k.talkMs, 25000);
  // B went on to the customer's call: the consult does not wait for B's wrap-up there.
  EXPECT_EQ(r.finalIndex("k"), endedAt(ev, 60, "k"));

  const Cdr& p = r.byId("p");
  EXPECT_EQ(p.answeredBy, kAgentA);
  EXPECT_EQ(p.agents, (V{kAgentA, kAgentB}));
  EXPECT_EQ(p.transfers, 1);
  EXPECT_EQ(p.recordingId, "rec-p");
  // B's part is a recording of its own: the CDR lists both.
  EXPECT_EQ(p.recordingIds, (V{"rec-p", "rec2-p"}));
  EXPECT_EQ(p.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 10, 15, "answered"),
                            seg("agent", "retail_zh", kAgentA, 15, 60, "transferred"),
                            seg("hold", "", kAgentA, 30, 60),
                            seg("consult", "", kAgentA, 30, 60, "agent 1002: transferred"),
                            seg("transfer", "", kAgentA, 60, 60, "attended to agent 1002"),
                            seg("agent", "", kAgentB, 60, 120, "ended"),
                            seg("wrapup", "", kAgentA, 60, 70),
                            seg("wrapup", "", kAgentB, 120, 130),
                        }));
  EXPECT_EQ(p.holdMs, 30000);
  EXPECT_EQ(p.talkMs, 45000 + 60000 - 30000);
  EXPECT_EQ(p.wrapUpMs, 10000 + 10000);
  EXPECT_EQ(p.endedAt, at(120));
  // Final only when B's wrap-up on it ended.
  EXPECT_EQ(r.finalIndex("p"), stateAt(ev, 130, kAgentB, AgentState::Ready));
  EXPECT_EQ(r.fold.openCalls(), 0u);

  ASSERT_FALSE(r.intervals.empty());
  EXPECT_EQ(r.intervals.back().agentNo, kAgentB);
  EXPECT_EQ(r.intervals.back().state, "wrap_up");
  EXPECT_EQ(r.intervals.back().callId, "p");
}

TEST(CdrConsultTest, AConsultToAQueueIsAnsweredByTheColleagueTheAcdChose) {
  Events ev = readyAgents();
  testing::queueConsultTransferred(ev, "p", "k", 0);
  const Folded r = run(ev);
  ASSERT_EQ(r.cdrs.size(), 2u);
  EXPECT_EQ(r.fold.openCalls(), 0u);

  const Cdr& k = r.byId("k");
  EXPECT_EQ(k.parentCallId, "p");
  EXPECT_EQ(k.direction, "internal");
  EXPECT_EQ(k.dnis, "cards");  // what A asked for
  EXPECT_EQ(k.answeredBy, kAgentB);
  EXPECT_EQ(k.agents, V{kAgentB});
  EXPECT_EQ(k.firstQueue, "");  // a consult joins no queue's figures
  EXPECT_EQ(k.segments, (std::vector<CdrSegment>{seg("agent", "", kAgentB, 45, 60, "ended")}));
  EXPECT_EQ(k.talkMs, 15000);

  const Cdr& p = r.byId("p");
  EXPECT_EQ(p.agents, (V{kAgentA, kAgentB}));
  EXPECT_EQ(p.transfers, 1);
  EXPECT_EQ(p.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 10, 15, "answered"),
                            seg("agent", "retail_zh", kAgentA, 15, 60, "transferred"),
                            seg("hold", "", kAgentA, 30, 60),
                            seg("consult", "", kAgentA, 30, 60, "queue cards: transferred"),
                            seg("transfer", "", kAgentA, 60, 60, "attended to agent 1002"),
                            seg("agent", "", kAgentB, 60, 120, "ended"),
                            seg("wrapup", "", kAgentA, 60, 70),
                            seg("wrapup", "", kAgentB, 120, 130),
                        }));
}

TEST(CdrConsultTest, AttendedTransferToANumber) {
  Events ev = readyAgents();
  testing::attendedTransferToNumber(ev, "p", "k", 0);
  const Folded r = run(ev);
  ASSERT_EQ(r.cdrs.size(), 2u);

  const Cdr& k = r.byId("k");
  EXPECT_EQ(k.dnis, "95566");
  EXPECT_EQ(k.answeredAt, at(38));
  EXPECT_EQ(k.answeredBy, "");
  EXPECT_TRUE(k.agents.empty());
  EXPECT_EQ(k.outcome, "answered");
  EXPECT_EQ(k.segments, (std::vector<CdrSegment>{
                            seg("party", "", "", 38, 50, "number 95566: ended"),
                        }));
  EXPECT_EQ(k.talkMs, 0);  // no agent of ours on the consult's other end
  EXPECT_EQ(r.finalIndex("k"), endedAt(ev, 50, "k"));

  const Cdr& p = r.byId("p");
  EXPECT_EQ(p.agents, V{kAgentA});
  EXPECT_EQ(p.transfers, 1);
  EXPECT_EQ(p.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 10, 15, "answered"),
                            seg("agent", "retail_zh", kAgentA, 15, 50, "transferred"),
                            seg("hold", "", kAgentA, 30, 50),
                            seg("consult", "", kAgentA, 30, 50, "number 95566: transferred"),
                            seg("transfer", "", kAgentA, 50, 50, "attended to number 95566"),
                            seg("party", "", "", 50, 100, "number 95566: ended"),
                            seg("wrapup", "", kAgentA, 50, 60),
                        }));
  EXPECT_EQ(p.talkMs, 35000 - 20000);
  EXPECT_EQ(r.finalIndex("p"), endedAt(ev, 100, "p"));
}

TEST(CdrConsultTest, ConferenceThenTheAgentDropsTheParty) {
  Events ev = readyAgents();
  testing::conferenceThenDrop(ev, "p", "k", 0);
  const Folded r = run(ev);
  ASSERT_EQ(r.cdrs.size(), 2u);

  const Cdr& k = r.byId("k");
  EXPECT_EQ(k.endCause, "conferenced");
  EXPECT_EQ(k.segments, (std::vector<CdrSegment>{
                            seg("agent", "", kAgentB, 33, 40, "ended"),
                            seg("hold", "", kAgentA, 36, 40),
                        }));
  EXPECT_EQ(r.finalIndex("k"), endedAt(ev, 40, "k"));

  const Cdr& p = r.byId("p");
  EXPECT_EQ(p.agents, (V{kAgentA, kAgentB}));
  EXPECT_EQ(p.transfers, 0);
  EXPECT_EQ(p.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 10, 15, "answered"),
                            seg("agent", "retail_zh", kAgentA, 15, 100, "ended"),
                            seg("hold", "", kAgentA, 30, 36),
                            seg("consult", "", kAgentA, 30, 40, "agent 1002: conferenced"),
                            seg("agent", "", kAgentB, 40, 70, "dropped"),
                            seg("wrapup", "", kAgentB, 70, 75),
                            seg("wrapup", "", kAgentA, 100, 110),
                        }));
  EXPECT_EQ(p.holdMs, 6000);
  EXPECT_EQ(p.talkMs, 85000 + 30000 - 6000);
  EXPECT_EQ(p.wrapUpMs, 5000 + 10000);
  EXPECT_EQ(r.finalIndex("p"), stateAt(ev, 110, kAgentA, AgentState::Ready));
}

TEST(CdrConsultTest, ConferenceThenTheOwnerLeaves) {
  Events ev = readyAgents();
  testing::conferenceThenOwnerLeaves(ev, "p", "k", 0);
  const Folded r = run(ev);
  ASSERT_EQ(r.cdrs.size(), 2u);
  EXPECT_EQ(r.finalIndex("k"), endedAt(ev, 40, "k"));

  const Cdr& p = r.byId("p");
  EXPECT_EQ(p.agents, (V{kAgentA, kAgentB}));
  EXPECT_EQ(p.transfers, 1);
  EXPECT_EQ(p.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 10, 15, "answered"),
                            seg("agent", "retail_zh", kAgentA, 15, 70, "transferred"),
                            seg("hold", "", kAgentA, 30, 36),
                            seg("consult", "", kAgentA, 30, 40, "agent 1002: conferenced"),
                            seg("agent", "", kAgentB, 40, 130, "ended"),  // one leg throughout
                            seg("transfer", "", kAgentA, 70, 70, "attended to agent 1002"),
                            seg("wrapup", "", kAgentA, 70, 80),
                            seg("wrapup", "", kAgentB, 130, 140),
                        }));
  EXPECT_EQ(p.talkMs, 55000 + 90000 - 6000);
  EXPECT_EQ(p.wrapUpMs, 20000);
  EXPECT_EQ(r.finalIndex("p"), stateAt(ev, 140, kAgentB, AgentState::Ready));
}

TEST(CdrConsultTest, CustomerHangsUpDuringAConference) {
  Events ev = readyAgents();
  testing::conferenceThenCustomerHangsUp(ev, "p", "k", 0);
  const Folded r = run(ev);
  ASSERT_EQ(r.cdrs.size(), 2u);

  const Cdr& p = r.byId("p");
  EXPECT_EQ(p.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 10, 15, "answered"),
                            seg("agent", "retail_zh", kAgentA, 15, 90, "ended"),
                            seg("hold", "", kAgentA, 30, 36),
                            seg("consult", "", kAgentA, 30, 40, "agent 1002: conferenced"),
                            seg("agent", "", kAgentB, 40, 90, "ended"),
                            seg("wrapup", "", kAgentA, 90, 100),
                            seg("wrapup", "", kAgentB, 90, 105),
                        }));
  EXPECT_EQ(p.wrapUpMs, 10000 + 15000);
  // Both agents wrap up: final at the later one.
  EXPECT_EQ(r.finalIndex("p"), stateAt(ev, 105, kAgentB, AgentState::Ready));
}

TEST(CdrConsultTest, ConferenceWithANumberThatHangsUp) {
  Events ev = readyAgents();
  testing::conferenceWithNumber(ev, "p", "k", 0);
  const Folded r = run(ev);
  ASSERT_EQ(r.cdrs.size(), 2u);
  EXPECT_EQ(r.byId("k").segments,
            (std::vector<CdrSegment>{seg("party", "", "", 34, 40, "number 95566: ended")}));
  const Cdr& p = r.byId("p");
  EXPECT_EQ(p.agents, V{kAgentA});
  EXPECT_EQ(p.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 10, 15, "answered"),
                            seg("agent", "retail_zh", kAgentA, 15, 80, "ended"),
                            seg("hold", "", kAgentA, 30, 40),
                            seg("consult", "", kAgentA, 30, 40, "number 95566: conferenced"),
                            seg("party", "", "", 40, 60, "number 95566: hung_up"),
                            seg("wrapup", "", kAgentA, 80, 85),
                        }));
  EXPECT_EQ(p.talkMs, 65000 - 10000);  // the number's time is not agent talk
}

TEST(CdrConsultTest, ThePartyNeverAnswers) {
  Events ev = readyAgents();
  testing::consultNoAnswer(ev, "p", "k", 0);
  const Folded r = run(ev);
  ASSERT_EQ(r.cdrs.size(), 2u);

  const Cdr& k = r.byId("k");
  EXPECT_EQ(k.parentCallId, "p");
  EXPECT_FALSE(k.answeredAt);
  EXPECT_EQ(k.answeredBy, "");
  EXPECT_TRUE(k.agents.empty());
  EXPECT_TRUE(k.segments.empty());
  EXPECT_EQ(k.endCause, "no_answer");
  EXPECT_EQ(k.hungUpBy, "system");
  EXPECT_EQ(k.outcome, "unanswered");
  EXPECT_EQ(r.finalIndex("k"), endedAt(ev, 50, "k"));

  const Cdr& p = r.byId("p");
  EXPECT_EQ(p.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 10, 15, "answered"),
                            seg("agent", "retail_zh", kAgentA, 15, 80, "ended"),
                            seg("hold", "", kAgentA, 30, 55),
                            seg("consult", "", kAgentA, 30, 50, "agent 1002: no_answer"),
                            seg("wrapup", "", kAgentA, 80, 90),
                        }));
  // B's ringing belongs to the consult (their not_ready after it is still open).
  std::vector<std::string> bStates;
  for (const auto& iv : r.intervals) {
    if (iv.agentNo == kAgentB) bStates.push_back(iv.state + "@" + iv.callId);
  }
  EXPECT_EQ(bStates, (V{"ready@", "reserved@k"}));
  EXPECT_EQ(r.fold.openCalls(), 0u);
  EXPECT_EQ(r.fold.openIntervals(), 2u);
}

TEST(CdrConsultTest, AnEpochChangeClosesAConsultInProgress) {
  Events ev = readyAgents();
  testing::customerAnsweredByA(ev, "p", 0);
  testing::consultB(ev, "p", "k", 0);
  testing::bAnswers(ev, "p", "k", 35);
  ev.started(100);
  const Folded r = run(ev);
  ASSERT_EQ(r.cdrs.size(), 2u);
  const Cdr& k = r.byId("k");
  EXPECT_EQ(k.endCause, "node_restart");
  EXPECT_EQ(k.segments,
            (std::vector<CdrSegment>{seg("agent", "", kAgentB, 35, 100, "node_restart")}));
  const Cdr& p = r.byId("p");
  EXPECT_EQ(p.segments[3], seg("consult", "", kAgentA, 30, 100, "agent 1002: node_restart"));
  for (const auto& s : p.segments) EXPECT_TRUE(s.endedAt) << s.kind;
}

TEST(CdrConsultTest, SavedStateKeepsAConsultInProgressExactly) {
  // Stop in the middle of each scenario, save, load, and fold the rest: the same CDRs as one
  // uninterrupted fold, and the text says what it carries.
  using Scenario = void (*)(Events&, const std::string&, const std::string&, double);
  for (Scenario scenario : {&testing::consultCancelled, &testing::attendedTransferToAgent,
                            &testing::attendedTransferToNumber, &testing::conferenceThenDrop,
                            &testing::conferenceThenOwnerLeaves,
                            &testing::conferenceThenCustomerHangsUp, &testing::conferenceWithNumber,
                            &testing::consultNoAnswer, &testing::queueConsultTransferred}) {
    Events ev = readyAgents();
    scenario(ev, "p", "k", 0);
    const auto& all = ev.all();
    const Folded whole = run(ev);
    for (std::size_t split = 0; split <= all.size(); ++split) {
      CdrFold first;
      std::vector<Cdr> got;
      for (std::size_t i = 0; i < split; ++i) first.apply(all[i]);
      got = first.takeCdrs();
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

  Events ev = readyAgents();
  testing::conferenceWithB(ev, "p", "k", 0);  // B conferenced, the call goes on
  CdrFold fold;
  for (const auto& e : ev.all()) {
    fold.apply(e);
    if (std::holds_alternative<events::CallConsultAnswered>(e.payload)) break;
  }
  const std::string saved = fold.saveState();
  EXPECT_NE(saved.find(R"("v":3)"), std::string::npos) << saved;
  EXPECT_NE(saved.find(R"("parent_call_id":"p")"), std::string::npos) << saved;
  EXPECT_NE(saved.find(R"("consult_target_type":"agent")"), std::string::npos) << saved;
  EXPECT_NE(saved.find(R"("consult_segment":3)"), std::string::npos) << saved;
}

TEST(CdrConsultTest, AStateOfTheFirstShapeStillLoads) {
  // Written by the fold before consults (v1): no parent_call_id, consult_segment,
  // party_segment, consult_target_type.
  const char* v1 = R"({"v":1,"epoch":1,"last_seq":9,"skipped":0,"stopping_at":null,
    "calls":[{"call_id":"c1","epoch":1,"ani":"138","dnis":"95555","trunk":"t",
      "arrived_at":1767225601000000,"answered_at":null,"ended_at":0,"end_cause":"",
      "hung_up_by":"","first_queue":"q","answering_queue":"","answered_by":"","agents":[],
      "transfers":0,"recording_id":"","tier":"","segments":[{"kind":"queue","queue":"q",
      "agent_no":"","started_at":1767225601000000,"ended_at":null,"detail":""}],
      "first_seq":2,"queue_segment":0,"agent_segment":null,"hold_segment":null,
      "wrap_ups":{},"busy_agents":[],"fallback_reason":"","ended":false}],
    "intervals":[],"agent_calls":{}})";
  auto fold = CdrFold::loadState(v1);
  ASSERT_TRUE(fold.ok()) << fold.error().describe();
  EXPECT_EQ(fold->openCalls(), 1u);
  EXPECT_NE(fold->saveState().find(R"("v":3)"), std::string::npos);
  fold->apply(events::Event{.epoch = 1,
                            .seq = 10,
                            .ts = at(5),
                            .callId = "c1",
                            .payload = events::QueueLeft{"q", "abandoned", 4000}});
  fold->apply(events::Event{.epoch = 1,
                            .seq = 11,
                            .ts = at(5),
                            .callId = "c1",
                            .payload = events::CallEnded{"normal", "caller", 4000}});
  auto cdrs = fold->takeCdrs();
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_EQ(cdrs[0].parentCallId, "");
  EXPECT_EQ(cdrs[0].waitMs, 4000);
  EXPECT_FALSE(CdrFold::loadState(R"({"v":4})").ok());
  EXPECT_FALSE(CdrFold::loadState(R"({"v":0})").ok());
}

}  // namespace
}  // namespace bankcc::reports
