// SPDX-License-Identifier: Apache-2.0
// The CDR fold over hand-built event sequences in the order the core emits them
// (callctl/call_control.h, "The walk of a queue call").

#include "reports/cdr.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "events/json.h"
#include "reports/cdr_test_events.h"

namespace bankcc::reports {
namespace {

using events::AgentState;
using testing::answeredCallWithHold;
using testing::at;
using testing::Events;
using testing::everything;

struct Folded {
  std::vector<Cdr> cdrs;
  std::vector<AgentStateInterval> intervals;
};

Folded foldAll(CdrFold& fold, const std::vector<events::Event>& evs) {
  Folded f;
  for (const auto& e : evs) fold.apply(e);
  f.cdrs = fold.takeCdrs();
  f.intervals = fold.takeIntervals();
  return f;
}

CdrSegment seg(std::string kind, std::string queue, std::string agent, double from, double to,
               std::string detail = {}) {
  return CdrSegment{std::move(kind), std::move(queue), std::move(agent),
                    at(from),        at(to),           std::move(detail)};
}

TEST(CdrFoldTest, AnsweredCallWithHoldAndWrapUp) {
  Events ev;
  ev.started(0).state(0, "1001", AgentState::NotReady, AgentState::Ready);
  answeredCallWithHold(ev, "c1", "1001", 10);
  CdrFold fold;
  auto f = foldAll(fold, ev.all());
  ASSERT_EQ(f.cdrs.size(), 1u);
  const Cdr& c = f.cdrs[0];
  EXPECT_EQ(c.callId, "c1");
  EXPECT_EQ(c.parentCallId, "");
  EXPECT_EQ(c.ani, "13800138000");
  EXPECT_EQ(c.dnis, "95555");
  EXPECT_EQ(c.trunk, "trunk1");
  EXPECT_EQ(c.arrivedAt, at(10));
  EXPECT_EQ(c.answeredAt, at(15));
  EXPECT_EQ(c.endedAt, at(70));
  EXPECT_EQ(c.endCause, "normal");
  EXPECT_EQ(c.hungUpBy, "caller");
  EXPECT_EQ(c.firstQueue, "retail_zh");
  EXPECT_EQ(c.answeringQueue, "retail_zh");
  EXPECT_EQ(c.answeredBy, "1001");
  EXPECT_EQ(c.agents, std::vector<std::string>{"1001"});
  EXPECT_EQ(c.waitMs, 5000);
  EXPECT_EQ(c.holdMs, 10000);
  EXPECT_EQ(c.talkMs, 45000);  // 55 s connected less 10 s on hold
  EXPECT_EQ(c.wrapUpMs, 15000);
  EXPECT_EQ(c.transfers, 0);
  EXPECT_EQ(c.recordingId, "rec-c1");
  EXPECT_EQ(c.recordingIds, std::vector<std::string>{"rec-c1"});
  EXPECT_EQ(c.tier, "vip");
  EXPECT_EQ(c.outcome, "answered");
  EXPECT_EQ(c.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 10, 15, "answered"),
                            seg("agent", "retail_zh", "1001", 15, 70, "ended"),
                            seg("hold", "", "1001", 30, 40),
                            seg("wrapup", "", "1001", 70, 85),
                        }));
  EXPECT_EQ(c.firstSeq, 3u);
  EXPECT_EQ(c.lastSeq, ev.all().back().seq);

  ASSERT_EQ(f.intervals.size(), 4u);
  EXPECT_EQ(f.intervals[0].state, "ready");
  EXPECT_EQ(f.intervals[0].durationMs, 12000);
  EXPECT_EQ(f.intervals[1].state, "reserved");
  EXPECT_EQ(f.intervals[1].callId, "c1");
  EXPECT_EQ(f.intervals[1].durationMs, 3000);
  EXPECT_EQ(f.intervals[2].state, "on_call");
  EXPECT_EQ(f.intervals[2].durationMs, 55000);
  EXPECT_EQ(f.intervals[3].state, "wrap_up");
  EXPECT_EQ(f.intervals[3].callId, "c1");
  EXPECT_EQ(f.intervals[3].startedAt, at(70));
  EXPECT_EQ(f.intervals[3].endedAt, at(85));
  EXPECT_EQ(fold.openIntervals(), 1u);  // ready again, open
  EXPECT_EQ(fold.openCalls(), 0u);
}

TEST(CdrFoldTest, WrapUpEndingAfterCallEndedKeepsTheCdrOpenUntilThen) {
  Events ev;
  ev.started(0);
  answeredCallWithHold(ev, "c1", "1001", 10);
  CdrFold fold;
  const auto& all = ev.all();
  for (const auto& e : all) {
    fold.apply(e);
    if (std::holds_alternative<events::CallEnded>(e.payload)) {
      EXPECT_TRUE(fold.takeCdrs().empty()) << "final before the wrap-up ended";
      EXPECT_EQ(fold.openCalls(), 1u);
    }
  }
  auto cdrs = fold.takeCdrs();
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_EQ(cdrs[0].wrapUpMs, 15000);
}

TEST(CdrFoldTest, WithoutWrapUpTheCdrIsFinalWhenTheAgentIsReady) {
  Events ev;
  ev.started(0)
      .add(1, "c1", {}, events::CallArrived{"138", "95555", "t"})
      .add(1, "c1", {}, events::QueueJoined{"q", 0, 1})
      .state(2, "1001", AgentState::Ready, AgentState::Reserved, "c1")
      .add(3, "c1", "1001", events::CallAnswered{"1001", "q", 2000})
      .add(3, "c1", {}, events::QueueLeft{"q", "answered", 2000})
      .state(3, "1001", AgentState::Reserved, AgentState::OnCall, "c1")
      .add(9, "c1", "1001", events::CallEnded{"normal", "agent", 8000})
      .state(9, "1001", AgentState::OnCall, AgentState::Ready, "c1");
  CdrFold fold;
  auto f = foldAll(fold, ev.all());
  ASSERT_EQ(f.cdrs.size(), 1u);
  EXPECT_EQ(f.cdrs[0].wrapUpMs, 0);
  EXPECT_EQ(f.cdrs[0].talkMs, 6000);
  EXPECT_EQ(f.cdrs[0].hungUpBy, "agent");
}

TEST(CdrFoldTest, AbandonedInQueue) {
  Events ev;
  ev.started(0)
      .add(1, "c2", {}, events::CallArrived{"13900000000", "95555", "t"})
      .add(1, "c2", {}, events::QueueJoined{"retail_zh", 0, 3})
      .add(13, "c2", {}, events::QueueLeft{"retail_zh", "abandoned", 12000})
      .add(13, "c2", {}, events::CallEnded{"normal", "caller", 12000});
  CdrFold fold;
  auto f = foldAll(fold, ev.all());
  ASSERT_EQ(f.cdrs.size(), 1u);
  const Cdr& c = f.cdrs[0];
  EXPECT_EQ(c.outcome, "abandoned");
  EXPECT_FALSE(c.answeredAt);
  EXPECT_EQ(c.waitMs, 12000);
  EXPECT_EQ(c.talkMs, 0);
  EXPECT_TRUE(c.agents.empty());
  EXPECT_EQ(c.segments,
            (std::vector<CdrSegment>{seg("queue", "retail_zh", "", 1, 13, "abandoned")}));
}

TEST(CdrFoldTest, RefusedAtTheDoorAndUnknownNumber) {
  Events ev;
  ev.started(0)
      .add(1, "full", {}, events::CallArrived{"1", "95555", "t"})
      .add(1, "full", {}, events::QueueLeft{"retail_zh", "full", 0})
      .add(4, "full", {}, events::CallEnded{"queue_full", "system", 3000})
      .add(5, "nodnis", {}, events::CallArrived{"2", "12345", "t"})
      .add(5, "nodnis", {}, events::CallEnded{"unknown_dnis", "system", 0})
      .add(6, "fb", {}, events::CallArrived{"3", "95555", "t"})
      .add(6, "fb", {}, events::QueueJoined{"retail_zh", 0, 1})
      .add(66, "fb", {}, events::QueueLeft{"retail_zh", "timed_out", 60000})
      .add(99, "fb", {}, events::CallEnded{"normal", "system", 93000});
  CdrFold fold;
  auto f = foldAll(fold, ev.all());
  ASSERT_EQ(f.cdrs.size(), 3u);
  EXPECT_EQ(f.cdrs[0].outcome, "rejected");
  EXPECT_EQ(f.cdrs[0].firstQueue, "retail_zh");
  EXPECT_EQ(f.cdrs[0].segments,
            (std::vector<CdrSegment>{seg("queue", "retail_zh", "", 1, 1, "full")}));
  EXPECT_EQ(f.cdrs[1].outcome, "unknown_dnis");
  EXPECT_TRUE(f.cdrs[1].segments.empty());
  EXPECT_EQ(f.cdrs[2].outcome, "fallback");
  EXPECT_EQ(f.cdrs[2].waitMs, 60000);
}

TEST(CdrFoldTest, AgentLostThenRequeuedAndAnsweredByAnother) {
  Events ev;
  ev.started(0)
      .add(0, "c3", {}, events::CallArrived{"138", "95555", "t"})
      .add(0, "c3", {}, events::QueueJoined{"retail_zh", 0, 1})
      .state(1, "1001", AgentState::Ready, AgentState::Reserved, "c3")
      .add(4, "c3", "1001", events::CallAnswered{"1001", "retail_zh", 4000})
      .add(4, "c3", {}, events::QueueLeft{"retail_zh", "answered", 4000})
      .state(4, "1001", AgentState::Reserved, AgentState::OnCall, "c3")
      .add(4, "c3", {}, events::RecordingStarted{"rec-a"})
      .add(30, "c3", "1001", events::CallAgentLost{"1001", "media_timeout", 26000})
      .add(30, "c3", {}, events::RecordingStopped{"rec-a", 26000, "f", true})
      .state(30, "1001", AgentState::OnCall, AgentState::Ready, "c3")
      .add(31, "c3", {}, events::QueueJoined{"retail_zh", 100, 1})
      .state(40, "1002", AgentState::Ready, AgentState::Reserved, "c3")
      .add(42, "c3", "1002", events::CallAnswered{"1002", "retail_zh", 42000})
      .add(42, "c3", {}, events::QueueLeft{"retail_zh", "answered", 11000})
      .state(42, "1002", AgentState::Reserved, AgentState::OnCall, "c3")
      .add(42, "c3", {}, events::RecordingStarted{"rec-b"})
      .add(100, "c3", "1002", events::CallEnded{"normal", "agent", 100000})
      .state(100, "1002", AgentState::OnCall, AgentState::WrapUp, "c3")
      .state(110, "1002", AgentState::WrapUp, AgentState::Ready, "c3");
  CdrFold fold;
  auto f = foldAll(fold, ev.all());
  ASSERT_EQ(f.cdrs.size(), 1u);
  const Cdr& c = f.cdrs[0];
  EXPECT_EQ(c.answeredAt, at(4));
  EXPECT_EQ(c.answeredBy, "1001");
  EXPECT_EQ(c.agents, (std::vector<std::string>{"1001", "1002"}));
  EXPECT_EQ(c.waitMs, 4000 + 11000);
  EXPECT_EQ(c.talkMs, 26000 + 58000);
  EXPECT_EQ(c.wrapUpMs, 10000);
  EXPECT_EQ(c.recordingId, "rec-a");
  EXPECT_EQ(c.outcome, "answered");
  EXPECT_EQ(c.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 0, 4, "answered"),
                            seg("agent", "retail_zh", "1001", 4, 30, "agent_lost: media_timeout"),
                            seg("queue", "retail_zh", "", 31, 42, "answered"),
                            seg("agent", "retail_zh", "1002", 42, 100, "ended"),
                            seg("wrapup", "", "1002", 100, 110),
                        }));
}

TEST(CdrFoldTest, BlindTransferToAQueue) {
  Events ev;
  ev.started(0)
      .add(0, "c4", {}, events::CallArrived{"138", "95555", "t"})
      .add(0, "c4", {}, events::QueueJoined{"retail_zh", 0, 1})
      .state(1, "1001", AgentState::Ready, AgentState::Reserved, "c4")
      .add(3, "c4", "1001", events::CallAnswered{"1001", "retail_zh", 3000})
      .add(3, "c4", {}, events::QueueLeft{"retail_zh", "answered", 3000})
      .state(3, "1001", AgentState::Reserved, AgentState::OnCall, "c4")
      .add(20, "c4", "1001",
           events::CallTransferred{"1001", "blind", "queue", "credit_card", 17000})
      .state(20, "1001", AgentState::OnCall, AgentState::WrapUp, "c4")
      .add(20, "c4", {}, events::QueueJoined{"credit_card", 0, 1})
      .state(25, "1001", AgentState::WrapUp, AgentState::Ready, "c4")
      .state(26, "2001", AgentState::Ready, AgentState::Reserved, "c4")
      .add(28, "c4", "2001", events::CallAnswered{"2001", "credit_card", 28000})
      .add(28, "c4", {}, events::QueueLeft{"credit_card", "answered", 8000})
      .state(28, "2001", AgentState::Reserved, AgentState::OnCall, "c4")
      .add(88, "c4", "2001", events::CallEnded{"normal", "caller", 88000})
      .state(88, "2001", AgentState::OnCall, AgentState::WrapUp, "c4");
  CdrFold fold;
  auto f = foldAll(fold, ev.all());
  EXPECT_TRUE(f.cdrs.empty()) << "2001 is still in wrap-up";
  ev.state(100, "2001", AgentState::WrapUp, AgentState::NotReady, "c4", "break");
  fold.apply(ev.all().back());
  auto cdrs = fold.takeCdrs();
  ASSERT_EQ(cdrs.size(), 1u);
  const Cdr& c = cdrs[0];
  EXPECT_EQ(c.transfers, 1);
  EXPECT_EQ(c.firstQueue, "retail_zh");
  EXPECT_EQ(c.answeringQueue, "retail_zh");
  EXPECT_EQ(c.agents, (std::vector<std::string>{"1001", "2001"}));
  EXPECT_EQ(c.waitMs, 3000 + 8000);
  EXPECT_EQ(c.talkMs, 17000 + 60000);
  EXPECT_EQ(c.wrapUpMs, 5000 + 12000);
  EXPECT_EQ(c.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 0, 3, "answered"),
                            seg("agent", "retail_zh", "1001", 3, 20, "transferred"),
                            seg("transfer", "", "1001", 20, 20, "blind to queue credit_card"),
                            seg("wrapup", "", "1001", 20, 25),
                            seg("queue", "credit_card", "", 20, 28, "answered"),
                            seg("agent", "credit_card", "2001", 28, 88, "ended"),
                            seg("wrapup", "", "2001", 88, 100),
                        }));
  auto intervals = fold.takeIntervals();
  ASSERT_FALSE(intervals.empty());
  EXPECT_EQ(intervals.back().state, "wrap_up");
  EXPECT_EQ(fold.openIntervals(), 2u);  // 1001 ready, 2001 not_ready{break}
}

TEST(CdrFoldTest, AnInterceptShowsWhoGaveTheCallToWhom) {
  // 1001's phone rings; a supervisor gives the call to 1002 (decision 0022), who answers.
  Events ev;
  ev.started(0)
      .add(0, "c5", {}, events::CallArrived{"138", "95555", "t"})
      .add(0, "c5", {}, events::QueueJoined{"retail_zh", 0, 1})
      .state(1, "1001", AgentState::Ready, AgentState::Reserved, "c5")
      .add(4, "c5", "1002", events::CallIntercepted{"sup1", "1001", "1002"})
      .state(4, "1002", AgentState::NotReady, AgentState::Reserved, "c5")
      .state(4, "1001", AgentState::Reserved, AgentState::Ready, "c5")
      .add(6, "c5", "1002", events::CallAnswered{"1002", "retail_zh", 6000})
      .add(6, "c5", {}, events::QueueLeft{"retail_zh", "answered", 6000})
      .state(6, "1002", AgentState::Reserved, AgentState::OnCall, "c5")
      .add(40, "c5", "1002", events::CallEnded{"normal", "caller", 40000})
      .state(40, "1002", AgentState::OnCall, AgentState::NotReady, "c5", "break");
  CdrFold fold;
  auto f = foldAll(fold, ev.all());
  ASSERT_EQ(f.cdrs.size(), 1u);
  const Cdr& c = f.cdrs[0];
  EXPECT_EQ(c.answeredBy, "1002");
  EXPECT_EQ(c.transfers, 0);
  EXPECT_EQ(c.segments, (std::vector<CdrSegment>{
                            seg("queue", "retail_zh", "", 0, 6, "answered"),
                            seg("intercept", "", "1002", 4, 4, "by sup1 from agent 1001"),
                            seg("agent", "retail_zh", "1002", 6, 40, "ended"),
                        }));
}

TEST(CdrFoldTest, EpochChangeClosesOpenCallsAndIntervalsOfTheCrashedRun) {
  Events ev;
  ev.started(0)
      .state(0, "1001", AgentState::NotReady, AgentState::Ready)
      .add(1, "talking", {}, events::CallArrived{"138", "95555", "t"})
      .add(1, "talking", {}, events::QueueJoined{"q", 0, 1})
      .state(2, "1001", AgentState::Ready, AgentState::Reserved, "talking")
      .add(3, "talking", "1001", events::CallAnswered{"1001", "q", 2000})
      .add(3, "talking", {}, events::QueueLeft{"q", "answered", 2000})
      .state(3, "1001", AgentState::Reserved, AgentState::OnCall, "talking")
      .add(5, "talking", "1001", events::CallHeld{"1001"})
      .add(6, "waiting", {}, events::CallArrived{"139", "95555", "t"})
      .add(6, "waiting", {}, events::QueueJoined{"q", 0, 1})
      .started(50)  // a crash: no system.stopping, no call.ended
      .add(51, "new", {}, events::CallArrived{"137", "95555", "t"});
  CdrFold fold;
  auto f = foldAll(fold, ev.all());
  ASSERT_EQ(f.cdrs.size(), 2u);
  for (const auto& c : f.cdrs) {
    EXPECT_EQ(c.endCause, "node_restart") << c.callId;
    EXPECT_EQ(c.hungUpBy, "system");
    EXPECT_EQ(c.endedAt, at(50));
    EXPECT_EQ(c.epoch, 1u);
    for (const auto& s : c.segments) EXPECT_TRUE(s.endedAt) << c.callId << " " << s.kind;
  }
  const Cdr& talking = f.cdrs[0].callId == "talking" ? f.cdrs[0] : f.cdrs[1];
  const Cdr& waiting = f.cdrs[0].callId == "waiting" ? f.cdrs[0] : f.cdrs[1];
  EXPECT_EQ(talking.outcome, "answered");
  EXPECT_EQ(talking.holdMs, 45000);
  EXPECT_EQ(talking.talkMs, 2000);
  EXPECT_EQ(talking.segments[1], seg("agent", "q", "1001", 3, 50, "node_restart"));
  EXPECT_EQ(waiting.outcome, "unanswered");
  EXPECT_EQ(waiting.waitMs, 44000);
  ASSERT_FALSE(f.intervals.empty());
  EXPECT_EQ(f.intervals.back().state, "on_call");
  EXPECT_EQ(f.intervals.back().endCause, "node_restart");
  EXPECT_EQ(f.intervals.back().endedAt, at(50));
  EXPECT_EQ(fold.openCalls(), 1u);  // "new", of the new epoch
  EXPECT_EQ(fold.openIntervals(), 0u);
}

TEST(CdrFoldTest, AnOrderlyStopClosesAtTheStoppingTime) {
  Events ev;
  ev.started(0)
      .state(0, "1001", AgentState::NotReady, AgentState::Ready)
      .add(10, {}, {}, events::SystemStopping{"signal SIGTERM"})
      .started(3600);
  CdrFold fold;
  auto f = foldAll(fold, ev.all());
  ASSERT_EQ(f.intervals.size(), 1u);
  EXPECT_EQ(f.intervals[0].endedAt, at(10));
  EXPECT_EQ(f.intervals[0].durationMs, 10000);
  EXPECT_EQ(f.intervals[0].endCause, "node_restart");
}

TEST(CdrFoldTest, AWrapUpThatNeverEndsIsCappedAfterTwoHours) {
  Events ev;
  ev.started(0)
      .add(0, "c5", {}, events::CallArrived{"138", "95555", "t"})
      .add(0, "c5", "1001", events::CallAnswered{"1001", "q", 0})
      .add(10, "c5", "1001", events::CallEnded{"normal", "caller", 10000})
      .state(10, "1001", AgentState::OnCall, AgentState::WrapUp, "c5")
      .add(10 + 7199, "x", {}, events::CallArrived{"1", "2", "t"});
  CdrFold fold;
  auto f = foldAll(fold, ev.all());
  EXPECT_TRUE(f.cdrs.empty());
  ev.add(10 + 7200, "x", {}, events::QueueJoined{"q", 0, 1});
  fold.apply(ev.all().back());
  auto cdrs = fold.takeCdrs();
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_EQ(cdrs[0].callId, "c5");
  EXPECT_EQ(cdrs[0].wrapUpMs, 0);
  ASSERT_EQ(cdrs[0].segments.size(), 2u);
  EXPECT_FALSE(cdrs[0].segments[1].endedAt);  // the wrap-up, still open
}

TEST(CdrFoldTest, IgnoresEventsOfUnknownCallsAndReplayedSeqs) {
  Events ev;
  ev.started(0)
      .add(1, "ghost", {}, events::CallEnded{"normal", "caller", 1})
      .add(1, "ghost", {}, events::RecordingStopped{"r", 1, "f", true});
  CdrFold fold;
  auto f = foldAll(fold, ev.all());
  EXPECT_TRUE(f.cdrs.empty());
  EXPECT_EQ(fold.openCalls(), 0u);
  EXPECT_EQ(fold.lastSeq(), 3u);
  fold.apply(ev.all()[0]);  // replayed: ignored
  EXPECT_EQ(fold.lastSeq(), 3u);
}

TEST(CdrFoldTest, StoredEventsParseAndBadPayloadsAreSkipped) {
  CdrFold fold;
  store::StoredEvent arrived{
      .epoch = 1,
      .seq = 1,
      .ts = at(1),
      .type = "call.arrived",
      .callId = "s1",
      .payload = events::payloadToJson(events::Payload{events::CallArrived{"138", "95555", "t"}})};
  store::StoredEvent bad{.epoch = 1,
                         .seq = 2,
                         .ts = at(2),
                         .type = "call.ended",
                         .callId = "s1",
                         .payload = "{not json"};
  store::StoredEvent future{.epoch = 1,
                            .seq = 3,
                            .ts = at(2),
                            .type = "ivr.node_entered",
                            .callId = "s1",
                            .payload = "{}"};
  store::StoredEvent ended{
      .epoch = 1,
      .seq = 4,
      .ts = at(3),
      .type = "call.ended",
      .callId = "s1",
      .payload = events::payloadToJson(events::Payload{events::CallEnded{"normal", "caller", 2}})};
  for (const auto& e : {arrived, bad, future, ended}) fold.apply(e);
  EXPECT_EQ(fold.skipped(), 2u);
  EXPECT_EQ(fold.lastSeq(), 4u);
  auto cdrs = fold.takeCdrs();
  ASSERT_EQ(cdrs.size(), 1u);
  EXPECT_EQ(cdrs[0].ani, "138");
  EXPECT_EQ(cdrs[0].outcome, "abandoned");
}

TEST(CdrFoldTest, SavedStateResumesExactlyAtEverySplitPoint) {
  const auto all = everything();
  CdrFold whole;
  auto expected = foldAll(whole, all);
  ASSERT_EQ(expected.cdrs.size(), 11u);
  for (std::size_t split = 0; split <= all.size(); ++split) {
    CdrFold first;
    Folded got;
    for (std::size_t i = 0; i < split; ++i) first.apply(all[i]);
    got.cdrs = first.takeCdrs();
    got.intervals = first.takeIntervals();
    auto resumed = CdrFold::loadState(first.saveState());
    ASSERT_TRUE(resumed.ok()) << resumed.error().describe();
    EXPECT_EQ(resumed->saveState(), first.saveState()) << "split " << split;
    // A replay of events already folded (the projector re-reads after a failed commit).
    for (std::size_t i = 0; i < all.size(); ++i) resumed->apply(all[i]);
    for (auto& c : resumed->takeCdrs()) got.cdrs.push_back(std::move(c));
    for (auto& i : resumed->takeIntervals()) got.intervals.push_back(std::move(i));
    EXPECT_EQ(got.cdrs, expected.cdrs) << "split " << split;
    EXPECT_EQ(got.intervals, expected.intervals) << "split " << split;
    EXPECT_EQ(resumed->saveState(), whole.saveState()) << "split " << split;
  }
}

TEST(CdrFoldTest, LoadStateRefusesWhatItDidNotWrite) {
  for (const char* bad : {"", "[]", "{}", R"({"v":99})", "{\"v\":1,\"epoch\":\"x\"}"}) {
    auto r = CdrFold::loadState(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, base::Errc::Corrupt) << bad;
  }
}

}  // namespace
}  // namespace bankcc::reports
