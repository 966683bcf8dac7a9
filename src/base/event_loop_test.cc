// SPDX-License-Identifier: Apache-2.0
#include "base/event_loop.h"

#include <gtest/gtest.h>

#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bankcc::base {
namespace {

using namespace std::chrono_literals;

TEST(EventLoopTest, RunsPostedTasksInOrder) {
  ManualClock clock;
  EventLoop loop(clock);
  std::vector<int> seen;
  for (int i = 0; i < 5; ++i) loop.post([&seen, i] { seen.push_back(i); });
  EXPECT_EQ(loop.pendingCount(), 5u);
  EXPECT_EQ(loop.runUntilIdle(), 5u);
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(loop.runUntilIdle(), 0u);
}

TEST(EventLoopTest, TasksPostedByTasksRunInTheSameRunUntilIdle) {
  ManualClock clock;
  EventLoop loop(clock);
  std::vector<std::string> seen;
  loop.post([&] {
    seen.push_back("a");
    loop.post([&] {
      seen.push_back("c");
      loop.post([&] { seen.push_back("e"); });
    });
  });
  loop.post([&] { seen.push_back("b"); });
  EXPECT_EQ(loop.runUntilIdle(), 4u);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "e"}));
}

TEST(EventLoopTest, TimersFireOnlyWhenTheManualClockReachesTheDeadline) {
  ManualClock clock;
  EventLoop loop(clock);
  int fired = 0;
  const TimerId id = loop.runAfter(5s, [&] { ++fired; });
  EXPECT_TRUE(id.valid());
  EXPECT_EQ(loop.runUntilIdle(), 0u);
  clock.advance(4999ms);
  EXPECT_EQ(loop.runUntilIdle(), 0u);
  EXPECT_EQ(fired, 0);
  clock.advance(1ms);
  EXPECT_EQ(loop.runUntilIdle(), 1u);
  EXPECT_EQ(fired, 1);
  clock.advance(1h);
  EXPECT_EQ(loop.runUntilIdle(), 0u);
  EXPECT_EQ(fired, 1);
}

TEST(EventLoopTest, WallClockJumpsDoNotFireTimers) {
  ManualClock clock;
  EventLoop loop(clock);
  int fired = 0;
  loop.runAfter(1s, [&] { ++fired; });
  clock.setNow(clock.now() + 24h);
  EXPECT_EQ(loop.runUntilIdle(), 0u);
  EXPECT_EQ(fired, 0);
}

TEST(EventLoopTest, DueTimersRunByDeadlineThenSchedulingOrder) {
  ManualClock clock;
  EventLoop loop(clock);
  std::vector<std::string> seen;
  loop.runAfter(2s, [&] { seen.push_back("2s-first"); });
  loop.runAfter(1s, [&] { seen.push_back("1s"); });
  loop.runAfter(2s, [&] { seen.push_back("2s-second"); });
  loop.runAt(clock.monotonic() + 2s, [&] { seen.push_back("2s-third"); });
  clock.advance(10s);
  EXPECT_EQ(loop.runUntilIdle(), 4u);
  EXPECT_EQ(seen, (std::vector<std::string>{"1s", "2s-first", "2s-second", "2s-third"}));
}

TEST(EventLoopTest, TimerAlreadyDueRunsAtOnce) {
  ManualClock clock;
  clock.advance(1min);
  EventLoop loop(clock);
  int fired = 0;
  loop.runAt(clock.monotonic() - 10s, [&] { ++fired; });
  loop.runAfter(0s, [&] { ++fired; });
  EXPECT_EQ(loop.runUntilIdle(), 2u);
  EXPECT_EQ(fired, 2);
}

TEST(EventLoopTest, TimersScheduledByTasksAndTimersRunWhenDueInTheSameCall) {
  ManualClock clock;
  EventLoop loop(clock);
  std::vector<std::string> seen;
  loop.post([&] {
    seen.push_back("task");
    loop.runAfter(0s, [&] {
      seen.push_back("timer");
      loop.post([&] { seen.push_back("task-from-timer"); });
      loop.runAfter(1s, [&] { seen.push_back("later"); });
    });
  });
  EXPECT_EQ(loop.runUntilIdle(), 3u);
  EXPECT_EQ(seen, (std::vector<std::string>{"task", "timer", "task-from-timer"}));
  clock.advance(1s);
  EXPECT_EQ(loop.runUntilIdle(), 1u);
  EXPECT_EQ(seen.back(), "later");
}

TEST(EventLoopTest, CancelledTimersNeverRun) {
  ManualClock clock;
  EventLoop loop(clock);
  int fired = 0;
  const TimerId a = loop.runAfter(1s, [&] { ++fired; });
  const TimerId b = loop.runAfter(1s, [&] { fired += 10; });
  EXPECT_NE(a, b);
  EXPECT_TRUE(loop.cancel(a));
  EXPECT_FALSE(loop.cancel(a));
  EXPECT_EQ(loop.pendingCount(), 1u);
  clock.advance(1s);
  EXPECT_EQ(loop.runUntilIdle(), 1u);
  EXPECT_EQ(fired, 10);
  EXPECT_FALSE(loop.cancel(b));  // already ran
  EXPECT_FALSE(loop.cancel(TimerId{}));
  EXPECT_FALSE(loop.cancel(TimerId{12345}));
}

TEST(EventLoopTest, ATimerCanCancelAnotherDueTimer) {
  ManualClock clock;
  EventLoop loop(clock);
  TimerId second;
  bool secondRan = false;
  bool cancelled = false;
  loop.runAfter(1s, [&] { cancelled = loop.cancel(second); });
  second = loop.runAfter(1s, [&] { secondRan = true; });
  clock.advance(1s);
  EXPECT_EQ(loop.runUntilIdle(), 1u);
  EXPECT_TRUE(cancelled);
  EXPECT_FALSE(secondRan);
}

TEST(EventLoopTest, AnExceptionEscapingATaskIsLoggedAndTheLoopGoesOn) {
  ManualClock clock;
  EventLoop loop(clock);
  int after = 0;
  loop.post([] { throw std::runtime_error("boom"); });
  loop.runAfter(0s, [] { throw 42; });
  loop.post([&] { ++after; });
  EXPECT_EQ(loop.runUntilIdle(), 3u);
  EXPECT_EQ(after, 1);
}

TEST(EventLoopTest, TheLoopThreadIsTheConstructorsUntilAnotherRunsIt) {
  ManualClock clock;
  EventLoop loop(clock);
  EXPECT_TRUE(loop.isLoopThread());
  bool inTask = false;
  std::thread other([&] {
    EXPECT_FALSE(loop.isLoopThread());
    loop.post([&] { inTask = loop.isLoopThread(); });
    loop.runUntilIdle();
    EXPECT_TRUE(loop.isLoopThread());
  });
  other.join();
  EXPECT_TRUE(inTask);
  EXPECT_FALSE(loop.isLoopThread());
}

TEST(EventLoopTest, PostFromAnotherThreadWakesRun) {
  RealClock clock;
  EventLoop loop(clock);
  std::thread loopThread([&] { loop.run(); });

  // Several rounds, each posted while run() is (most likely) asleep with nothing to do.
  for (int round = 0; round < 3; ++round) {
    std::promise<bool> onLoop;
    loop.post([&] { onLoop.set_value(loop.isLoopThread()); });
    EXPECT_TRUE(onLoop.get_future().get());
  }
  EXPECT_FALSE(loop.isLoopThread());
  loop.stop();
  loopThread.join();
}

TEST(EventLoopTest, RunFiresTimersOnRealTime) {
  RealClock clock;
  EventLoop loop(clock);
  std::promise<void> fired;
  loop.runAfter(1ms, [&] { fired.set_value(); });
  std::thread loopThread([&] { loop.run(); });
  fired.get_future().wait();
  loop.stop();
  loopThread.join();
  EXPECT_EQ(loop.pendingCount(), 0u);
}

TEST(EventLoopTest, RunFiresTimersWhenTheManualClockIsAdvancedFromAnotherThread) {
  ManualClock clock;
  EventLoop loop(clock);
  std::promise<void> started;
  std::promise<MonoTime> fired;
  loop.post([&] { started.set_value(); });
  loop.runAfter(30s, [&] { fired.set_value(clock.monotonic()); });
  const MonoTime deadline = clock.monotonic() + 30s;
  std::thread loopThread([&] { loop.run(); });
  started.get_future().wait();  // run() is now going to sleep with the timer pending
  clock.advance(10s);
  clock.advance(20s);
  EXPECT_EQ(fired.get_future().get(), deadline);
  loop.stop();
  loopThread.join();
}

TEST(EventLoopTest, StopFromAnotherThreadEndsAnIdleRun) {
  ManualClock clock;
  EventLoop loop(clock);
  loop.runAfter(1h, [] {});  // run() sleeps on a timer that will not fire
  std::promise<void> started;
  loop.post([&] { started.set_value(); });
  std::thread loopThread([&] { loop.run(); });
  started.get_future().wait();
  loop.stop();
  loopThread.join();
  EXPECT_EQ(loop.pendingCount(), 1u);
}

TEST(EventLoopTest, StopBeforeRunMakesRunReturnAndIsThenForgotten) {
  ManualClock clock;
  EventLoop loop(clock);
  loop.stop();
  loop.run();  // returns at once
  int ran = 0;
  loop.post([&] {
    ++ran;
    loop.stop();
  });
  loop.post([&] { ++ran; });
  loop.run();  // the first task stops it; the second stays queued
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(loop.pendingCount(), 1u);
  EXPECT_EQ(loop.runUntilIdle(), 1u);
  EXPECT_EQ(ran, 2);
}

TEST(EventLoopTest, AManualClockMayOutliveItsLoops) {
  ManualClock clock;
  {
    EventLoop loop(clock);
    loop.runAfter(1s, [] {});
  }
  clock.advance(2s);  // the destroyed loop's listener must do nothing
  SUCCEED();
}

}  // namespace
}  // namespace bankcc::base
