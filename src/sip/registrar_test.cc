// SPDX-License-Identifier: Apache-2.0
#include "sip/registrar.h"

#include <gtest/gtest.h>

namespace bankcc::sip {
namespace {

using namespace std::chrono_literals;

ContactBinding binding(const char* uri, base::MonoTime at, const char* host = "192.0.2.1") {
  ContactBinding b;
  b.uri = uri;
  b.host = host;
  b.sourceIp = "198.51.100.1";
  b.expiresAt = at;
  b.expiresWall = base::SysTime{} + at.time_since_epoch();
  return b;
}

TEST(RegistrationTableTest, SeveralContactsPerExtension) {
  RegistrationTable t;
  const base::MonoTime t0{};
  EXPECT_TRUE(t.upsert("1001", binding("sip:1001@192.0.2.1", t0 + 60s)));
  EXPECT_TRUE(t.upsert("1001", binding("sip:1001@192.0.2.2", t0 + 30s, "192.0.2.2")));
  EXPECT_FALSE(t.upsert("1001", binding("sip:1001@192.0.2.1", t0 + 90s)));  // refresh only
  ASSERT_EQ(t.bindings("1001").size(), 2u);
  auto snap = t.snapshot();
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].contacts.size(), 2u);
  EXPECT_EQ(snap[0].expires, base::SysTime{} + 30s);
}

TEST(RegistrationTableTest, ExpiryAndRemoval) {
  RegistrationTable t;
  const base::MonoTime t0{};
  t.upsert("1001", binding("sip:a@192.0.2.1", t0 + 10s));
  t.upsert("1001", binding("sip:b@192.0.2.1", t0 + 20s));
  t.upsert("1002", binding("sip:c@192.0.2.3", t0 + 20s));
  EXPECT_TRUE(t.expire(t0 + 5s).empty());
  EXPECT_EQ(t.expire(t0 + 10s), std::vector<std::string>{"1001"});
  EXPECT_EQ(t.bindings("1001").size(), 1u);
  EXPECT_TRUE(t.remove("1001", "sip:b@192.0.2.1"));
  EXPECT_FALSE(t.remove("1001", "sip:b@192.0.2.1"));
  EXPECT_TRUE(t.bindings("1001").empty());
  EXPECT_TRUE(t.removeAll("1002"));
  EXPECT_FALSE(t.removeAll("1002"));
  EXPECT_TRUE(t.snapshot().empty());
}

TEST(RegistrationTableTest, RegisteredFromHostOrSource) {
  RegistrationTable t;
  t.upsert("1001", binding("sip:a@192.0.2.1", base::MonoTime{} + 10s));
  EXPECT_TRUE(t.registeredFrom("1001", "192.0.2.1"));
  EXPECT_TRUE(t.registeredFrom("1001", "198.51.100.1"));
  EXPECT_FALSE(t.registeredFrom("1001", "203.0.113.1"));
  EXPECT_FALSE(t.registeredFrom("1002", "192.0.2.1"));
}

}  // namespace
}  // namespace bankcc::sip
