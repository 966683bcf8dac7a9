// SPDX-License-Identifier: Apache-2.0
#include "base/clock.h"

#include <gtest/gtest.h>

namespace bankcc::base {
namespace {

using namespace std::chrono_literals;

TEST(ManualClockTest, MovesOnlyWhenAdvanced) {
  ManualClock clock;
  const auto t0 = clock.now();
  const auto m0 = clock.monotonic();
  EXPECT_EQ(clock.now(), t0);
  int calls = 0;
  clock.onAdvance([&] { ++calls; });
  clock.advance(1500ms);
  EXPECT_EQ(clock.now() - t0, 1500ms);
  EXPECT_EQ(clock.monotonic() - m0, 1500ms);
  EXPECT_EQ(calls, 1);
}

TEST(ManualClockTest, SettingWallTimeLeavesMonotonicAlone) {
  ManualClock clock;
  const auto m0 = clock.monotonic();
  clock.setNow(SysTime{} + 10s);
  EXPECT_EQ(clock.now(), SysTime{} + 10s);
  EXPECT_EQ(clock.monotonic(), m0);
}

TEST(RealClockTest, MonotonicNeverGoesBack) {
  RealClock clock;
  auto a = clock.monotonic();
  auto b = clock.monotonic();
  EXPECT_LE(a, b);
}

}  // namespace
}  // namespace bankcc::base
