// SPDX-License-Identifier: Apache-2.0
#include "store/phones.h"

#include <gtest/gtest.h>

#include "store/store_test_support.h"

namespace bankcc::store {
namespace {

using base::Errc;
using testing::failsWith;
using testing::isOk;
using namespace std::chrono_literals;

class PhonesTest : public testing::MigratedStoreTest {};

TEST_P(PhonesTest, CreatesAndReplacesAPhonesCredential) {
  Phone p{.extension = "8001", .realm = "bankcc", .ha1Sealed = "sealed-1", .autoAnswer = true};
  ASSERT_TRUE(isOk(upsertPhone(session(), clock_, p)));
  clock_.advance(1s);
  p.ha1Sealed = "sealed-2";
  p.autoAnswer = false;
  ASSERT_TRUE(isOk(upsertPhone(session(), clock_, p)));
  ASSERT_TRUE(isOk(upsertPhone(session(), clock_,
                               Phone{.extension = "8000", .realm = "bankcc", .ha1Sealed = "x"})));
  auto all = listPhones(session());
  ASSERT_TRUE(isOk(all));
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].extension, "8000");
  EXPECT_EQ((*all)[1].extension, "8001");
  EXPECT_EQ((*all)[1].ha1Sealed, "sealed-2");
  EXPECT_FALSE((*all)[1].autoAnswer);
  EXPECT_TRUE((*all)[1].active);
  EXPECT_LT((*all)[1].createdAt, (*all)[1].updatedAt);
}

TEST_P(PhonesTest, RefusesExtensionsThatAreNotDigits) {
  for (const std::string& bad : std::vector<std::string>{
           "", "8", "80a1", "8001'; DROP TABLE phones;--", std::string(21, '1')}) {
    EXPECT_TRUE(failsWith(
        upsertPhone(session(), clock_, Phone{.extension = bad, .realm = "r", .ha1Sealed = "x"}),
        Errc::ValidationFailed))
        << bad;
  }
  auto all = listPhones(session());
  ASSERT_TRUE(isOk(all));
  EXPECT_TRUE(all->empty());
}

BANKCC_STORE_BACKENDS(PhonesTest);

}  // namespace
}  // namespace bankcc::store
