// SPDX-License-Identifier: Apache-2.0
#include "api/router.h"

#include <gtest/gtest.h>

#include "api/call.h"

namespace bankcc::api {
namespace {

Response ok(Call&) {
  return jsonResponse(200, "{}");
}

Router table() {
  Router r;
  r.add({"GET", "/api/v1/queues", Permission::OrgRead, kDatabase, ok, "list"});
  r.add({"POST", "/api/v1/queues", Permission::OrgWrite, kDatabase, ok, "create"});
  r.add({"GET", "/api/v1/queues/{code}", Permission::OrgRead, kDatabase, ok, "get"});
  r.add({"PUT", "/api/v1/queues/{code}", Permission::OrgWrite, kDatabase, ok, "put"});
  r.add({"GET", "/api/v1/users/me", Permission::Authenticated, kNoFlags, ok, "me"});
  r.add({"GET", "/api/v1/users/{username}", Permission::UsersRead, kDatabase, ok, "user"});
  r.add({"POST", "/api/v1/users/{username}/unlock", Permission::UsersWrite, kDatabase, ok, "u"});
  return r;
}

TEST(RouterTest, MatchesLiteralAndParameterSegments) {
  auto r = table();
  auto m = r.match("GET", "/api/v1/queues/retail_zh");
  ASSERT_TRUE(std::holds_alternative<RouteMatch>(m));
  const auto& match = std::get<RouteMatch>(m);
  EXPECT_EQ(match.route->summary, "get");
  ASSERT_EQ(match.params.size(), 1u);
  EXPECT_EQ(match.params[0].first, "code");
  EXPECT_EQ(match.params[0].second, "retail_zh");
}

TEST(RouterTest, LiteralSegmentWinsOverParameter) {
  auto r = table();
  auto m = r.match("GET", "/api/v1/users/me");
  ASSERT_TRUE(std::holds_alternative<RouteMatch>(m));
  EXPECT_EQ(std::get<RouteMatch>(m).route->summary, "me");
  auto other = r.match("GET", "/api/v1/users/zhang.wei");
  ASSERT_TRUE(std::holds_alternative<RouteMatch>(other));
  EXPECT_EQ(std::get<RouteMatch>(other).route->summary, "user");
}

TEST(RouterTest, HeadMatchesGet) {
  auto r = table();
  auto m = r.match("HEAD", "/api/v1/queues");
  ASSERT_TRUE(std::holds_alternative<RouteMatch>(m));
  EXPECT_EQ(std::get<RouteMatch>(m).route->method, "GET");
}

TEST(RouterTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  auto r = table();
  auto none = r.match("GET", "/api/v1/nothing");
  ASSERT_TRUE(std::holds_alternative<NoRoute>(none));
  EXPECT_EQ(std::get<NoRoute>(none).status, 404);
  auto wrong = r.match("DELETE", "/api/v1/queues/x");
  ASSERT_TRUE(std::holds_alternative<NoRoute>(wrong));
  EXPECT_EQ(std::get<NoRoute>(wrong).status, 405);
  EXPECT_EQ(std::get<NoRoute>(wrong).allow, "GET, PUT, HEAD");
}

TEST(RouterTest, DecodesParametersAndRefusesSlashNulAndBadEscapes) {
  auto r = table();
  auto m = r.match("GET", "/api/v1/users/li%2Dna");
  ASSERT_TRUE(std::holds_alternative<RouteMatch>(m));
  EXPECT_EQ(std::get<RouteMatch>(m).params[0].second, "li-na");
  for (const char* path :
       {"/api/v1/users/a%2Fb", "/api/v1/users/a%00", "/api/v1/users/%zz", "/api/v1/users/%4",
        "/api/v1/users/", "/api/v1/queues/x/", "api/v1/queues", "", "/api/v1/queues//x"}) {
    auto none = r.match("GET", path);
    EXPECT_TRUE(std::holds_alternative<NoRoute>(none)) << path;
  }
}

TEST(RouterTest, PercentDecode) {
  std::string out;
  EXPECT_TRUE(percentDecode("a%20b+c", out));
  EXPECT_EQ(out, "a b+c");
  EXPECT_TRUE(percentDecode("%E4%B8%AD", out));
  EXPECT_EQ(out, "中");
  EXPECT_FALSE(percentDecode("%", out));
  EXPECT_FALSE(percentDecode("%g0", out));
}

TEST(QueryParamsTest, ParsesDecodesAndFlagsMalformed) {
  auto q = QueryParams::parse("limit=10&cursor=a%2Bb&name=zhang+wei&flag&&x=%zz");
  EXPECT_EQ(q.get("limit"), "10");
  EXPECT_EQ(q.get("cursor"), "a+b");
  EXPECT_EQ(q.get("name"), "zhang wei");
  EXPECT_EQ(q.get("flag"), "");
  EXPECT_FALSE(q.get("missing").has_value());
  EXPECT_TRUE(q.malformed);
  EXPECT_FALSE(QueryParams::parse("").malformed);
  EXPECT_TRUE(QueryParams::parse("").items.empty());
}

TEST(PrincipalTest, SupervisorActsOnOwnTeamsOnlyAndAdminOnAll) {
  Principal sup;
  sup.roles = {"supervisor"};
  sup.supervisedTeams = {"retail_1"};
  EXPECT_TRUE(sup.actsOnTeam("retail_1"));
  EXPECT_FALSE(sup.actsOnTeam("cards"));
  EXPECT_FALSE(sup.actsOnTeam(""));
  Principal admin;
  admin.roles = {"admin"};
  EXPECT_TRUE(admin.actsOnTeam("cards"));
  Principal agent;
  agent.roles = {"agent"};
  agent.supervisedTeams = {"retail_1"};  // not a supervisor: the list does not count
  EXPECT_FALSE(agent.actsOnTeam("retail_1"));
}

}  // namespace
}  // namespace bankcc::api
