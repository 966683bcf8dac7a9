// SPDX-License-Identifier: Apache-2.0
// KpiFold: hand-built event sequences whose answers are worked out in the comments, and a
// randomised day of traffic whose expected counters the generator keeps by itself.

#include "reports/kpi.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace bankcc::reports {
namespace {

using events::AgentState;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

/// 2026-11-26 10:00:00 in Asia/Shanghai (+08:00, no DST) = 02:00:00Z.
const SysTime kT0 = SysTime{seconds{1'795'658'400}};

base::TimeZone shanghai() {
  auto z = base::TimeZone::load("Asia/Shanghai");
  EXPECT_TRUE(z.ok());
  return z.ok() ? *z : base::TimeZone::utc();
}

KpiOptions shanghaiOptions() {
  KpiOptions o;
  o.timeZone = shanghai();
  return o;
}

/// Builds events at offsets from a start time and folds them.
class Script {
 public:
  explicit Script(KpiFold& fold, SysTime start = kT0) : fold_(fold), start_(start) {}

  SysTime at(Duration d) const { return start_ + d; }

  void emit(Duration d, events::Payload p, std::string call = {}, std::string agent = {},
            std::string queue = {}) {
    events::Event e;
    e.seq = ++seq_;
    e.ts = at(d);
    e.callId = std::move(call);
    e.agentId = std::move(agent);
    e.queueId = std::move(queue);
    e.payload = std::move(p);
    fold_.apply(e);
  }
  void joined(Duration d, const std::string& call, const std::string& queue) {
    emit(d, events::QueueJoined{.queue = queue, .priority = 0, .position = 1}, call, {}, queue);
  }
  void left(Duration d, const std::string& call, const std::string& queue,
            const std::string& reason, Duration waited) {
    emit(d,
         events::QueueLeft{.queue = queue,
                           .reason = reason,
                           .waitedMs = std::chrono::duration_cast<milliseconds>(waited).count()},
         call, {}, queue);
  }
  /// call.answered then queue.left{answered}, as the core emits them.
  void answered(Duration d, const std::string& call, const std::string& agent,
                const std::string& queue, Duration waited) {
    emit(d, events::CallAnswered{.agentNo = agent, .queue = queue, .waitMs = 0}, call, agent,
         queue);
    left(d, call, queue, "answered", waited);
  }
  void ended(Duration d, const std::string& call) {
    emit(d, events::CallEnded{.cause = "normal", .hungUpBy = "caller", .durationMs = 0}, call);
  }
  void state(Duration d, const std::string& agent, AgentState from, AgentState to,
             std::string reason = {}) {
    emit(d, events::AgentStateChanged{.agentNo = agent, .from = from, .to = to, .reason = reason},
         {}, agent);
  }
  void held(Duration d, const std::string& call, const std::string& agent) {
    emit(d, events::CallHeld{.agentNo = agent}, call, agent);
  }
  void retrieved(Duration d, const std::string& call, const std::string& agent) {
    emit(d, events::CallRetrieved{.agentNo = agent, .heldMs = 0}, call, agent);
  }

 private:
  KpiFold& fold_;
  SysTime start_;
  std::uint64_t seq_ = 0;
};

/// One call that joins `queue` at `d` and leaves with `reason` after `wait`.
void waitThen(Script& s, Duration d, const std::string& call, const std::string& queue,
              const std::string& reason, Duration wait) {
  s.joined(d, call, queue);
  if (reason == "answered") {
    s.answered(d + wait, call, "1001", queue, wait);
  } else {
    s.left(d + wait, call, queue, reason, wait);
  }
  s.ended(d + wait + seconds(30), call);
}

TEST(KpiFoldTest, ServiceLevelVariantsAndShortAbandons) {
  KpiFold fold(shanghaiOptions());  // T = 20 s, short abandon 5 s
  Script s(fold);
  waitThen(s, seconds(0), "c1", "q", "answered", seconds(10));   // answered within T
  waitThen(s, seconds(1), "c2", "q", "answered", seconds(30));   // answered after T
  waitThen(s, seconds(2), "c3", "q", "abandoned", seconds(15));  // abandoned within T
  waitThen(s, seconds(3), "c4", "q", "abandoned", seconds(40));  // abandoned after T
  waitThen(s, seconds(4), "c5", "q", "abandoned", seconds(3));   // short abandon
  const auto r = fold.queueReport("q", s.at(minutes(5)));
  const auto& k = r.today;
  EXPECT_EQ(k.offered, 4);  // 5 joined - 1 short
  EXPECT_EQ(k.counters.answered, 2);
  EXPECT_EQ(k.counters.answeredWithinT, 1);
  EXPECT_EQ(k.abandoned, 2);
  EXPECT_EQ(k.counters.shortAbandoned, 1);
  EXPECT_EQ(k.abandonedWithinT, 1);
  EXPECT_EQ(k.abandonedAfterT, 1);
  EXPECT_DOUBLE_EQ(*k.serviceLevelIgnoreAbandons, 1.0 / 2);           // 1 / 2
  EXPECT_DOUBLE_EQ(*k.serviceLevelAbandonsAgainst, 1.0 / 3);          // 1 / (2 + 1)
  EXPECT_DOUBLE_EQ(*k.serviceLevelAbandonsInFavour, 2.0 / 4);         // (1 + 1) / (2 + 2)
  EXPECT_DOUBLE_EQ(*k.serviceLevel, *k.serviceLevelAbandonsAgainst);  // the default variant
  EXPECT_DOUBLE_EQ(*k.asaMs, 20'000);                                 // (10 + 30) / 2 s
  EXPECT_DOUBLE_EQ(*k.averageWaitMs, 23'750);                         // (10+30+15+40) / 4 s
  EXPECT_EQ(k.counters.maxWaitMs, 40'000);
  EXPECT_DOUBLE_EQ(*k.abandonmentRate, 0.5);  // 2 / 4

  // Short abandons counted: offered 5, abandoned 3 of which 2 within T (15 s and 3 s).
  auto counted = computeQueueKpis(k.counters, r.settings, false);
  EXPECT_EQ(counted.offered, 5);
  EXPECT_EQ(counted.abandoned, 3);
  EXPECT_DOUBLE_EQ(*counted.serviceLevelAbandonsAgainst, 1.0 / 3);   // 1 / (2 + 1)
  EXPECT_DOUBLE_EQ(*counted.serviceLevelAbandonsInFavour, 3.0 / 5);  // (1 + 2) / (2 + 3)
  EXPECT_DOUBLE_EQ(*counted.abandonmentRate, 3.0 / 5);
  EXPECT_DOUBLE_EQ(*counted.averageWaitMs, 98'000.0 / 5);  // (10+30+15+40+3) / 5 s

  // The queue's own variant picks the headline figure.
  QueueKpiSettings favour = r.settings;
  favour.variant = ServiceLevelVariant::AbandonsInFavour;
  EXPECT_DOUBLE_EQ(*computeQueueKpis(k.counters, favour, true).serviceLevel, 0.5);
}

TEST(KpiFoldTest, EdgeOfThresholdsCountsWithin) {
  KpiFold fold(shanghaiOptions());
  Script s(fold);
  waitThen(s, seconds(0), "c1", "q", "answered", seconds(20));          // exactly T: within
  waitThen(s, seconds(1), "c2", "q", "abandoned", seconds(5));          // exactly 5 s: not short
  waitThen(s, seconds(2), "c3", "q", "abandoned", milliseconds(4999));  // short
  const auto k = fold.queueReport("q", s.at(minutes(2))).today;
  EXPECT_EQ(k.counters.answeredWithinT, 1);
  EXPECT_EQ(k.counters.shortAbandoned, 1);
  EXPECT_EQ(k.abandoned, 1);
  EXPECT_EQ(k.abandonedWithinT, 1);
}

TEST(KpiFoldTest, NoTrafficGivesZerosAndNulls) {
  KpiFold fold(shanghaiOptions());
  const auto r = fold.queueReport("q", kT0 + minutes(1));  // 10:01 local
  EXPECT_EQ(r.today.offered, 0);
  EXPECT_FALSE(r.today.serviceLevel);
  EXPECT_FALSE(r.today.asaMs);
  EXPECT_FALSE(r.today.abandonmentRate);
  EXPECT_FALSE(r.today.ahtMs);
  EXPECT_FALSE(r.live.longestWaitMs);
  // 00:00 .. 10:00 is 40 intervals, and 10:00-10:15 holds `now`: 41.
  ASSERT_EQ(r.intervals.size(), 41u);
  EXPECT_EQ(r.intervals.front().start, r.dayStart);
  EXPECT_EQ(r.dayStart, kT0 - hours(10));
  EXPECT_EQ(r.intervals.back().start, kT0);
  EXPECT_EQ(r.intervals.back().end, kT0 + minutes(15));
  EXPECT_FALSE(fold.knowsQueue("q"));
}

TEST(KpiFoldTest, CallInTwoQueuesIsOfferedInBothAnsweredInOne) {
  KpiFold fold(shanghaiOptions());
  Script s(fold);
  s.joined(seconds(0), "c1", "a");
  s.left(seconds(10), "c1", "a", "moved", seconds(10));
  s.joined(seconds(10), "c1", "b");
  s.answered(seconds(15), "c1", "1001", "b", seconds(5));
  s.ended(seconds(75), "c1");
  const auto a = fold.queueReport("a", s.at(minutes(2))).today;
  const auto b = fold.queueReport("b", s.at(minutes(2))).today;
  EXPECT_EQ(a.offered, 1);
  EXPECT_EQ(a.counters.answered, 0);
  EXPECT_EQ(a.counters.overflowed, 1);
  EXPECT_EQ(a.abandoned, 0);
  EXPECT_FALSE(a.serviceLevel);  // nothing answered or abandoned in a
  EXPECT_EQ(b.offered, 1);
  EXPECT_EQ(b.counters.answered, 1);
  EXPECT_DOUBLE_EQ(*b.asaMs, 5'000);  // the wait in b, not since arrival
  EXPECT_EQ(b.counters.handled, 1);
  EXPECT_EQ(b.counters.talkMs, 60'000);
}

TEST(KpiFoldTest, ReQueueAfterAgentLostCountsOnce) {
  KpiFold fold(shanghaiOptions());
  Script s(fold);
  s.joined(seconds(0), "c1", "q");
  s.answered(seconds(4), "c1", "1001", "q", seconds(4));
  s.emit(seconds(64), events::CallAgentLost{.agentNo = "1001", .cause = "media_timeout"}, "c1",
         "1001");
  s.joined(seconds(64), "c1", "q");
  s.answered(seconds(70), "c1", "1002", "q", seconds(6));
  s.ended(seconds(100), "c1");
  const auto k = fold.queueReport("q", s.at(minutes(5))).today;
  EXPECT_EQ(k.offered, 1);
  EXPECT_EQ(k.counters.answered, 1);
  EXPECT_DOUBLE_EQ(*k.asaMs, 4'000);  // the first answer's wait
  EXPECT_EQ(k.counters.handled, 1);
  EXPECT_EQ(k.counters.talkMs, 90'000);  // 60 s with 1001 + 30 s with 1002
  EXPECT_EQ(fold.agentReport("1001", s.at(minutes(5))).today.counters.handled, 1);
  EXPECT_EQ(fold.agentReport("1002", s.at(minutes(5))).today.counters.handled, 1);
}

TEST(KpiFoldTest, HoldAndWrapUpCountInAhtAndOccupancy) {
  KpiFold fold(shanghaiOptions());
  Script s(fold);
  s.state(seconds(0), "1001", AgentState::NotReady, AgentState::Ready);
  s.joined(seconds(10), "c1", "q");
  s.state(seconds(12), "1001", AgentState::Ready, AgentState::Reserved);
  s.answered(seconds(15), "c1", "1001", "q", seconds(5));
  s.state(seconds(15), "1001", AgentState::Reserved, AgentState::OnCall);
  s.held(seconds(35), "c1", "1001");
  s.retrieved(seconds(55), "c1", "1001");
  s.ended(seconds(75), "c1");
  s.state(seconds(75), "1001", AgentState::OnCall, AgentState::WrapUp);
  s.state(seconds(90), "1001", AgentState::WrapUp, AgentState::Ready);
  const SysTime now = s.at(seconds(100));

  // Queue: connected 60 s of which 20 s on hold; 15 s wrap-up; one call.
  const auto q = fold.queueReport("q", now).today;
  EXPECT_EQ(q.counters.talkMs, 40'000);
  EXPECT_EQ(q.counters.holdMs, 20'000);
  EXPECT_EQ(q.counters.wrapUpMs, 15'000);
  EXPECT_EQ(q.counters.handled, 1);
  EXPECT_DOUBLE_EQ(*q.ahtMs, 75'000);

  // Agent: ready 0-12 s and 90-100 s (still running at `now`), reserved 3 s.
  const auto a = fold.agentReport("1001", now);
  EXPECT_EQ(a.today.counters.readyMs, 22'000);
  EXPECT_EQ(a.today.counters.reservedMs, 3'000);
  EXPECT_EQ(a.today.counters.onCallMs, 60'000);
  EXPECT_EQ(a.today.counters.holdMs, 20'000);
  EXPECT_EQ(a.today.counters.talkMs(), 40'000);
  EXPECT_EQ(a.today.counters.wrapUpMs, 15'000);
  EXPECT_EQ(a.today.counters.handled, 1);
  EXPECT_DOUBLE_EQ(*a.today.ahtMs, 75'000);
  EXPECT_DOUBLE_EQ(*a.today.occupancy, 75.0 / (75 + 22));
  EXPECT_EQ(a.live.state, AgentState::Ready);
  EXPECT_EQ(*a.live.since, s.at(seconds(90)));
}

TEST(KpiFoldTest, TransferCountsOutAndEndsTheAgentsPart) {
  KpiFold fold(shanghaiOptions());
  Script s(fold);
  s.joined(seconds(0), "c1", "a");
  s.answered(seconds(5), "c1", "1001", "a", seconds(5));
  s.state(seconds(5), "1001", AgentState::Reserved, AgentState::OnCall);
  s.emit(seconds(25),
         events::CallTransferred{
             .agentNo = "1001", .mode = "blind", .targetType = "queue", .target = "b"},
         "c1", "1001");
  s.state(seconds(25), "1001", AgentState::OnCall, AgentState::WrapUp);
  s.joined(seconds(25), "c1", "b");
  s.answered(seconds(33), "c1", "1002", "b", seconds(8));
  s.state(seconds(35), "1001", AgentState::WrapUp, AgentState::Ready);
  s.ended(seconds(93), "c1");
  const SysTime now = s.at(minutes(2));
  const auto a = fold.queueReport("a", now).today;
  EXPECT_EQ(a.counters.transfersOut, 1);
  EXPECT_EQ(a.counters.handled, 1);
  EXPECT_EQ(a.counters.talkMs, 20'000);
  EXPECT_EQ(a.counters.wrapUpMs, 10'000);
  const auto b = fold.queueReport("b", now).today;
  EXPECT_EQ(b.offered, 1);
  EXPECT_EQ(b.counters.answered, 1);
  EXPECT_EQ(b.counters.talkMs, 60'000);
  EXPECT_EQ(b.counters.wrapUpMs, 0);  // 1002's wrap-up has not begun
  EXPECT_EQ(fold.agentReport("1001", now).today.counters.transfers, 1);
}

TEST(KpiFoldTest, RefusedCallsAreNotOffered) {
  KpiFold fold(shanghaiOptions());
  Script s(fold);
  s.left(seconds(0), "c1", "q", "full", seconds(0));
  s.ended(seconds(3), "c1");
  const auto k = fold.queueReport("q", s.at(minutes(1))).today;
  EXPECT_EQ(k.offered, 0);
  EXPECT_EQ(k.counters.refused, 1);
  EXPECT_TRUE(fold.knowsQueue("q"));
}

TEST(KpiFoldTest, LiveWaitingAndConnected) {
  KpiFold fold(shanghaiOptions());
  Script s(fold);
  s.joined(seconds(0), "c1", "q");
  s.joined(seconds(10), "c2", "q");
  s.joined(seconds(20), "c3", "q");
  s.answered(seconds(30), "c1", "1001", "q", seconds(30));
  auto live = fold.queueReport("q", s.at(seconds(45))).live;
  EXPECT_EQ(live.waiting, 2);
  EXPECT_EQ(*live.longestWaitMs, 35'000);  // c2 since 10 s
  EXPECT_EQ(live.connected, 1);
  s.left(seconds(50), "c2", "q", "abandoned", seconds(40));
  s.ended(seconds(50), "c2");
  s.ended(seconds(60), "c1");
  live = fold.queueReport("q", s.at(seconds(61))).live;
  EXPECT_EQ(live.waiting, 1);
  EXPECT_EQ(*live.longestWaitMs, 41'000);  // c3 since 20 s
  EXPECT_EQ(live.connected, 0);
  // A restart of the server empties the queue (the old core's calls are gone).
  s.emit(seconds(70), events::SystemStarted{.version = "t", .node = "n", .pid = 1});
  live = fold.queueReport("q", s.at(seconds(71))).live;
  EXPECT_EQ(live.waiting, 0);
  EXPECT_FALSE(live.longestWaitMs);
}

TEST(KpiFoldTest, AgentTimeIsSplitAtIntervalBoundariesAndByReason) {
  KpiFold fold(shanghaiOptions());
  Script s(fold);
  s.state(minutes(0), "1001", AgentState::LoggedOut, AgentState::NotReady, "logged_in");
  s.state(minutes(2), "1001", AgentState::NotReady, AgentState::Ready);
  s.state(minutes(10), "1001", AgentState::Ready, AgentState::NotReady, "break");
  s.state(minutes(20), "1001", AgentState::NotReady, AgentState::Ready);
  const auto r = fold.agentReport("1001", s.at(minutes(25)));
  ASSERT_GE(r.intervals.size(), 2u);
  const auto& first = r.intervals[r.intervals.size() - 2];  // 10:00-10:15
  const auto& second = r.intervals.back();                  // 10:15-10:30
  EXPECT_EQ(first.start, kT0);
  EXPECT_EQ(first.kpis.counters.notReadyByReasonMs.at("logged_in"), 120'000);
  EXPECT_EQ(first.kpis.counters.notReadyByReasonMs.at("break"), 300'000);   // 10:10-10:15
  EXPECT_EQ(first.kpis.counters.readyMs, 480'000);                          // 10:02-10:10
  EXPECT_EQ(second.kpis.counters.notReadyByReasonMs.at("break"), 300'000);  // 10:15-10:20
  EXPECT_EQ(second.kpis.counters.readyMs, 300'000);  // 10:20-10:25, still running
  EXPECT_EQ(r.today.counters.notReadyMs, 720'000);
  EXPECT_DOUBLE_EQ(*r.today.occupancy, 0.0);  // ready but no calls
  EXPECT_FALSE(r.today.ahtMs);
}

TEST(KpiFoldTest, CallJoiningAtLastSecondOfTheLocalDayCountsInThatDay) {
  KpiFold fold(shanghaiOptions());
  // 2026-11-26 23:59:59 in Shanghai = 15:59:59Z.
  const SysTime lastSecond = kT0 + hours(13) + minutes(59) + seconds(59);
  Script s(fold, lastSecond);
  s.joined(seconds(0), "c1", "q");
  s.answered(seconds(10), "c1", "1001", "q", seconds(10));  // 00:00:09 on the 27th
  s.ended(seconds(70), "c1");

  const SysTime endOfDay = kT0 + hours(14) - milliseconds(1);  // 23:59:59.999
  const auto day1 = fold.queueReport("q", endOfDay);
  EXPECT_EQ(day1.today.offered, 1);
  EXPECT_EQ(day1.today.counters.answered, 1);  // the outcome counts where it joined
  ASSERT_EQ(day1.intervals.size(), 96u);
  EXPECT_EQ(day1.intervals.back().start, kT0 + hours(13) + minutes(45));  // 23:45
  EXPECT_EQ(day1.intervals.back().kpis.offered, 1);

  const auto day2 = fold.queueReport("q", kT0 + hours(14) + minutes(1));  // 00:01 on the 27th
  EXPECT_EQ(day2.dayStart, kT0 + hours(14));
  EXPECT_EQ(day2.today.offered, 0);  // a new day starts from zero
  EXPECT_EQ(day2.today.counters.answered, 0);
  EXPECT_EQ(day2.intervals.size(), 1u);
}

TEST(KpiFoldTest, DayRolloverResetsTodayAndPruneKeepsToday) {
  KpiFold fold(shanghaiOptions());
  Script s(fold);
  waitThen(s, seconds(0), "c1", "q", "answered", seconds(10));
  s.state(hours(13), "1001", AgentState::NotReady, AgentState::Ready);  // 23:00 local
  waitThen(s, hours(24), "c2", "q", "abandoned", seconds(30));          // 10:00 next day
  const SysTime now = kT0 + hours(24) + minutes(5);
  const auto today = fold.queueReport("q", now).today;
  EXPECT_EQ(today.offered, 1);
  EXPECT_EQ(today.counters.answered, 0);
  EXPECT_EQ(today.abandoned, 1);
  // The agent has been ready since 23:00 yesterday: today holds 00:00 - 10:05 only.
  const auto agent = fold.agentReport("1001", now).today;
  EXPECT_EQ(agent.counters.readyMs, (10 * 60 + 5) * 60'000);

  const auto before = fold.queueReport("q", now);
  fold.pruneBefore(before.dayStart);
  const auto after = fold.queueReport("q", now);
  EXPECT_EQ(after.today.counters, before.today.counters);
  EXPECT_EQ(fold.queueReport("q", kT0 + minutes(1)).today.offered, 0);  // yesterday is gone
}

TEST(KpiFoldTest, EventsNamingNoQueueOrAgentAreIgnored) {
  KpiFold fold(shanghaiOptions());
  Script s(fold);
  s.joined(seconds(0), "c1", "");
  s.state(seconds(1), "", AgentState::NotReady, AgentState::Ready);
  s.held(seconds(2), "c1", "");
  s.ended(seconds(3), "c1");
  EXPECT_FALSE(fold.knowsQueue(""));
  EXPECT_FALSE(fold.knowsAgent(""));
  EXPECT_EQ(fold.applied(), 4u);
}

// ---- a randomised day ------------------------------------------------------------------------

struct Expected {
  std::map<SysTime, QueueCounters> buckets;
};

/// Shanghai's 15-minute interval computed without the tz database (+08:00, no DST).
SysTime shanghaiInterval(SysTime t) {
  const auto local = std::chrono::floor<seconds>(t.time_since_epoch()).count() + 8 * 3600;
  return SysTime{seconds{(local / 900) * 900 - 8 * 3600}};
}

/// Calls over a day in queue "q", each answered (by its own agent), abandoned or timed out;
/// returns the events in time order and what the counters must be.
std::vector<events::Event> randomDay(std::uint32_t seed, Expected& expected) {
  std::mt19937 rng(seed);
  const SysTime dayStart = kT0 - hours(10);
  std::vector<events::Event> out;
  auto ev = [&](SysTime ts, events::Payload p, const std::string& call,
                const std::string& agent = {}) {
    events::Event e;
    e.ts = ts;
    e.callId = call;
    e.agentId = agent;
    e.queueId = "q";
    e.payload = std::move(p);
    out.push_back(std::move(e));
  };
  for (int i = 0; i < 2000; ++i) {
    const std::string call = "c" + std::to_string(i);
    const std::string agent = "a" + std::to_string(i);
    const SysTime join = dayStart + milliseconds(std::uniform_int_distribution<std::int64_t>(
                                        0, 24LL * 3600 * 1000 - 200'000)(rng));
    const std::int64_t wait = std::uniform_int_distribution<std::int64_t>(0, 60'000)(rng);
    const int kind = std::uniform_int_distribution<int>(0, 9)(rng);
    auto& b = expected.buckets[shanghaiInterval(join)];
    ++b.joined;
    ev(join, events::QueueJoined{.queue = "q", .priority = 0, .position = 1}, call);
    const SysTime leave = join + milliseconds(wait);
    if (kind < 6) {
      const std::int64_t talk = std::uniform_int_distribution<std::int64_t>(1'000, 90'000)(rng);
      const std::int64_t hold = std::uniform_int_distribution<std::int64_t>(0, talk / 2)(rng);
      ev(leave, events::CallAnswered{.agentNo = agent, .queue = "q", .waitMs = wait}, call, agent);
      ev(leave, events::QueueLeft{.queue = "q", .reason = "answered", .waitedMs = wait}, call);
      ev(leave + milliseconds(1), events::CallHeld{.agentNo = agent}, call, agent);
      ev(leave + milliseconds(1 + hold), events::CallRetrieved{.agentNo = agent, .heldMs = hold},
         call, agent);
      ev(leave + milliseconds(talk + hold), events::CallEnded{.cause = "normal"}, call);
      ++b.answered;
      ++b.handled;
      b.answeredWaitMs += wait;
      if (wait <= 20'000) ++b.answeredWithinT;
      b.maxWaitMs = std::max(b.maxWaitMs, wait);
      b.talkMs += talk;
      b.holdMs += hold;
    } else if (kind < 9) {
      ev(leave, events::QueueLeft{.queue = "q", .reason = "abandoned", .waitedMs = wait}, call);
      ev(leave, events::CallEnded{.cause = "normal"}, call);
      ++b.abandoned;
      b.maxWaitMs = std::max(b.maxWaitMs, wait);
      if (wait < 5'000) {
        ++b.shortAbandoned;
        b.shortAbandonedWaitMs += wait;
        if (wait <= 20'000) ++b.shortAbandonedWithinT;
      } else {
        b.abandonedWaitMs += wait;
        if (wait <= 20'000) ++b.abandonedWithinT;
      }
    } else {
      ev(leave, events::QueueLeft{.queue = "q", .reason = "timed_out", .waitedMs = wait}, call);
      ev(leave, events::CallEnded{.cause = "queue_timeout"}, call);
      ++b.timedOut;
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const events::Event& a, const events::Event& b) { return a.ts < b.ts; });
  for (std::size_t i = 0; i < out.size(); ++i) out[i].seq = i + 1;
  return out;
}

TEST(KpiFoldPropertyTest, RandomDayMatchesTheGeneratorsOwnCount) {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    Expected expected;
    const auto events = randomDay(seed, expected);
    KpiFold fold(shanghaiOptions());
    for (const auto& e : events) fold.apply(e);
    const SysTime now = kT0 + hours(14) - milliseconds(1);  // the day's last instant
    const auto r = fold.queueReport("q", now);
    ASSERT_EQ(r.intervals.size(), 96u);
    QueueCounters sum;
    for (const auto& iv : r.intervals) {
      QueueCounters want;
      if (auto it = expected.buckets.find(iv.start); it != expected.buckets.end()) {
        want = it->second;
      }
      EXPECT_EQ(iv.kpis.counters, want)
          << "seed " << seed << " interval " << iv.start.time_since_epoch().count();
      sum += want;
    }
    EXPECT_EQ(r.today.counters, sum) << "seed " << seed;
    EXPECT_EQ(r.live.waiting, 0);
    EXPECT_EQ(r.live.connected, 0);
  }
}

TEST(KpiFoldPropertyTest, AskingInBetweenChangesNothing) {
  // The live server answers queries between events: a fold asked at random points must end
  // where a fold that was never asked ends.
  Expected ignored;
  const auto events = randomDay(7, ignored);
  KpiFold quiet(shanghaiOptions());
  KpiFold asked(shanghaiOptions());
  std::mt19937 rng(11);
  for (const auto& e : events) {
    quiet.apply(e);
    asked.apply(e);
    if (std::uniform_int_distribution<int>(0, 99)(rng) == 0) {
      (void)asked.queueReport("q", e.ts);
      (void)asked.agentReport("a1", e.ts);
    }
  }
  const SysTime now = kT0 + hours(14) - milliseconds(1);
  EXPECT_EQ(asked.queueReport("q", now).today.counters, quiet.queueReport("q", now).today.counters);
}

}  // namespace
}  // namespace bankcc::reports
