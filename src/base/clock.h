// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <vector>

namespace bankcc::base {

using Duration = std::chrono::microseconds;
/// Wall-clock time in UTC with microsecond resolution: what we store and show.
using SysTime = std::chrono::sys_time<std::chrono::microseconds>;
/// Monotonic time for timers and durations; never jumps.
using MonoTime = std::chrono::time_point<std::chrono::steady_clock, std::chrono::microseconds>;

/// The only source of time in bankcc (ARCHITECTURE.md "Time"). Implementations are
/// thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SysTime now() const = 0;
  virtual MonoTime monotonic() const = 0;
};

/// The system's clocks.
class RealClock final : public Clock {
 public:
  SysTime now() const override;
  MonoTime monotonic() const override;
};

/// A clock that moves only when told to. For tests. Thread-safe; listeners registered with
/// onAdvance() are called (on the advancing thread) after every change, which is how an
/// EventLoop driven by this clock learns that timers may be due.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(SysTime start = SysTime{
                           std::chrono::seconds{1'767'225'600}});  // 2026-01-01Z

  SysTime now() const override;
  MonoTime monotonic() const override;

  void advance(Duration d);
  void setNow(SysTime t);  ///< Moves wall time only (as NTP would); monotonic time is unchanged.
  /// Registers `listener`, called after every advance() or setNow(). Const because listening
  /// does not change the time (an EventLoop holds its clock by const reference). Listeners
  /// cannot be removed: capture a weak_ptr when the listener may outlive what it wakes.
  void onAdvance(std::function<void()> listener) const;

 private:
  void notify();

  mutable std::mutex mu_;
  SysTime now_;
  MonoTime mono_{};
  mutable std::vector<std::function<void()>> listeners_;
};

}  // namespace bankcc::base
