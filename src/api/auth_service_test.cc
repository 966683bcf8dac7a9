// SPDX-License-Identifier: Apache-2.0
#include "api/auth_service.h"

#include <gtest/gtest.h>

namespace bankcc::api {
namespace {

Request withHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  Request r;
  r.method = "GET";
  r.path = "/api/v1/queues";
  r.headers = std::move(headers);
  return r;
}

TEST(AuthServiceTest, TokenComesFromBearerInAnyCaseThenFromTheCookie) {
  for (const char* value : {"Bearer abc", "bearer abc", "BEARER abc"}) {
    auto t = AuthService::tokenOf(withHeaders({{"authorization", value}}));
    ASSERT_TRUE(t.has_value()) << value;
    EXPECT_EQ(t->first, "abc");
    EXPECT_FALSE(t->second);
  }
  EXPECT_FALSE(AuthService::tokenOf(withHeaders({{"authorization", "Basic YTpi"}})));
  EXPECT_FALSE(AuthService::tokenOf(withHeaders({{"authorization", "Bearer"}})));
  EXPECT_FALSE(
      AuthService::tokenOf(withHeaders({{"authorization", "Bearer " + std::string(200, 'x')}})));
  // A malformed Authorization header is not silently replaced by the cookie.
  EXPECT_FALSE(AuthService::tokenOf(
      withHeaders({{"authorization", "Basic x"}, {"cookie", "bankcc_session=abc"}})));
  auto cookie = AuthService::tokenOf(withHeaders({{"cookie", "a=1; bankcc_session=abc"}}));
  ASSERT_TRUE(cookie.has_value());
  EXPECT_EQ(cookie->first, "abc");
  EXPECT_TRUE(cookie->second);
  EXPECT_FALSE(AuthService::tokenOf(withHeaders({})));
}

TEST(AuthServiceTest, TokenHashIsHexSha256) {
  EXPECT_EQ(AuthService::hashToken("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace bankcc::api
