// SPDX-License-Identifier: Apache-2.0
#include "store/store_test_support.h"

#include "store/migrations.h"

namespace bankcc::store::testing {

std::string backendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::Sqlite ? "Sqlite" : "Postgres";
}

std::optional<std::string> freshDatabaseUrl(Backend backend, const bankcc::testing::TempDir& dir) {
  if (backend == Backend::Sqlite) return "sqlite:" + (dir.path() / "test.db").string();
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return bankcc::testing::freshPostgresDatabase(info ? info->name() : "store");
}

void StoreTest::SetUp() {
  auto url = freshDatabaseUrl(GetParam(), dir_);
  if (!url) {
    if (bankcc::testing::requirePostgres()) {
      FAIL() << "PostgreSQL is required (BANKCC_REQUIRE_PG=1) but the fixture is not running";
    }
    GTEST_SKIP() << "no PostgreSQL (run through ctest, which starts the fixture)";
  }
  url_ = *url;
  auto db = Database::open(StoreConfig{url_, std::chrono::milliseconds{5000}}, dir_.path());
  ASSERT_TRUE(isOk(db));
  db_ = std::move(db).value();
  auto session = db_->connect();
  ASSERT_TRUE(isOk(session));
  session_ = std::move(session).value();
}

std::unique_ptr<soci::session> StoreTest::connectAgain() {
  auto session = db_->connect();
  EXPECT_TRUE(isOk(session));
  return session.ok() ? std::move(session).value() : nullptr;
}

void MigratedStoreTest::SetUp() {
  StoreTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  auto report = migrate(session(), GetParam());
  ASSERT_TRUE(isOk(report));
}

}  // namespace bankcc::store::testing
