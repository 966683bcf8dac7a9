// SPDX-License-Identifier: Apache-2.0
// Calls an agent places (decision 0020): make_call from the desktop and numbers dialled on the
// agent's phone, to a number, a colleague, an extension or a queue, in virtual time on the
// simulated port: the port commands, the event sequences, who hears whom, the agents' states
// before, during and after, and the refusals.
#include <gtest/gtest.h>

#include "callctl/call_control.h"
#include "callctl/callctl_test_support.h"

namespace bankcc::callctl {
namespace {

using namespace testing;
using Status = CommandReply::Status;

CoreOptions outboundOptions() {
  CoreOptions o;
  o.outboundNumbers = {"139"};
  o.transferNumbers = {"400"};
  o.outboundCallerId = "95588";
  return o;
}

constexpr const char* kCustomer = "13900000000";

class OutboundTest : public ::testing::Test {
 protected:
  OutboundTest() : b(outboundOptions()) {
    EXPECT_TRUE(b.core().setQueue(queueSetup("retail", "95588", "retail")).ok());
    EXPECT_TRUE(b.core().setQueue(queueSetup("cards", "95599", "cards")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1001", "8001", {"retail"}, "team_a")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1002", "8002", {"cards"}, "team_a")).ok());
    sim::PhoneBehaviour answers;
    answers.answerAfter = 3s;
    b.sim().setExternalNumber(kCustomer, answers);
  }
  void TearDown() override { EXPECT_EQ(b.sim().refusals(), std::vector<std::string>{}); }

  CommandReply makeCall(std::string agentNo, MakeCall::Target type, std::string target,
                        std::string requestId = {}) {
    return b.send(agentActor(agentNo), MakeCall{agentNo, type, std::move(target)},
                  std::move(requestId));
  }
  std::string hears(const LegId& leg) { return toString(b.sim().hears(leg)); }
  /// The leg most recently originated to `number`.
  LegId legTo(const std::string& number) { return b.agentLeg(number); }
  std::size_t originatesTo(const std::string& number) {
    std::size_t n = 0;
    for (const auto& cmd : b.sim().commands()) {
      if (const auto* o = std::get_if<telephony::Originate>(&cmd); o && o->to.number == number) ++n;
    }
    return n;
  }

  CoreBench b;
};

TEST_F(OutboundTest, AnAgentCallsACustomerFromTheDesktop) {
  b.loginReady("1001", "8001");
  b.takeEvents();
  b.takeCommands();
  const CommandReply r = makeCall("1001", MakeCall::Target::Number, kCustomer, "mk-1");
  expectAccepted(r);
  ASSERT_FALSE(r.callId.empty());
  EXPECT_EQ(r.callId, b.callId(1));
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.originated 1001 8001 number 13900000000 via=desktop",
                                   "C1 agent 1001 ready->reserved"}));
  // Nothing goes out before the agent is on the line: their own phone rings first.
  EXPECT_EQ(b.takeCommands(), (Lines{"Originate(L1->8001)"}));
  ASSERT_TRUE(b.call(1));
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Dialing);
  EXPECT_EQ(b.call(1)->direction, "outbound");
  EXPECT_EQ(b.call(1)->agentNo, "1001");

  b.run(2s);  // the agent picks up: ringback, and the customer is dialled
  const LegId agent = legTo("8001");
  const LegId customer = legTo(kCustomer);
  EXPECT_EQ(b.takeCommands(), (Lines{"Play(L1,tone,loop)", "Originate(L2->13900000000)"}));
  EXPECT_EQ(hears(agent), "tone:Ringback");
  const auto* dial = std::get_if<telephony::Originate>(&b.sim().commands().back());
  ASSERT_NE(dial, nullptr);
  EXPECT_EQ(dial->callerId, "95588");
  EXPECT_EQ(dial->near, agent);

  b.run(3s);  // the customer answers
  EXPECT_EQ(b.takeCommands(), (Lines{"StopPlay(L1)", "Bridge(L2,L1)", "StartRecording(L2,L1)"}));
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.answered 1001 ", "C1 agent 1001 reserved->on_call",
                                   "C1 recording.started"}));
  const auto* answered = b.lastEvent<events::CallAnswered>();
  EXPECT_EQ(answered->requestId, "mk-1");
  EXPECT_EQ(std::get<events::CallAnswered>(answered->payload).waitMs, 5000);
  EXPECT_EQ(hears(agent), "parties:" + customer.value);
  EXPECT_EQ(hears(customer), "parties:" + agent.value);
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Connected);

  // The call verbs of any connected call work on it.
  expectAccepted(b.send(agentActor("1001"), HoldCall{r.callId}));
  EXPECT_EQ(hears(customer), "music:moh");
  expectAccepted(b.send(agentActor("1001"), RetrieveCall{r.callId}));
  b.takeEvents();

  b.run(60s);
  b.sim().farHangup(customer);
  b.run(0ms);
  // The engine closes the recording when the customer's leg ends.
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 recording.stopped", "C1 call.ended normal by=callee",
                                   "C1 agent 1001 on_call->wrap_up"}));
  b.run(15s);  // outbound wrap-up, then back to ready
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
  EXPECT_TRUE(b.core().calls().empty());
}

TEST_F(OutboundTest, AnAgentOnABreakIsStillOnTheirBreakAfterTheCall) {
  b.loginReady("1001", "8001");
  b.notReady("1001", "break");
  const CommandReply r = makeCall("1001", MakeCall::Target::Number, kCustomer);
  expectAccepted(r);
  b.run(5s);
  ASSERT_EQ(b.stateOf("1001"), AgentState::OnCall);
  expectAccepted(b.send(agentActor("1001"), HangupCall{r.callId}));
  b.run(0ms);
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  b.run(15s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1001"), "break");
  EXPECT_EQ(b.eventsOf<events::CallEnded>().back()->hungUpBy, "agent");
}

TEST_F(OutboundTest, AnUnansweredCallEndsWithItsCauseAndFreesTheAgent) {
  b.loginReady("1001", "8001");
  sim::PhoneBehaviour busy;
  busy.kind = sim::PhoneBehaviour::Kind::Busy;
  b.sim().setExternalNumber("13911111111", busy);
  expectAccepted(makeCall("1001", MakeCall::Target::Number, "13911111111"));
  b.run(2s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
  const auto* ended = b.eventsOf<events::CallEnded>().back();
  EXPECT_EQ(ended->cause, "busy");
  EXPECT_EQ(ended->hungUpBy, "callee");
  EXPECT_TRUE(b.eventsOf<events::CallAnswered>().empty());
  EXPECT_TRUE(b.core().calls().empty());

  // The agent gives up while it rings: cancelled by the agent.
  sim::PhoneBehaviour never;
  never.kind = sim::PhoneBehaviour::Kind::NeverAnswer;
  b.sim().setExternalNumber("13922222222", never);
  const CommandReply r = makeCall("1001", MakeCall::Target::Number, "13922222222");
  b.run(10s);
  expectAccepted(b.send(agentActor("1001"), HangupCall{r.callId}));
  b.run(0ms);
  EXPECT_EQ(b.eventsOf<events::CallEnded>().back()->cause, "cancelled");
  EXPECT_EQ(b.eventsOf<events::CallEnded>().back()->hungUpBy, "agent");
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
  EXPECT_TRUE(b.core().calls().empty());

  // The agent's own phone is not picked up: nothing was dialled out.
  sim::PhoneBehaviour deaf;
  deaf.kind = sim::PhoneBehaviour::Kind::NeverAnswer;
  b.sim().registerPhone("8001", deaf);
  b.run(0ms);
  const std::size_t dialled = originatesTo(kCustomer);
  expectAccepted(makeCall("1001", MakeCall::Target::Number, kCustomer));
  b.run(30s);
  EXPECT_EQ(b.eventsOf<events::CallEnded>().back()->cause, "no_answer");
  EXPECT_EQ(b.eventsOf<events::CallEnded>().back()->hungUpBy, "agent");
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
  EXPECT_EQ(originatesTo(kCustomer), dialled);
  EXPECT_TRUE(b.core().calls().empty());
}

TEST_F(OutboundTest, AColleagueIsCalledAndBusyUntilTheCallEnds) {
  b.loginReady("1001", "8001");
  b.loginReady("1002", "8002");
  b.notReady("1002", "training");
  b.takeEvents();
  const CommandReply r = makeCall("1001", MakeCall::Target::Agent, "1002");
  expectAccepted(r);
  b.run(2s);  // 1001 picks up; 1002's phone rings and desktop pops
  EXPECT_EQ(b.stateOf("1002"), AgentState::Reserved);
  EXPECT_EQ(b.call(1)->direction, "internal");
  EXPECT_EQ(b.call(1)->peerAgent, "1002");
  b.run(2s);  // 1002 answers
  const LegId a = legTo("8001");
  const LegId colleague = legTo("8002");
  EXPECT_EQ(hears(a), "parties:" + colleague.value);
  EXPECT_EQ(b.stateOf("1001"), AgentState::OnCall);
  EXPECT_EQ(b.stateOf("1002"), AgentState::OnCall);
  EXPECT_EQ(b.core().agent("1002")->callId, r.callId);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.originated 1001 8001 agent 1002 via=desktop",
                                   "C1 agent 1001 ready->reserved",
                                   "C1 agent 1002 not_ready->reserved", "C1 call.offered 1002 8002",
                                   "C1 call.answered 1001 ", "C1 agent 1001 reserved->on_call",
                                   "C1 agent 1002 reserved->on_call", "C1 recording.started"}));
  EXPECT_EQ(std::get<events::CallOffered>(b.lastEvent<events::CallOffered>()->payload).ani, "8001");

  // A customer calling the cards queue is not offered to 1002 while they talk.
  const LegId caller = b.sim().incomingCall("13800000000", "95599");
  b.run(5s);
  EXPECT_EQ(b.call(2)->phase, CallView::Phase::Queued);

  // An internal call is not handed around.
  expectRefused(
      b.send(agentActor("1001"), BlindTransfer{r.callId, BlindTransfer::Target::Queue, "cards"}),
      Status::Conflict, "internal_call");
  expectRefused(b.send(agentActor("1001"), Consult{r.callId, Consult::Target::Number, "4001"}),
                Status::Conflict, "internal_call");

  // The colleague hangs up from their desktop: both go back to what they were, no wrap-up.
  expectAccepted(b.send(agentActor("1002"), HangupCall{r.callId}));
  b.run(0ms);
  const auto* ended = b.eventsOf<events::CallEnded>().back();
  EXPECT_EQ(ended->hungUpBy, "callee");
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
  EXPECT_EQ(b.stateOf("1002"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1002"), "training");
  b.ready("1002");
  b.run(2s);
  EXPECT_EQ(b.call(2)->agentNo, "1002");
  b.sim().farHangup(caller);
  b.run(0ms);
}

TEST_F(OutboundTest, AColleagueWhoBecameBusyMeanwhileGivesABusyCall) {
  b.loginReady("1002", "8002");
  sim::PhoneBehaviour slow;
  slow.answerAfter = 5s;
  b.loginReady("1001", "8001", slow);
  expectAccepted(makeCall("1001", MakeCall::Target::Agent, "1002"));
  // While 1001's own phone rings, a customer's call takes 1002.
  b.sim().incomingCall("13800000000", "95599");
  b.run(3s);
  ASSERT_EQ(b.stateOf("1002"), AgentState::OnCall);
  b.run(3s);  // 1001 picks up: the colleague is busy now
  EXPECT_EQ(b.eventsOf<events::CallEnded>().back()->cause, "busy");
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
  EXPECT_EQ(b.stateOf("1002"), AgentState::OnCall);
}

TEST_F(OutboundTest, AnAgentDialsANumberOnTheirPhone) {
  b.loginReady("1001", "8001");
  b.notReady("1001", "callback");
  b.takeEvents();
  b.takeCommands();
  const LegId phone = b.sim().callFromPhone("8001", kCustomer);
  b.run(0ms);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.originated 1001 8001 number 13900000000 via=phone",
                                   "C1 agent 1001 not_ready->reserved"}));
  EXPECT_EQ(b.takeCommands(),
            (Lines{"Answer(L1)", "Play(L1,tone,loop)", "Originate(L2->13900000000)"}));
  b.run(3s);
  const LegId customer = legTo(kCustomer);
  EXPECT_EQ(hears(phone), "parties:" + customer.value);
  EXPECT_EQ(b.stateOf("1001"), AgentState::OnCall);
  b.run(20s);
  b.sim().farHangup(phone);  // the agent hangs up on the phone
  b.run(0ms);
  EXPECT_EQ(b.eventsOf<events::CallEnded>().back()->hungUpBy, "agent");
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  b.run(15s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1001"), "callback");
}

TEST_F(OutboundTest, AnAgentWhoDialsAQueueIsItsCallerAndBusy) {
  b.loginReady("1001", "8001");
  b.loginReady("1002", "8002");
  b.takeEvents();
  const LegId phone = b.sim().callFromPhone("8002", "95588");
  b.run(0ms);
  EXPECT_EQ(b.stateOf("1002"), AgentState::OnCall);
  b.run(2s);  // offered to 1001, whose phone answers after 2 s
  EXPECT_EQ(b.stateOf("1001"), AgentState::OnCall);
  const Lines events = b.takeEvents();
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0], "C1 call.originated 1002 8002 queue retail via=phone");
  EXPECT_EQ(events[1], "C1 agent 1002 ready->on_call");
  EXPECT_EQ(events[2], "C1 queue.joined retail prio=0 pos=1");
  EXPECT_EQ(b.call(1)->agentNo, "1001");
  EXPECT_EQ(b.call(1)->peerAgent, "1002");
  b.sim().farHangup(phone);  // the dialling agent hangs up: they were the caller
  b.run(0ms);
  EXPECT_EQ(b.eventsOf<events::CallEnded>().back()->hungUpBy, "caller");
  EXPECT_EQ(b.stateOf("1002"), AgentState::Ready);
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
}

TEST_F(OutboundTest, DialsThePhoneMayNotMakeAreRefusedAndRecorded) {
  b.loginReady("1001", "8001");
  b.takeCommands();
  b.sim().callFromPhone("8001", "01012345678");  // not on the outbound list
  b.run(0ms);
  EXPECT_EQ(b.takeCommands(), (Lines{"Reject(L1,403)"}));
  const auto* ended = b.eventsOf<events::CallEnded>().back();
  EXPECT_EQ(ended->cause, "number_not_allowed");
  EXPECT_EQ(ended->hungUpBy, "system");
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);

  b.sim().callFromPhone("8001", "8001");  // their own extension
  b.run(0ms);
  EXPECT_EQ(b.takeCommands(), (Lines{"Reject(L2,486)"}));
  EXPECT_TRUE(b.core().calls().empty());

  // A phone that is not logged in still reaches queues as a caller.
  b.sim().registerPhone("8009");
  b.sim().callFromPhone("8009", "95588");
  b.run(0ms);
  EXPECT_EQ(b.eventsOf<events::CallArrived>().size(), 1u);
}

TEST_F(OutboundTest, MakeCallRefusals) {
  b.loginReady("1001", "8001");
  expectRefused(makeCall("1001", MakeCall::Target::Number, "01012345678"), Status::Forbidden,
                "number_not_allowed");
  expectRefused(makeCall("1001", MakeCall::Target::Number, "12ab"), Status::Invalid, "bad_number");
  expectRefused(makeCall("1001", MakeCall::Target::Agent, "1001"), Status::Conflict, "call_self");
  expectRefused(makeCall("1001", MakeCall::Target::Agent, "1002"), Status::Conflict,
                "not_logged_in");
  expectRefused(makeCall("1001", MakeCall::Target::Agent, "9999"), Status::NotFound,
                "unknown_agent");
  expectRefused(makeCall("1001", MakeCall::Target::Extension, "8123"), Status::NotFound,
                "unknown_extension");
  expectRefused(makeCall("1001", MakeCall::Target::Extension, "8x"), Status::Invalid,
                "bad_extension");
  expectRefused(makeCall("1002", MakeCall::Target::Number, kCustomer), Status::Conflict,
                "not_logged_in");
  // Only the agent themselves: not their supervisor, not an admin.
  expectRefused(
      b.send(supervisorOf("team_a"), MakeCall{"1001", MakeCall::Target::Number, kCustomer}),
      Status::Forbidden, "not_your_agent");
  expectRefused(b.send(adminActor(), MakeCall{"1001", MakeCall::Target::Number, kCustomer}),
                Status::Forbidden, "not_your_agent");
  EXPECT_TRUE(b.core().calls().empty());
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);

  // Busy with a call: no second one.
  const CommandReply first = makeCall("1001", MakeCall::Target::Number, kCustomer, "mk-1");
  expectAccepted(first);
  expectRefused(makeCall("1001", MakeCall::Target::Number, kCustomer), Status::Conflict,
                "agent_busy");
  // A repeated request id answers as before (the same call) and places nothing.
  const CommandReply again = makeCall("1001", MakeCall::Target::Number, kCustomer, "mk-1");
  EXPECT_TRUE(again.replay);
  EXPECT_EQ(again.callId, first.callId);
  EXPECT_EQ(b.core().calls().size(), 1u);
}

TEST_F(OutboundTest, AnOutboundCallCanBeTransferredToAQueue) {
  b.loginReady("1001", "8001");
  b.loginReady("1002", "8002");
  const CommandReply r = makeCall("1001", MakeCall::Target::Number, kCustomer);
  b.run(5s);
  ASSERT_EQ(b.stateOf("1001"), AgentState::OnCall);
  expectAccepted(
      b.send(agentActor("1001"), BlindTransfer{r.callId, BlindTransfer::Target::Queue, "cards"}));
  b.run(2s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  EXPECT_EQ(b.stateOf("1002"), AgentState::OnCall);
  EXPECT_EQ(b.call(1)->agentNo, "1002");
  EXPECT_EQ(hears(legTo(kCustomer)), "parties:" + legTo("8002").value);
}

}  // namespace
}  // namespace bankcc::callctl
