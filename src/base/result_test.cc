// SPDX-License-Identifier: Apache-2.0
#include "base/result.h"

#include <gtest/gtest.h>

namespace bankcc::base {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) return err(Errc::ValidationFailed, "must be positive");
  return v;
}

Status chain(int v) {
  BANKCC_TRY(parsePositive(v));
  return {};
}

TEST(ResultTest, HoldsValueOrError) {
  auto ok = parsePositive(3);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
  auto bad = parsePositive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::ValidationFailed);
  EXPECT_EQ(bad.error().describe(), "validation_failed: must be positive");
  EXPECT_EQ(bad.valueOr(7), 7);
}

TEST(ResultTest, TryPropagatesTheError) {
  EXPECT_TRUE(chain(1).ok());
  auto s = chain(0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "must be positive");
}

TEST(ResultDeathTest, ValueOfAnErrorAborts) {
  auto bad = parsePositive(-1);
  EXPECT_DEATH((void)bad.value(), "Result::value");
}

}  // namespace
}  // namespace bankcc::base
