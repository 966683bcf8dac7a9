// SPDX-License-Identifier: Apache-2.0
#pragma once

// A single-threaded event loop (STYLE.md "Threads"): one thread runs every task and timer of
// a loop; other threads hand it work only through post(). The call-control core runs on one.
//
// Time comes from the injected Clock. With a RealClock (or any other clock) the loop sleeps
// until the next timer's monotonic deadline; with a ManualClock (detected by dynamic_cast in
// the constructor) it sleeps until the clock is advanced, so tests decide when timers fire.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/clock.h"

namespace bankcc::base {

/// Names a timer scheduled on an EventLoop, for cancel(). The default value names no timer.
struct TimerId {
  std::uint64_t value = 0;

  bool valid() const { return value != 0; }
  friend bool operator==(TimerId, TimerId) = default;
};

class EventLoop {
 public:
  using Task = std::function<void()>;

  /// `clock` must outlive the loop. The constructing thread is the loop thread until run() or
  /// runUntilIdle() is called from another one (see isLoopThread()).
  explicit EventLoop(const Clock& clock);
  /// Must not be called while run() or runUntilIdle() is executing. Tasks and timers that
  /// never ran are destroyed without running.
  ~EventLoop();

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Queues `task` to run on the loop thread after the tasks already queued. Thread-safe;
  /// wakes a sleeping run().
  ///
  /// Tasks should not throw. An exception escaping a task (or timer) is caught, logged with
  /// spdlog::error and dropped; the loop goes on with the next task.
  void post(Task task);

  /// Runs `task` on the loop thread once `delay` of the clock's monotonic time has passed.
  /// Thread-safe.
  TimerId runAfter(Duration delay, Task task);
  /// Runs `task` on the loop thread once the clock's monotonic time reaches `deadline`
  /// (at once if it already has). Timers with the same deadline run in the order they were
  /// scheduled. Thread-safe.
  TimerId runAt(MonoTime deadline, Task task);
  /// Cancels a timer that has not started yet: true when it was pending and now never runs;
  /// false when it already ran, is running, was cancelled or never existed. Thread-safe.
  bool cancel(TimerId id);

  /// Makes the calling thread the loop thread and runs tasks and due timers until stop().
  /// Sleeps on a condition variable between them (until the next post, the next timer
  /// deadline, or a ManualClock advance). Tasks still queued when stop() takes effect stay
  /// queued for a later run() or runUntilIdle(). Call from one thread at a time.
  void run();
  /// Makes run() return after the task it is executing, or at once if it is sleeping; when
  /// run() is not executing, the next run() returns immediately. Thread-safe.
  void stop();

  /// For tests and shut-down: on the calling thread (which becomes the loop thread), runs
  /// every queued task and every timer already due, including tasks and due timers they
  /// add, until none are left. Returns how many ran. Must not overlap with run().
  std::size_t runUntilIdle();

  /// True on the loop thread: the thread that last entered run() or runUntilIdle(), or,
  /// before any did, the thread that constructed the loop. Thread-safe.
  bool isLoopThread() const;

  /// Tasks queued plus timers pending, for tests and metrics. Thread-safe.
  std::size_t pendingCount() const;

 private:
  struct Shared;

  /// Runs the tasks queued and the timers due when it starts; returns how many ran. With
  /// `honourStop`, returns early once stop() was called.
  std::size_t runPass(bool honourStop);

  const Clock& clock_;
  bool manualClock_;
  std::shared_ptr<Shared> shared_;  // shared with the ManualClock listener, which may outlive us
};

}  // namespace bankcc::base
