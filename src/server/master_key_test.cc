// SPDX-License-Identifier: Apache-2.0
#include "server/master_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/test_env.h"

namespace bankcc::server {
namespace {

TEST(MasterKeyTest, CreatesAnOwnerOnlyFileAndLoadsIt) {
  testing::TempDir dir;
  const auto path = dir.path() / "keys" / "master.key";
  ASSERT_TRUE(createMasterKey(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(path.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto key = loadMasterKey(path);
  ASSERT_TRUE(key.ok()) << key.error().message;
  MasterKey zero{};
  EXPECT_NE(*key, zero);
}

TEST(MasterKeyTest, NeverReplacesAnExistingKey) {
  testing::TempDir dir;
  const auto path = dir.path() / "master.key";
  ASSERT_TRUE(createMasterKey(path).ok());
  auto first = loadMasterKey(path);
  auto again = createMasterKey(path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, base::Errc::Conflict);
  EXPECT_EQ(*loadMasterKey(path), *first);
}

TEST(MasterKeyTest, RefusesAKeyOthersCanRead) {
  testing::TempDir dir;
  const auto path = dir.path() / "master.key";
  ASSERT_TRUE(createMasterKey(path).ok());
  ::chmod(path.c_str(), 0644);
  auto key = loadMasterKey(path);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, base::Errc::ValidationFailed);
  EXPECT_NE(key.error().message.find("chmod 600"), std::string::npos) << key.error().message;
}

TEST(MasterKeyTest, ReportsAMissingOrMalformedKey) {
  testing::TempDir dir;
  EXPECT_EQ(loadMasterKey(dir.path() / "none.key").error().code, base::Errc::NotFound);
  const auto path = dir.path() / "bad.key";
  std::ofstream(path) << "bankcc-master-key-v1 not-hex\n";
  ::chmod(path.c_str(), 0600);
  auto key = loadMasterKey(path);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, base::Errc::Corrupt);
}

}  // namespace
}  // namespace bankcc::server
