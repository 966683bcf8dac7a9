// SPDX-License-Identifier: Apache-2.0
#include "base/clock.h"

namespace bankcc::base {

SysTime RealClock::now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

MonoTime RealClock::monotonic() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::steady_clock::now());
}

ManualClock::ManualClock(SysTime start) : now_(start) {}

SysTime ManualClock::now() const {
  std::lock_guard lock(mu_);
  return now_;
}

MonoTime ManualClock::monotonic() const {
  std::lock_guard lock(mu_);
  return mono_;
}

void ManualClock::advance(Duration d) {
  {
    std::lock_guard lock(mu_);
    now_ += d;
    mono_ += d;
  }
  notify();
}

void ManualClock::setNow(SysTime t) {
  {
    std::lock_guard lock(mu_);
    now_ = t;
  }
  notify();
}

void ManualClock::onAdvance(std::function<void()> listener) const {
  std::lock_guard lock(mu_);
  listeners_.push_back(std::move(listener));
}

void ManualClock::notify() {
  std::vector<std::function<void()>> copy;
  {
    std::lock_guard lock(mu_);
    copy = listeners_;
  }
  for (auto& l : copy) l();
}

}  // namespace bankcc::base
