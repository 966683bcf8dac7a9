// SPDX-License-Identifier: Apache-2.0
// Consult, alternate, attended transfer and conference (decision 0018), in virtual time on the
// simulated telephony port: who hears whom at each step, the event sequences, the agents'
// states, and the refusals.
#include <gtest/gtest.h>

#include <algorithm>

#include "callctl/call_control.h"
#include "callctl/callctl_test_support.h"

namespace bankcc::callctl {
namespace {

using namespace testing;
using Status = CommandReply::Status;

class ConsultTest : public ::testing::Test {
 protected:
  ConsultTest() : b(withTransferNumbers()) {
    EXPECT_TRUE(b.core().setQueue(queueSetup("retail", "95588", "retail")).ok());
    EXPECT_TRUE(b.core().setQueue(queueSetup("cards", "95599", "cards")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1001", "8001", {"retail"}, "team_a")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1002", "8002", {"cards"}, "team_a")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("2001", "8201", {"cards"}, "team_b")).ok());
    sim::PhoneBehaviour answers;
    answers.answerAfter = 3s;
    b.sim().setExternalNumber("4008200588", answers);
  }

  /// A caller of 95588 talks with 1001; 1002 (cards) is ready.
  void connectedCall(sim::PhoneBehaviour colleaguePhone = {}) {
    b.loginReady("1002", "8002", colleaguePhone);
    b.loginReady("1001", "8001");
    caller = b.sim().incomingCall("13800000000", "95588");
    b.run(2s);
    ASSERT_EQ(b.stateOf("1001"), AgentState::OnCall);
    callId = b.callId(1);
    agent = b.agentLeg("8001");
    b.run(30s);
    b.takeEvents();
  }
  /// 1001 consults 1002, whose phone answers after 2 s.
  void consultColleague() {
    connectedCall();
    expectAccepted(
        b.send(agentActor("1001"), Consult{callId, Consult::Target::Agent, "1002"}, "consult-1"));
    b.run(2s);
    party = b.agentLeg("8002");
    consultId = b.core().calls().front().consultCallId;
  }
  void TearDown() override { EXPECT_EQ(b.sim().refusals(), std::vector<std::string>{}); }

  std::string hears(const LegId& leg) { return toString(b.sim().hears(leg)); }
  std::size_t endedCount(const std::string& id) {
    std::size_t n = 0;
    for (const auto& e : b.events()) {
      if (e.callId == id && std::holds_alternative<events::CallEnded>(e.payload)) ++n;
    }
    return n;
  }

  CoreBench b;
  LegId caller;
  LegId agent;
  LegId party;
  std::string callId;
  std::string consultId;
};

TEST_F(ConsultTest, ConsultAColleagueThenCompleteTheTransfer) {
  connectedCall();
  expectAccepted(
      b.send(agentActor("1001"), Consult{callId, Consult::Target::Agent, "1002"}, "consult-1"));
  // The customer waits with music; the colleague's phone rings and their desktop pops.
  EXPECT_EQ(hears(caller), "music:moh");
  EXPECT_EQ(b.stateOf("1002"), AgentState::Reserved);
  const CallView ringing = b.core().calls().front();
  EXPECT_EQ(ringing.partyStage, "ringing");
  EXPECT_EQ(ringing.party, "1002");
  consultId = ringing.consultCallId;
  ASSERT_FALSE(consultId.empty());
  EXPECT_EQ(b.core().agent("1002")->callId, consultId);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.held", "C2 call.consult_started 1001 agent 1002",
                                   "C2 agent 1002 ready->reserved", "C2 call.offered 1002 8002"}));
  const auto* offered = b.lastEvent<events::CallOffered>();
  EXPECT_EQ(std::get<events::CallOffered>(offered->payload).ani, "13800000000");
  const auto* started = b.lastEvent<events::CallConsultStarted>();
  EXPECT_EQ(std::get<events::CallConsultStarted>(started->payload).parentCallId, callId);
  EXPECT_EQ(started->requestId, "consult-1");

  b.run(2s);
  party = b.agentLeg("8002");
  EXPECT_EQ(b.stateOf("1002"), AgentState::OnCall);
  EXPECT_EQ(b.core().calls().front().partyStage, "consulting");
  // Agent and colleague talk; the held customer hears neither.
  EXPECT_EQ(hears(agent), "parties:" + party.value);
  EXPECT_EQ(hears(party), "parties:" + agent.value);
  EXPECT_EQ(hears(caller), "music:moh");
  EXPECT_EQ(b.takeEvents(), (Lines{"C2 agent 1002 reserved->on_call", "C2 call.consult_answered"}));
  EXPECT_EQ(b.lastEvent<events::CallConsultAnswered>()->requestId, "consult-1");

  b.run(10s);
  expectAccepted(b.send(agentActor("1001"), CompleteTransfer{callId}, "xfer-1"));
  EXPECT_EQ(hears(caller), "parties:" + party.value);
  EXPECT_EQ(hears(party), "parties:" + caller.value);
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  EXPECT_EQ(b.stateOf("1002"), AgentState::OnCall);
  EXPECT_EQ(b.core().agent("1002")->callId, callId);
  const CallView after = b.core().calls().front();
  EXPECT_EQ(after.agentNo, "1002");
  EXPECT_EQ(after.partyStage, "");
  EXPECT_FALSE(after.held);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.retrieved", "C1 call.consult_ended transferred",
                                   "C1 call.transferred attended agent 1002",
                                   "C1 agent 1001 on_call->wrap_up", "C1 recording.started",
                                   "C2 call.ended transferred by=agent", "C1 recording.stopped"}));
  const auto* xfer = b.eventsOf<events::CallTransferred>().back();
  EXPECT_EQ(xfer->talkMs, 42'000);  // 30 s talk, 2 s ringing, 10 s consult
  // The colleague's part is recorded on its own.
  EXPECT_EQ(
      b.sim()
          .recording(telephony::RecordingId{
              std::get<events::RecordingStarted>(b.lastEvent<events::RecordingStarted>()->payload)
                  .recordingId})
          ->agent,
      party);

  b.sim().farHangup(caller);
  b.run(0ms);
  EXPECT_EQ(b.stateOf("1002"), AgentState::WrapUp);
  EXPECT_EQ(endedCount(callId), 1u);
  EXPECT_EQ(endedCount(consultId), 1u);
  EXPECT_TRUE(b.core().calls().empty());
}

TEST_F(ConsultTest, AlternateThenConferenceThenDropTheParty) {
  connectedCall();
  expectAccepted(b.send(agentActor("1001"), Consult{callId, Consult::Target::Number, "4008200588"},
                        "consult-1"));
  EXPECT_EQ(hears(caller), "music:moh");
  b.run(3s);
  party = b.agentLeg("4008200588");
  EXPECT_EQ(b.sim().leg(party)->ani, "95588");  // the hotline's number is shown outside
  EXPECT_EQ(hears(agent), "parties:" + party.value);

  // Back to the customer: the party waits with music.
  expectAccepted(b.send(agentActor("1001"), Alternate{callId}));
  EXPECT_EQ(hears(caller), "parties:" + agent.value);
  EXPECT_EQ(hears(agent), "parties:" + caller.value);
  EXPECT_EQ(hears(party), "music:moh");
  EXPECT_TRUE(b.core().calls().front().partyHeld);
  // And to the party again.
  expectAccepted(b.send(agentActor("1001"), Alternate{callId}));
  EXPECT_EQ(hears(caller), "music:moh");
  EXPECT_EQ(hears(agent), "parties:" + party.value);

  b.run(5s);
  expectAccepted(b.send(agentActor("1001"), Conference{callId}, "conf-1"));
  // Everyone hears everyone.
  const sim::Hearing all = b.sim().hears(caller);
  EXPECT_EQ(all.parties.size(), 2u);
  EXPECT_NE(std::ranges::find(all.parties, party), all.parties.end());
  EXPECT_EQ(b.sim().hears(party).parties.size(), 2u);
  EXPECT_EQ(b.sim().hears(agent).parties.size(), 2u);
  EXPECT_EQ(b.core().calls().front().partyStage, "conferenced");
  Lines events = b.takeEvents();
  EXPECT_EQ(events,
            (Lines{"C1 call.held", "C2 call.consult_started 1001 number 4008200588",
                   "C2 call.consult_answered", "C2 call.held", "C1 call.retrieved", "C1 call.held",
                   "C2 call.retrieved", "C1 call.retrieved", "C1 call.consult_ended conferenced",
                   "C1 call.conferenced 4008200588", "C2 call.ended conferenced by=agent"}));

  b.run(20s);
  expectAccepted(b.send(agentActor("1001"), DropParty{callId}, "drop-1"));
  b.run(0ms);
  EXPECT_EQ(hears(caller), "parties:" + agent.value);
  EXPECT_EQ(b.sim().leg(party)->state, sim::LegState::Ended);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.party_left 4008200588 dropped"}));
  EXPECT_EQ(b.eventsOf<events::CallPartyLeft>().back()->durationMs, 20'000);
  EXPECT_EQ(b.stateOf("1001"), AgentState::OnCall);
  EXPECT_EQ(b.core().calls().front().partyStage, "");
}

TEST_F(ConsultTest, TheAgentLeavingAConferenceHandsTheCustomerToTheColleague) {
  consultColleague();
  expectAccepted(b.send(agentActor("1001"), Conference{callId}));
  EXPECT_EQ(b.core().agent("1002")->callId, callId);
  b.run(15s);
  b.takeEvents();
  // 1001 hangs up their phone: the conference goes on without them.
  b.sim().farHangup(agent);
  b.run(0ms);
  EXPECT_EQ(hears(caller), "parties:" + party.value);
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  EXPECT_EQ(b.stateOf("1002"), AgentState::OnCall);
  EXPECT_EQ(b.core().calls().front().agentNo, "1002");
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 call.transferred attended agent 1002", "C1 agent 1001 on_call->wrap_up",
                   "C1 recording.started", "C1 recording.stopped"}));
  b.run(30s);
  expectAccepted(b.send(agentActor("1002"), HangupCall{callId}));
  b.run(0ms);
  EXPECT_EQ(b.stateOf("1002"), AgentState::WrapUp);
  EXPECT_EQ(endedCount(callId), 1u);
}

TEST_F(ConsultTest, TheCustomerHangingUpInAConferenceWrapsUpBothAgents) {
  consultColleague();
  expectAccepted(b.send(agentActor("1001"), Conference{callId}));
  b.run(10s);
  b.takeEvents();
  b.sim().farHangup(caller);
  b.run(0ms);
  const Lines events = b.takeEvents();
  // The engine stops the recording with the caller's leg; no party_left: the call ended.
  EXPECT_EQ(events, (Lines{"C1 recording.stopped", "C1 call.ended normal by=caller",
                           "C1 agent 1001 on_call->wrap_up", "C1 agent 1002 on_call->wrap_up"}));
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  EXPECT_EQ(b.stateOf("1002"), AgentState::WrapUp);
  EXPECT_EQ(b.core().agent("1002")->callId, callId);
  EXPECT_EQ(endedCount(consultId), 1u);
  EXPECT_EQ(b.sim().leg(party)->state, sim::LegState::Ended);
  // Both become ready after the queue's 15 s wrap-up.
  b.run(16s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
  EXPECT_EQ(b.stateOf("1002"), AgentState::Ready);
}

TEST_F(ConsultTest, CancelTakesTheCustomerBackAndFreesTheColleague) {
  consultColleague();
  b.takeEvents();
  expectAccepted(b.send(agentActor("1001"), CancelConsult{callId}, "cancel-1"));
  b.run(0ms);
  EXPECT_EQ(hears(caller), "parties:" + agent.value);
  EXPECT_EQ(b.sim().leg(party)->state, sim::LegState::Ended);
  // A consult has no wrap-up of its own.
  EXPECT_EQ(b.stateOf("1002"), AgentState::Ready);
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 call.consult_ended cancelled", "C2 call.ended cancelled by=agent",
                   "C2 agent 1002 on_call->ready", "C1 call.retrieved"}));
  EXPECT_EQ(b.lastEvent<events::CallConsultEnded>()->requestId, "cancel-1");
  EXPECT_EQ(b.core().calls().front().partyStage, "");
  // A new consult may follow.
  expectAccepted(b.send(agentActor("1001"), Consult{callId, Consult::Target::Agent, "1002"}));
}

TEST_F(ConsultTest, TheColleagueHangingUpLeavesTheCustomerOnHold) {
  consultColleague();
  b.takeEvents();
  expectAccepted(b.send(agentActor("1002"), HangupCall{consultId}, "bye-1"));
  b.run(0ms);
  EXPECT_EQ(hears(caller), "music:moh");
  EXPECT_EQ(b.stateOf("1002"), AgentState::Ready);
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 call.consult_ended party_hung_up", "C2 call.ended party_hung_up by=party",
                   "C2 agent 1002 on_call->ready"}));
  // The agent decides when to take the customer back.
  expectAccepted(b.send(agentActor("1001"), RetrieveCall{callId}));
  EXPECT_EQ(hears(caller), "parties:" + agent.value);
}

TEST_F(ConsultTest, AColleagueWhoDoesNotAnswerIsMadeNotReady) {
  sim::PhoneBehaviour never;
  never.kind = sim::PhoneBehaviour::Kind::NeverAnswer;
  connectedCall(never);
  expectAccepted(b.send(agentActor("1001"), Consult{callId, Consult::Target::Agent, "1002"}));
  b.run(21s);  // the consult rings for 20 s
  EXPECT_EQ(b.stateOf("1002"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1002"), "no_answer");
  EXPECT_EQ(hears(caller), "music:moh");
  EXPECT_EQ(b.eventsOf<events::CallConsultEnded>().back()->reason, "no_answer");
  EXPECT_EQ(b.core().calls().front().partyStage, "");
}

TEST_F(ConsultTest, TheCustomerHangingUpEndsTheConsult) {
  consultColleague();
  b.takeEvents();
  b.sim().farHangup(caller);
  b.run(0ms);
  // The consult ends before the customer's call.
  EXPECT_EQ(b.takeEvents(),
            (Lines{"C1 recording.stopped", "C1 call.consult_ended call_ended",
                   "C2 call.ended call_ended by=system", "C2 agent 1002 on_call->ready",
                   "C1 call.ended normal by=caller", "C1 agent 1001 on_call->wrap_up"}));
  EXPECT_EQ(b.stateOf("1002"), AgentState::Ready);
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  EXPECT_EQ(endedCount(callId), 1u);
  EXPECT_EQ(endedCount(consultId), 1u);
}

TEST_F(ConsultTest, ConsultEndsASupervisorsMonitoring) {
  connectedCall();
  b.sim().registerPhone("8101");
  b.run(0ms);
  expectAccepted(
      b.send(supervisorOf("team_a"), MonitorCall{"1001", telephony::MonitorMode::Listen, "8101"}));
  b.run(1s);
  expectAccepted(b.send(agentActor("1001"), Consult{callId, Consult::Target::Agent, "1002"}));
  EXPECT_EQ(b.eventsOf<events::SupervisorMonitorEnded>().back()->reason, "consult");
  expectRefused(
      b.send(supervisorOf("team_a"), MonitorCall{"1001", telephony::MonitorMode::Listen, "8101"}),
      Status::Conflict, "consult_in_progress");
}

TEST_F(ConsultTest, Refusals) {
  connectedCall();
  const Actor a = agentActor("1001");
  expectRefused(b.send(a, Consult{callId, Consult::Target::Agent, "9999"}), Status::NotFound,
                "unknown_agent");
  expectRefused(b.send(a, Consult{callId, Consult::Target::Agent, "1001"}), Status::Conflict,
                "consult_self");
  expectRefused(b.send(a, Consult{callId, Consult::Target::Agent, "2001"}), Status::Conflict,
                "agent_not_ready");
  expectRefused(b.send(a, Consult{callId, Consult::Target::Number, "13900000000"}),
                Status::Forbidden, "number_not_allowed");
  expectRefused(b.send(a, Consult{callId, Consult::Target::Number, "40x"}), Status::Invalid,
                "bad_number");
  expectRefused(b.send(agentActor("1002"), Consult{callId, Consult::Target::Agent, "1002"}),
                Status::Forbidden, "not_your_call");
  expectRefused(b.send(a, Consult{"nope", Consult::Target::Agent, "1002"}), Status::NotFound,
                "unknown_call");
  expectRefused(b.send(a, Conference{callId}), Status::Conflict, "no_consult");
  expectRefused(b.send(a, Alternate{callId}), Status::Conflict, "no_consult");
  expectRefused(b.send(a, CancelConsult{callId}), Status::Conflict, "no_consult");
  expectRefused(b.send(a, DropParty{callId}), Status::Conflict, "no_conference");

  expectAccepted(b.send(a, Consult{callId, Consult::Target::Agent, "1002"}));
  expectRefused(b.send(a, Consult{callId, Consult::Target::Number, "4008200588"}), Status::Conflict,
                "consult_in_progress");
  expectRefused(b.send(a, HoldCall{callId}), Status::Conflict, "consult_in_progress");
  expectRefused(b.send(a, RetrieveCall{callId}), Status::Conflict, "consult_in_progress");
  expectRefused(b.send(a, BlindTransfer{callId, BlindTransfer::Target::Queue, "cards"}),
                Status::Conflict, "consult_in_progress");
  expectRefused(b.send(a, Conference{callId}), Status::Conflict, "no_consult");  // ringing
  // Someone else's consult.
  b.run(2s);
  consultId = b.core().calls().front().consultCallId;
  expectRefused(b.send(agentActor("2001"), HangupCall{consultId}), Status::Forbidden,
                "not_your_call");
  // A supervisor of the team may end it (an intervention).
  const CommandReply forced = b.send(supervisorOf("team_a"), CancelConsult{callId});
  expectAccepted(forced);
  EXPECT_TRUE(forced.intervention);
}

// Semi-attended transfer (decision 0029): transfer while the consult still rings.

TEST_F(ConsultTest, TransferWhileTheColleagueRingsOffersThemTheCallerWhoKeepsTheirPlace) {
  connectedCall(neverAnswers());
  expectAccepted(b.send(agentActor("1001"), Consult{callId, Consult::Target::Agent, "1002"}));
  const LegId consultLeg = b.agentLeg("8002");
  b.run(5s);
  b.takeEvents();
  expectAccepted(b.send(agentActor("1001"), CompleteTransfer{callId}));
  EXPECT_EQ(b.takeEvents(), (Lines{
                                "C1 call.consult_ended transferred",
                                "C2 call.ended transferred by=agent",
                                "C2 agent 1002 reserved->ready",
                                "C1 call.transferred semi_attended agent 1002",
                                "C1 call.retrieved",
                                "C1 agent 1001 on_call->wrap_up",
                                "C1 queue.joined retail prio=0 pos=1",
                                "C1 routing.decided 1002 transferred",
                                "C1 agent 1002 ready->reserved",
                                "C1 call.offered 1002 8002",
                                "C1 recording.stopped",
                            }));
  // The consult's ringing stopped; the colleague's phone rings again for the customer, who
  // hears the queue's music meanwhile and keeps their place should 1002 not answer.
  EXPECT_EQ(b.sim().leg(consultLeg)->state, sim::LegState::Ended);
  EXPECT_EQ(b.sim().leg(agent)->state, sim::LegState::Ended);
  const LegId offered = b.agentLeg("8002");
  EXPECT_NE(offered, consultLeg);
  EXPECT_EQ(hears(caller), "prompt:moh");  // the queue's music
  b.sim().farAnswer(offered);
  b.run(0ms);
  EXPECT_EQ(hears(caller), "parties:" + offered.value);
  EXPECT_EQ(b.stateOf("1002"), AgentState::OnCall);
  EXPECT_EQ(b.core().calls().front().agentNo, "1002");
}

TEST_F(ConsultTest, TransferWhileANumberRingsDialsItForTheCaller) {
  connectedCall();
  expectAccepted(
      b.send(agentActor("1001"), Consult{callId, Consult::Target::Number, "4008200588"}));
  const LegId consultLeg = b.agentLeg("4008200588");
  b.run(1s);
  b.takeEvents();
  expectAccepted(b.send(agentActor("1001"), CompleteTransfer{callId}));
  const Lines events = b.takeEvents();
  EXPECT_NE(std::find(events.begin(), events.end(),
                      "C1 call.transferred semi_attended number 4008200588"),
            events.end());
  EXPECT_EQ(b.sim().leg(consultLeg)->state, sim::LegState::Ended);
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  const LegId dialled = b.agentLeg("4008200588");
  EXPECT_NE(dialled, consultLeg);
  EXPECT_EQ(hears(caller), "tone:Ringback");
  b.run(3s);  // the number answers after 3 s
  EXPECT_EQ(hears(caller), "parties:" + dialled.value);
}

}  // namespace
}  // namespace bankcc::callctl
