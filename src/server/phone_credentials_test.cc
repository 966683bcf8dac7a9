// SPDX-License-Identifier: Apache-2.0
#include "server/phone_credentials.h"

#include <gtest/gtest.h>
#include <sodium.h>

namespace bankcc::server {
namespace {

MasterKey keyOf(std::uint8_t fill) {
  MasterKey k;
  k.fill(fill);
  return k;
}

TEST(PhoneCredentialsTest, Ha1IsTheRfc2617Digest) {
  // RFC 2617 §3.5: Mufasa / testrealm@host.com / Circle Of Life.
  EXPECT_EQ(digestHa1("Mufasa", "testrealm@host.com", "Circle Of Life"),
            "939e7578ed9e3c518a452acee763bce9");
}

TEST(PhoneCredentialsTest, SealedHa1OpensOnlyWithTheKeyAndForItsExtension) {
  ASSERT_GE(sodium_init(), 0);
  const std::string ha1 = digestHa1("8001", "bankcc", "Phone-pass-8001");
  const std::string sealed = sealHa1(keyOf(1), "8001", ha1);
  EXPECT_EQ(sealed.find(ha1), std::string::npos) << "not in clear";
  EXPECT_NE(sealHa1(keyOf(1), "8001", ha1), sealed) << "a fresh nonce each time";
  auto opened = openHa1(keyOf(1), "8001", sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, ha1);
  EXPECT_EQ(openHa1(keyOf(2), "8001", sealed).error().code, base::Errc::Corrupt);
  EXPECT_EQ(openHa1(keyOf(1), "8002", sealed).error().code, base::Errc::Corrupt)
      << "copied to another extension";
  std::string tampered = sealed;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(openHa1(keyOf(1), "8001", tampered).ok());
  for (std::string bad : {std::string(), std::string("s1:"), std::string("s1:!!!!"),
                          std::string("s2:") + sealed.substr(3), std::string(5000, 'A')}) {
    EXPECT_FALSE(openHa1(keyOf(1), "8001", bad).ok()) << bad.substr(0, 20);
  }
}

}  // namespace
}  // namespace bankcc::server
