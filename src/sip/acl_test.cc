// SPDX-License-Identifier: Apache-2.0
#include "sip/acl.h"

#include <gtest/gtest.h>

namespace bankcc::sip {
namespace {

bool inBlock(const char* cidr, const char* address) {
  auto b = CidrBlock::parse(cidr);
  EXPECT_TRUE(b.ok()) << cidr;
  auto a = IpAddress::parse(address);
  EXPECT_TRUE(a.has_value()) << address;
  return b.ok() && a && b->contains(*a);
}

TEST(CidrTest, Ipv4Blocks) {
  EXPECT_TRUE(inBlock("10.0.0.0/8", "10.200.3.4"));
  EXPECT_FALSE(inBlock("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(inBlock("192.168.4.0/22", "192.168.7.255"));
  EXPECT_FALSE(inBlock("192.168.4.0/22", "192.168.8.0"));
  EXPECT_TRUE(inBlock("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(inBlock("127.0.0.1/32", "127.0.0.2"));
  EXPECT_TRUE(inBlock("0.0.0.0/0", "203.0.113.9"));
}

TEST(CidrTest, Ipv6BlocksAndMappedAddresses) {
  EXPECT_TRUE(inBlock("2001:db8::/32", "2001:db8:1::5"));
  EXPECT_FALSE(inBlock("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(inBlock("::1/128", "::1"));
  EXPECT_TRUE(inBlock("fe80::/10", "febf::1"));
  EXPECT_FALSE(inBlock("fe80::/10", "fec0::1"));
  EXPECT_TRUE(inBlock("10.0.0.0/8", "::ffff:10.1.1.1"));
  EXPECT_FALSE(inBlock("::/0", "10.1.1.1"));  // families never mix
}

TEST(CidrTest, BadInputIsBadRequest) {
  for (const char* text :
       {"", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "300.1.1.1", "10.1.2.3/8",
        "::1/129", "host.example.com", "[::1]/128", "10.0.0.0/8/8", "1.2.3.4:5060"}) {
    auto b = CidrBlock::parse(text);
    ASSERT_FALSE(b.ok()) << text;
    EXPECT_EQ(b.error().code, base::Errc::BadRequest) << text;
  }
}

TEST(TrunkAclTest, FirstMatchingTrunkWins) {
  std::vector<TrunkConfig> trunks(2);
  trunks[0].name = "carrier-a";
  trunks[0].peers = {{"192.0.2.0/24"}, {"2001:db8::/48"}};
  trunks[1].name = "carrier-b";
  trunks[1].peers = {{"192.0.0.0/16"}};
  auto acl = TrunkAcl::build(trunks);
  ASSERT_TRUE(acl.ok());
  EXPECT_EQ(acl->match("192.0.2.7"), "carrier-a");
  EXPECT_EQ(acl->match("192.0.9.7"), "carrier-b");
  EXPECT_EQ(acl->match("2001:db8:0:1::1"), "carrier-a");
  EXPECT_EQ(acl->match("198.51.100.1"), std::nullopt);
  EXPECT_EQ(acl->match("not-an-ip"), std::nullopt);
}

TEST(TrunkAclTest, BadCidrNamesTheTrunk) {
  std::vector<TrunkConfig> trunks(1);
  trunks[0].name = "carrier-a";
  trunks[0].peers = {{"10.0.0.0/99"}};
  auto acl = TrunkAcl::build(trunks);
  ASSERT_FALSE(acl.ok());
  EXPECT_NE(acl.error().message.find("carrier-a"), std::string::npos);
}

}  // namespace
}  // namespace bankcc::sip
