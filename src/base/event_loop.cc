// SPDX-License-Identifier: Apache-2.0
#include "base/event_loop.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "base/assert.h"

namespace bankcc::base {

struct EventLoop::Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Task> tasks;
  // Keyed by (deadline, id): ids grow, so equal deadlines run in scheduling order.
  std::map<std::pair<MonoTime, std::uint64_t>, Task> timers;
  std::unordered_map<std::uint64_t, MonoTime> deadlines;  // id -> deadline, for cancel()
  std::uint64_t nextTimerId = 1;
  // Bumped by everything that may end a sleep in run(): a post, an earlier timer, stop(), a
  // ManualClock advance. run() sleeps until it changes.
  std::uint64_t wakeups = 0;
  bool stopRequested = false;
  std::atomic<std::thread::id> loopThread{std::this_thread::get_id()};

  void wake() {
    {
      std::lock_guard lock(mu);
      ++wakeups;
    }
    cv.notify_all();
  }
};

namespace {

void runGuarded(EventLoop::Task& task) {
  // Tasks are expected not to throw; one that does must not take the loop (and with it the
  // call-control core) down.
  try {
    task();
  } catch (const std::exception& e) {
    spdlog::error("event loop: task threw: {}", e.what());
  } catch (...) {
    spdlog::error("event loop: task threw a non-standard exception");
  }
}

}  // namespace

EventLoop::EventLoop(const Clock& clock)
    : clock_(clock), manualClock_(false), shared_(std::make_shared<Shared>()) {
  if (const auto* manual = dynamic_cast<const ManualClock*>(&clock)) {
    manualClock_ = true;
    // The clock cannot forget listeners, so hold the loop's state weakly.
    manual->onAdvance([weak = std::weak_ptr<Shared>(shared_)] {
      if (auto shared = weak.lock()) shared->wake();
    });
  }
}

EventLoop::~EventLoop() = default;

void EventLoop::post(Task task) {
  BANKCC_ASSERT(task, "EventLoop::post with an empty task");  // callers always pass a lambda
  {
    std::lock_guard lock(shared_->mu);
    shared_->tasks.push_back(std::move(task));
    ++shared_->wakeups;
  }
  shared_->cv.notify_all();
}

TimerId EventLoop::runAfter(Duration delay, Task task) {
  return runAt(clock_.monotonic() + delay, std::move(task));
}

TimerId EventLoop::runAt(MonoTime deadline, Task task) {
  BANKCC_ASSERT(task, "EventLoop::runAt with an empty task");  // callers always pass a lambda
  TimerId id;
  bool earliest = false;
  {
    std::lock_guard lock(shared_->mu);
    id.value = shared_->nextTimerId++;
    auto [it, inserted] = shared_->timers.emplace(std::pair{deadline, id.value}, std::move(task));
    BANKCC_ASSERT(inserted, "timer ids are unique");
    earliest = it == shared_->timers.begin();
    shared_->deadlines.emplace(id.value, deadline);
    // Only a new earliest deadline shortens the current sleep.
    if (earliest) ++shared_->wakeups;
  }
  if (earliest) shared_->cv.notify_all();
  return id;
}

bool EventLoop::cancel(TimerId id) {
  std::lock_guard lock(shared_->mu);
  auto it = shared_->deadlines.find(id.value);
  if (it == shared_->deadlines.end()) return false;
  shared_->timers.erase(std::pair{it->second, id.value});
  shared_->deadlines.erase(it);
  return true;
}

std::size_t EventLoop::runPass(bool honourStop) {
  std::size_t ran = 0;
  Shared& s = *shared_;

  // Tasks queued before the pass began; the ones they post wait for the next pass, so that a
  // task re-posting itself cannot starve timers.
  std::size_t budget;
  {
    std::lock_guard lock(s.mu);
    budget = s.tasks.size();
  }
  for (; budget > 0; --budget) {
    Task task;
    {
      std::lock_guard lock(s.mu);
      if ((honourStop && s.stopRequested) || s.tasks.empty()) return ran;
      task = std::move(s.tasks.front());
      s.tasks.pop_front();
    }
    runGuarded(task);
    ++ran;
  }

  // Timers due now and scheduled before the pass began, one at a time so that a timer can
  // still cancel another one that is due.
  const MonoTime now = clock_.monotonic();
  std::uint64_t idLimit;
  {
    std::lock_guard lock(s.mu);
    idLimit = s.nextTimerId;
  }
  for (;;) {
    Task task;
    {
      std::lock_guard lock(s.mu);
      if (honourStop && s.stopRequested) return ran;
      if (s.timers.empty()) break;
      auto it = s.timers.begin();
      const auto [deadline, id] = it->first;
      if (deadline > now || id >= idLimit) break;
      task = std::move(it->second);
      s.timers.erase(it);
      s.deadlines.erase(id);
    }
    runGuarded(task);
    ++ran;
  }
  return ran;
}

void EventLoop::run() {
  Shared& s = *shared_;
  s.loopThread.store(std::this_thread::get_id());
  for (;;) {
    {
      std::lock_guard lock(s.mu);
      if (s.stopRequested) break;
    }
    runPass(true);

    std::unique_lock lock(s.mu);
    if (s.stopRequested) break;
    if (!s.tasks.empty()) continue;
    const std::uint64_t seen = s.wakeups;
    auto woken = [&] { return s.stopRequested || !s.tasks.empty() || s.wakeups != seen; };
    if (s.timers.empty()) {
      s.cv.wait(lock, woken);
      continue;
    }
    const Duration remaining = s.timers.begin()->first.first - clock_.monotonic();
    if (remaining <= Duration::zero()) continue;
    if (manualClock_) {
      // Manual time does not pass by itself: only an advance (or new work) can make the
      // timer due, and the clock's listener bumps `wakeups` when it moves.
      s.cv.wait(lock, woken);
    } else {
      s.cv.wait_for(lock, remaining, woken);
    }
  }
  std::lock_guard lock(s.mu);
  s.stopRequested = false;
}

void EventLoop::stop() {
  {
    std::lock_guard lock(shared_->mu);
    shared_->stopRequested = true;
    ++shared_->wakeups;
  }
  shared_->cv.notify_all();
}

std::size_t EventLoop::runUntilIdle() {
  shared_->loopThread.store(std::this_thread::get_id());
  std::size_t total = 0;
  for (;;) {
    const std::size_t ran = runPass(false);
    if (ran == 0) return total;
    total += ran;
  }
}

bool EventLoop::isLoopThread() const {
  return shared_->loopThread.load() == std::this_thread::get_id();
}

std::size_t EventLoop::pendingCount() const {
  std::lock_guard lock(shared_->mu);
  return shared_->tasks.size() + shared_->timers.size();
}

}  // namespace bankcc::base
