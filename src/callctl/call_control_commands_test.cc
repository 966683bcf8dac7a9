// SPDX-License-Identifier: Apache-2.0
// CTI commands: agent states, wrap-up, authorization, refusals, request-id replay.
#include <gtest/gtest.h>

#include "callctl/call_control.h"
#include "callctl/callctl_test_support.h"
#include "events/json.h"

namespace bankcc::callctl {
namespace {

using namespace testing;
using Status = CommandReply::Status;

class CommandsTest : public ::testing::Test {
 protected:
  CommandsTest() {
    EXPECT_TRUE(b.core().setQueue(queueSetup("retail", "95588", "retail")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1001", "8001", {"retail"}, "team_a")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("1002", "8002", {"retail"}, "team_a")).ok());
    EXPECT_TRUE(b.core().setAgent(agentSetup("2001", "8201", {"retail"}, "team_b")).ok());
  }
  /// 1001 takes a call and talks for `talk`; the caller then hangs up.
  void callAndHangUp(base::Duration talk = 30s) {
    const LegId caller = b.sim().incomingCall("13800000000", "95588");
    b.run(2s);  // answered by 1001's phone
    ASSERT_EQ(b.stateOf("1001"), AgentState::OnCall);
    b.run(talk);
    b.sim().farHangup(caller);
    b.run(0ms);
  }

  CoreBench b;
};

// ---- states ----

TEST_F(CommandsTest, LoginLogoutAndStates) {
  b.sim().registerPhone("8001");
  b.run(0ms);
  b.login("1001", "8001");
  auto view = b.core().agent("1001");
  EXPECT_EQ(view->state, AgentState::NotReady);
  EXPECT_EQ(view->reason, "logged_in");
  EXPECT_EQ(view->extension, "8001");
  EXPECT_EQ(view->since, b.clock().now());
  b.run(5s);
  b.ready("1001");
  EXPECT_EQ(b.core().agent("1001")->since, b.clock().now());
  b.notReady("1001", "break");
  b.notReady("1001", "training");
  b.notReady("1001", "training");  // no change, no event
  const CommandReply out = b.send(agentActor("1001"), Logout{"1001"}, "logout-1");
  EXPECT_EQ(out.status, Status::Accepted);
  EXPECT_EQ(
      b.takeEvents(),
      (Lines{"agent 1001 logged_out->not_ready(logged_in)", "agent 1001 not_ready->ready",
             "agent 1001 ready->not_ready(break)", "agent 1001 not_ready->not_ready(training)",
             "agent 1001 not_ready->logged_out"}));
  EXPECT_EQ(b.lastEvent<events::AgentStateChanged>()->requestId, "logout-1");
  EXPECT_EQ(b.core().agent("1001")->extension, "");
  // The extension is free again.
  b.login("1001", "8001");
}

TEST_F(CommandsTest, RefusesBadValues) {
  expectRefused(b.send(agentActor("1001"), SetState{"1001", false, ""}), Status::Invalid,
                "reason_required");
  expectRefused(b.send(agentActor("1001"), SetState{"1001", false, "no_answer"}), Status::Invalid,
                "system_reason");
  expectRefused(b.send(agentActor("1001"), CompleteWrapUp{"1001", "x", std::string(2001, 'n')}),
                Status::Invalid, "notes_too_long");
  expectRefused(b.send(agentActor("1001"), ExtendWrapUp{"1001", 0s}), Status::Invalid,
                "bad_duration");
  expectRefused(b.send(agentActor("1001"), ExtendWrapUp{"1001", std::chrono::hours(1)}),
                Status::Invalid, "bad_duration");
  CommandReply noId;
  b.core().submit(CommandRequest{"", agentActor("1001"), Logout{"1001"}},
                  [&](CommandReply r) { noId = r; });
  b.run(0ms);
  expectRefused(noId, Status::Invalid, "missing_request_id");
}

TEST_F(CommandsTest, NotesCountCharactersNotBytes) {
  b.loginReady("1001", "8001");
  callAndHangUp();
  std::string notes;
  for (int i = 0; i < 2000; ++i) notes += "客";  // 2,000 characters, 6,000 bytes
  const CommandReply r = b.send(agentActor("1001"), CompleteWrapUp{"1001", "billing", notes});
  EXPECT_EQ(r.status, Status::Accepted) << r.code;
  EXPECT_EQ(b.eventsOf<events::WrapUpCompleted>().back()->notesLength, 2000);
}

TEST_F(CommandsTest, UnknownIdsAreNotFound) {
  expectRefused(b.send(adminActor(), Login{"9999", "8001"}), Status::NotFound, "unknown_agent");
  expectRefused(b.send(adminActor(), Login{"1001", "8999"}), Status::NotFound, "unknown_extension");
  expectRefused(b.send(adminActor(), SetState{"9999", true, {}}), Status::NotFound,
                "unknown_agent");
  expectRefused(b.send(adminActor(), Logout{"9999"}), Status::NotFound, "unknown_agent");
  expectRefused(b.send(adminActor(), AnswerCall{"no-such-call"}), Status::NotFound, "unknown_call");
  expectRefused(b.send(adminActor(), HangupCall{"no-such-call"}), Status::NotFound, "unknown_call");
  expectRefused(b.send(adminActor(), CompleteWrapUp{"9999", "", ""}), Status::NotFound,
                "unknown_agent");
  expectRefused(b.send(adminActor(), ExtendWrapUp{"9999", 10s}), Status::NotFound, "unknown_agent");
}

TEST_F(CommandsTest, WrongStateIsConflict) {
  expectRefused(b.send(agentActor("1001"), SetState{"1001", true, {}}), Status::Conflict,
                "not_logged_in");
  expectRefused(b.send(agentActor("1001"), Logout{"1001"}), Status::Conflict, "not_logged_in");
  b.loginReady("1001", "8001");
  expectRefused(b.send(agentActor("1001"), Login{"1001", "8001"}), Status::Conflict,
                "already_logged_in");
  ASSERT_TRUE(b.core()
                  .setAgent([] {
                    AgentSetup a = agentSetup("1002", "8002", {"retail"});
                    a.extensions.push_back({"8001", false});  // hot desk: 8001 too
                    return a;
                  }())
                  .ok());
  expectRefused(b.send(agentActor("1002"), Login{"1002", "8001"}), Status::Conflict,
                "extension_in_use");
  expectRefused(b.send(agentActor("1001"), CompleteWrapUp{"1001", "", ""}), Status::Conflict,
                "not_in_wrap_up");
  expectRefused(b.send(agentActor("1001"), ExtendWrapUp{"1001", 10s}), Status::Conflict,
                "not_in_wrap_up");

  sim::PhoneBehaviour slow;
  slow.answerAfter = 10s;
  b.sim().registerPhone("8001", slow);
  b.sim().incomingCall("13800000000", "95588");
  b.run(1s);
  ASSERT_EQ(b.stateOf("1001"), AgentState::Reserved);
  expectRefused(b.send(agentActor("1001"), Logout{"1001"}), Status::Conflict, "busy_with_call");
  expectRefused(b.send(agentActor("1001"), HangupCall{b.callId(1)}), Status::Conflict,
                "not_connected");
  b.run(9s);
  ASSERT_EQ(b.stateOf("1001"), AgentState::OnCall);
  expectRefused(b.send(agentActor("1001"), Logout{"1001"}), Status::Conflict, "busy_with_call");
  expectRefused(b.send(agentActor("1001"), AnswerCall{b.callId(1)}), Status::Conflict,
                "not_offered");
}

// ---- wrap-up ----

TEST_F(CommandsTest, WrapUpEndsByItselfAfterTheQueuesTime) {
  b.loginReady("1001", "8001");
  callAndHangUp();
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  b.run(14900ms);
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  b.run(100ms);
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
  // The handle time (talk + wrap-up) feeds the queue's estimate.
  EXPECT_TRUE(b.core().acd().queueSnapshot("retail", b.clock().now()).has_value());
}

TEST_F(CommandsTest, NotReadyAskedDuringTheCallAppliesAfterWrapUp) {
  b.loginReady("1001", "8001");
  const LegId caller = b.sim().incomingCall("13800000000", "95588");
  b.run(2s);
  b.takeEvents();
  b.notReady("1001", "break");
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 agent.next_state_set 1001 not_ready(break)"}));
  EXPECT_EQ(b.stateOf("1001"), AgentState::OnCall);
  b.sim().farHangup(caller);
  b.run(15s);
  EXPECT_EQ(b.takeEvents().back(), "C1 agent 1001 wrap_up->not_ready(break)");
}

TEST_F(CommandsTest, ReadyAskedDuringTheCallCancelsTheEarlierNotReady) {
  b.loginReady("1001", "8001");
  const LegId caller = b.sim().incomingCall("13800000000", "95588");
  b.run(2s);
  b.notReady("1001", "break");
  b.ready("1001");
  b.sim().farHangup(caller);
  b.run(15s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
}

TEST_F(CommandsTest, NotReadyAskedDuringWrapUpAppliesAtItsEnd) {
  b.loginReady("1001", "8001");
  callAndHangUp();
  b.notReady("1001", "lunch");
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  b.run(15s);
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);
  EXPECT_EQ(b.reasonOf("1001"), "lunch");
}

TEST_F(CommandsTest, ReadyDuringWrapUpEndsIt) {
  b.loginReady("1001", "8001");
  callAndHangUp();
  b.run(3s);
  b.ready("1001");
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
}

TEST_F(CommandsTest, CompleteWrapUpEndsItEarlyWithoutPuttingNotesInEvents) {
  b.loginReady("1001", "8001");
  callAndHangUp();
  b.run(4s);
  b.takeEvents();
  const std::string notes = "客户要求修改账单地址 13800000000";
  const CommandReply r =
      b.send(agentActor("1001"), CompleteWrapUp{"1001", "address_change", notes}, "wrap-1");
  ASSERT_EQ(r.status, Status::Accepted);
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 wrapup.completed 1001 code=address_change notes=22",
                                   "C1 agent 1001 wrap_up->ready"}));
  for (const auto& e : b.events()) {
    EXPECT_EQ(events::payloadToJson(e.payload).find("客户要求"), std::string::npos);
  }
  EXPECT_EQ(b.lastEvent<events::WrapUpCompleted>()->requestId, "wrap-1");
  EXPECT_EQ(b.lastEvent<events::AgentStateChanged>()->requestId, "wrap-1");
}

TEST_F(CommandsTest, ExtendWrapUpPushesTheEndBack) {
  b.loginReady("1001", "8001");
  callAndHangUp();
  b.run(10s);
  const CommandReply r = b.send(agentActor("1001"), ExtendWrapUp{"1001", 30s});
  ASSERT_EQ(r.status, Status::Accepted);
  EXPECT_EQ(b.eventsOf<events::WrapUpExtended>().back()->remainingMs, 35'000);
  b.run(34900ms);
  EXPECT_EQ(b.stateOf("1001"), AgentState::WrapUp);
  b.run(100ms);
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
}

TEST_F(CommandsTest, QueueMayAskForNotReadyAfterWrapUp) {
  QueueSetup q = queueSetup("retail", "95588", "retail");
  q.readyAfterWrapUp = false;
  ASSERT_TRUE(b.core().setQueue(q).ok());
  b.loginReady("1001", "8001");
  callAndHangUp();
  b.run(15s);
  EXPECT_EQ(b.reasonOf("1001"), "after_wrapup");
}

TEST_F(CommandsTest, NoWrapUpTimeFreesTheAgentAtOnce) {
  QueueSetup q = queueSetup("retail", "95588", "retail");
  q.wrapUp = 0s;
  ASSERT_TRUE(b.core().setQueue(q).ok());
  b.loginReady("1001", "8001");
  callAndHangUp();
  EXPECT_EQ(b.takeEvents().back(), "C1 agent 1001 on_call->ready");
}

TEST_F(CommandsTest, LogoutDuringWrapUp) {
  b.loginReady("1001", "8001");
  callAndHangUp();
  EXPECT_EQ(b.send(agentActor("1001"), Logout{"1001"}).status, Status::Accepted);
  EXPECT_EQ(b.stateOf("1001"), AgentState::LoggedOut);
  b.run(20s);  // the wrap-up timer no longer fires
  EXPECT_EQ(b.stateOf("1001"), AgentState::LoggedOut);
}

// ---- authorization ----

TEST_F(CommandsTest, AgentsActOnlyOnThemselves) {
  b.sim().registerPhone("8002");
  b.run(0ms);
  expectRefused(b.send(agentActor("1001"), Login{"1002", "8002"}), Status::Forbidden,
                "not_your_agent");
  b.login("1002", "8002");
  expectRefused(b.send(agentActor("1001"), SetState{"1002", true, {}}), Status::Forbidden,
                "not_your_agent");
  expectRefused(b.send(agentActor("1001"), Logout{"1002"}), Status::Forbidden, "not_your_agent");
  EXPECT_EQ(b.stateOf("1002"), AgentState::NotReady);
}

TEST_F(CommandsTest, SupervisorsActOnTheirTeamsOnly) {
  b.sim().registerPhone("8001");
  b.run(0ms);
  b.login("1001", "8001");
  expectRefused(b.send(supervisorOf("team_b"), SetState{"1001", true, {}}), Status::Forbidden,
                "not_your_agent");
  EXPECT_EQ(b.send(supervisorOf("team_a"), SetState{"1001", true, {}}).status, Status::Accepted);
  EXPECT_EQ(b.stateOf("1001"), AgentState::Ready);
  b.sim().incomingCall("13800000000", "95588");
  b.run(2s);
  expectRefused(b.send(supervisorOf("team_b"), HangupCall{b.callId(1)}), Status::Forbidden,
                "not_your_call");
  expectRefused(b.send(agentActor("1002"), HangupCall{b.callId(1)}), Status::Forbidden,
                "not_your_call");
  EXPECT_EQ(b.call(1)->phase, CallView::Phase::Connected);
}

TEST_F(CommandsTest, AdminActsOnEveryone) {
  b.sim().registerPhone("8201");
  b.run(0ms);
  EXPECT_EQ(b.send(adminActor(), Login{"2001", "8201"}).status, Status::Accepted);
  EXPECT_EQ(b.send(adminActor(), SetState{"2001", true, {}}).status, Status::Accepted);
  EXPECT_EQ(b.send(adminActor(), Logout{"2001"}).status, Status::Accepted);
}

TEST_F(CommandsTest, WaitingCallsBelongToNoAgent) {
  b.sim().incomingCall("13800000000", "95588");
  b.run(0ms);
  expectRefused(b.send(agentActor("1001"), HangupCall{b.callId(1)}), Status::Forbidden,
                "not_your_call");
  expectRefused(b.send(agentActor("1001"), AnswerCall{b.callId(1)}), Status::Forbidden,
                "not_your_call");
  expectRefused(b.send(adminActor(), HangupCall{b.callId(1)}), Status::Conflict, "not_connected");
}

// ---- request ids ----

TEST_F(CommandsTest, RepeatedRequestIdGetsTheFirstReplyAndDoesNothing) {
  b.sim().registerPhone("8001");
  b.run(0ms);
  const CommandReply first = b.send(agentActor("1001"), Login{"1001", "8001"}, "r-1");
  EXPECT_EQ(first.status, Status::Accepted);
  EXPECT_FALSE(first.replay);
  EXPECT_EQ(b.takeEvents().size(), 1u);
  const CommandReply again = b.send(agentActor("1001"), Login{"1001", "8001"}, "r-1");
  EXPECT_EQ(again.status, Status::Accepted);
  EXPECT_TRUE(again.replay);
  EXPECT_TRUE(b.takeEvents().empty());

  // A refusal is remembered as well, even when the state has changed since.
  const CommandReply refused = b.send(agentActor("1001"), SetState{"1001", false, ""}, "r-2");
  EXPECT_EQ(refused.status, Status::Invalid);
  const CommandReply refusedAgain = b.send(agentActor("1001"), SetState{"1001", false, ""}, "r-2");
  EXPECT_EQ(refusedAgain.status, Status::Invalid);
  EXPECT_TRUE(refusedAgain.replay);

  // A ready command repeated after the agent went not ready again does not make them ready.
  b.send(agentActor("1001"), SetState{"1001", true, {}}, "r-3");
  b.notReady("1001", "break");
  EXPECT_TRUE(b.send(agentActor("1001"), SetState{"1001", true, {}}, "r-3").replay);
  EXPECT_EQ(b.stateOf("1001"), AgentState::NotReady);

  // Another user's identical request id is their own.
  b.sim().registerPhone("8002");
  b.run(0ms);
  const CommandReply other = b.send(agentActor("1002"), Login{"1002", "8002"}, "r-1");
  EXPECT_FALSE(other.replay);
  EXPECT_EQ(b.stateOf("1002"), AgentState::NotReady);
}

TEST_F(CommandsTest, RequestIdMemoryIsBounded) {
  CoreOptions options;
  options.requestIdMemory = 2;
  CoreBench small(options);
  ASSERT_TRUE(small.core().setAgent(agentSetup("1001", "8001", {"retail"})).ok());
  small.send(agentActor("1001"), Logout{"1001"}, "a");
  small.send(agentActor("1001"), Logout{"1001"}, "b");
  small.send(agentActor("1001"), Logout{"1001"}, "c");
  EXPECT_FALSE(small.send(agentActor("1001"), Logout{"1001"}, "a").replay);  // forgotten
  EXPECT_TRUE(small.send(agentActor("1001"), Logout{"1001"}, "a").replay);
}

// ---- call data ----

TEST_F(CommandsTest, CallDataGoesWithTheCallToTheNextAgentsScreen) {
  b.loginReady("1002", "8002");
  b.notReady("1002", "break");
  b.loginReady("1001", "8001");
  const LegId caller = b.sim().incomingCall("13800000000", "95588");
  b.run(2s);
  const std::string id = b.callId(1);
  b.takeEvents();
  expectAccepted(b.send(agentActor("1001"),
                        SetCallData{id, {{"case_no", "A-2026-11"}, {"topic", "房贷 loan"}}},
                        "d-1"));
  EXPECT_EQ(b.takeEvents(), (Lines{"C1 call.data_set"}));
  const auto* set = b.lastEvent<events::CallDataSet>();
  EXPECT_EQ(set->requestId, "d-1");
  EXPECT_EQ(std::get<events::CallDataSet>(set->payload).keys, "case_no,topic");
  EXPECT_EQ(b.call(1)->data.at("topic"), "房贷 loan");
  // An empty value removes the key.
  expectAccepted(
      b.send(agentActor("1001"), SetCallData{id, {{"case_no", ""}, {"branch", "0571"}}}));
  EXPECT_EQ(b.call(1)->data,
            (std::map<std::string, std::string>{{"branch", "0571"}, {"topic", "房贷 loan"}}));

  // Bad data never lands, and the call's data stays as it was.
  expectRefused(b.send(agentActor("1001"), SetCallData{id, {}}), Status::Invalid, "no_data");
  expectRefused(b.send(agentActor("1001"), SetCallData{id, {{"Case", "x"}}}), Status::Invalid,
                "bad_key");
  expectRefused(b.send(agentActor("1001"), SetCallData{id, {{"note", "a\nb"}}}), Status::Invalid,
                "bad_value");
  expectRefused(b.send(agentActor("1001"), SetCallData{id, {{"note", std::string(257, 'x')}}}),
                Status::Invalid, "bad_value");
  expectRefused(b.send(agentActor("1001"), SetCallData{id, {{"note", "card 6222 0212 3456 7890"}}}),
                Status::Invalid, "card_number");
  std::map<std::string, std::string> many;
  for (int i = 0; i < 15; ++i) many["k" + std::to_string(i)] = "v";
  expectRefused(b.send(agentActor("1001"), SetCallData{id, many}), Status::Conflict,
                "too_much_data");
  expectRefused(b.send(agentActor("2001"), SetCallData{id, {{"x", "y"}}}), Status::Forbidden,
                "not_your_call");
  expectRefused(b.send(agentActor("1001"), SetCallData{"nope", {{"x", "y"}}}), Status::NotFound,
                "unknown_call");
  EXPECT_EQ(b.call(1)->data.size(), 2u);

  // A blind transfer to the queue: the next agent's screen pop carries the data.
  expectAccepted(
      b.send(agentActor("1001"), BlindTransfer{id, BlindTransfer::Target::Queue, "retail"}));
  b.ready("1002");
  b.run(1s);
  const auto offers = b.eventsOf<events::CallOffered>();
  ASSERT_EQ(offers.back()->agentNo, "1002");
  EXPECT_EQ(offers.back()->collected, R"({"branch":"0571","topic":"房贷 loan"})");
  b.sim().farHangup(caller);
  b.run(0ms);
}

}  // namespace
}  // namespace bankcc::callctl
