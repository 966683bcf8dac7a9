// SPDX-License-Identifier: Apache-2.0
#include "base/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace bankcc::base {
namespace {

using namespace std::chrono_literals;

TEST(UuidV7Test, IsCanonicalVersion7AndVariant10) {
  ManualClock clock;
  const auto id = newUuidV7(clock);
  EXPECT_TRUE(isUuid(id)) << id;
  EXPECT_EQ(id[14], '7');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
}

TEST(UuidV7Test, OrdersByTimeAndIsUnique) {
  ManualClock clock;
  std::set<std::string> seen;
  std::string prev;
  for (int i = 0; i < 1000; ++i) {
    clock.advance(2ms);
    auto id = newUuidV7(clock);
    EXPECT_TRUE(seen.insert(id).second);
    if (!prev.empty()) {
      EXPECT_LT(prev.substr(0, 13), id.substr(0, 13));
    }
    prev = id;
  }
}

TEST(UuidV7Test, RejectsNonCanonicalStrings) {
  EXPECT_FALSE(isUuid("not-a-uuid"));
  EXPECT_FALSE(isUuid("0192F0C4-7C1E-7A3B-8F2D-3C4B5A697887"));
  EXPECT_TRUE(isUuid("0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887"));
}

}  // namespace
}  // namespace bankcc::base
