// SPDX-License-Identifier: Apache-2.0
#include "api/passwords.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace bankcc::api {
namespace {

bool mentions(const std::vector<std::string>& problems, std::string_view text) {
  for (const auto& p : problems) {
    if (p.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(PasswordPolicyTest, AcceptsAStrongPassword) {
  PasswordPolicy policy;
  EXPECT_TRUE(checkPasswordPolicy(policy, "Kp7x-Qm2r-Tz9d", "zhang.wei").empty());
  EXPECT_TRUE(checkPasswordPolicy(policy, "密码很长的口令Abc1", "li").empty());
}

TEST(PasswordPolicyTest, NamesEachProblem) {
  PasswordPolicy policy;
  EXPECT_TRUE(mentions(checkPasswordPolicy(policy, "Ab1-", "u"), "at least 10 characters"));
  EXPECT_TRUE(mentions(checkPasswordPolicy(policy, "abcdefghijkl", "u"), "mix at least 3"));
  EXPECT_TRUE(mentions(checkPasswordPolicy(policy, "xZhang.Wei-2026", "zhang.wei"), "username"));
  EXPECT_TRUE(mentions(checkPasswordPolicy(policy, "Abcdefgh1\n2", "u"), "control"));
  EXPECT_TRUE(mentions(checkPasswordPolicy(policy, std::string(129, 'a'), "u"), "at most 128"));
  // Code points, not bytes: four Chinese characters are four characters.
  EXPECT_TRUE(mentions(checkPasswordPolicy(policy, "中文密码A1", "u"), "at least 10"));
}

TEST(PasswordHasherTest, HashesVerifiesAndRefusesMalformedHashes) {
  PasswordHasher hasher(2, HashStrength::Minimal);
  auto hash = hasher.hash("Kp7x-Qm2r-Tz9d");
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(hasher.verify(*hash, "Kp7x-Qm2r-Tz9d"));
  EXPECT_FALSE(hasher.verify(*hash, "Kp7x-Qm2r-Tz9e"));
  EXPECT_FALSE(hasher.verify("", "x"));
  EXPECT_FALSE(hasher.verify("$argon2id$garbage", "x"));
  EXPECT_FALSE(hasher.verify(std::string(1000, '$'), "x"));
  auto again = hasher.hash("Kp7x-Qm2r-Tz9d");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*hash, *again);  // salted
}

TEST(PasswordHasherTest, ConcurrentCallersAllSucceedThroughTheBound) {
  PasswordHasher hasher(2, HashStrength::Minimal);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      auto h = hasher.hash("Kp7x-Qm2r-Tz9d");
      if (h.ok() && hasher.verify(*h, "Kp7x-Qm2r-Tz9d")) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 16);
  EXPECT_EQ(hasher.maxConcurrent(), 2);
  EXPECT_GT(PasswordHasher(1, HashStrength::Interactive).memoryPerHash(), 60u << 20);
}

}  // namespace
}  // namespace bankcc::api
