// SPDX-License-Identifier: Apache-2.0
// Authentication over real HTTP to `bankcc serve`: login and logout, CSRF, the idle lock,
// throttling and lockout, and the forced password change. Each test runs on SQLite and on
// PostgreSQL.

#include <gtest/gtest.h>

#include <thread>

#include "api/api_support.h"

namespace bankcc::apitest {
namespace {

using namespace std::chrono_literals;

const std::string kLogin = "/api/v1/auth/login";
const std::string kSession = "/api/v1/auth/session";

std::string queueBody(const std::string& code) {
  return json{
      {"code", code}, {"name_zh", "测试队列"}, {"name_en", "Test queue"}, {"skills", {"retail"}}}
      .dump();
}

/// The Set-Cookie value for cookie `name`, or "".
std::string setCookie(const HttpResponse& r, const std::string& name) {
  for (const auto& v : r.headerValues("set-cookie")) {
    if (v.rfind(name + "=", 0) == 0) return v;
  }
  return {};
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_P(ApiTest, LoginGivesTokenAndCookiesAndLogoutEndsTheSession) {
  auto server = startServer();
  if (!server) return;
  HttpClient client(server->http());
  const auto& admin = server->user("admin");

  auto in = login(client, admin.username, admin.password);
  ASSERT_TRUE(in);
  const json& body = in->body;
  EXPECT_FALSE(in->token.empty());
  EXPECT_FALSE(in->csrf.empty());
  EXPECT_NE(in->token, in->csrf);
  EXPECT_TRUE(body["expires_at"].is_string()) << body;
  EXPECT_EQ(body["must_change_password"], false) << body;
  EXPECT_EQ(body["user"]["username"], admin.username) << body;
  EXPECT_EQ(body["user"]["roles"], json::array({"admin"})) << body;

  const auto sessionCookie = setCookie(in->response, "bankcc_session");
  const auto csrfCookie = setCookie(in->response, "bankcc_csrf");
  EXPECT_TRUE(contains(sessionCookie, "bankcc_session=" + in->token + ";")) << sessionCookie;
  EXPECT_TRUE(contains(sessionCookie, "HttpOnly")) << sessionCookie;
  EXPECT_TRUE(contains(sessionCookie, "SameSite=Strict")) << sessionCookie;
  EXPECT_TRUE(contains(sessionCookie, "Path=/")) << sessionCookie;
  EXPECT_TRUE(contains(csrfCookie, "bankcc_csrf=" + in->csrf + ";")) << csrfCookie;
  EXPECT_TRUE(contains(csrfCookie, "SameSite=Strict")) << csrfCookie;
  EXPECT_FALSE(contains(csrfCookie, "HttpOnly")) << "scripts must read the CSRF cookie";

  auto viaBearer = client.get(kSession, bearer(in->token));
  ASSERT_EQ(viaBearer.status, 200) << viaBearer.body;
  auto info = bodyOf(viaBearer);
  EXPECT_EQ(info["user"]["username"], admin.username) << info;
  EXPECT_TRUE(info["session_id"].is_string()) << info;
  EXPECT_NE(info["permissions"].dump().find("users.write"), std::string::npos) << info;
  auto viaCookie = client.get(kSession, {{"Cookie", "bankcc_session=" + in->token}});
  ASSERT_EQ(viaCookie.status, 200) << viaCookie.body;
  EXPECT_EQ(bodyOf(viaCookie)["session_id"], info["session_id"]);

  auto out = client.request("POST", "/api/v1/auth/logout", bearer(in->token));
  EXPECT_EQ(out.status, 204) << out.body;
  EXPECT_TRUE(out.body.empty());
  EXPECT_TRUE(contains(setCookie(out, "bankcc_session"), "Max-Age=0"))
      << "logout clears the cookie";
  EXPECT_TRUE(isError(client.get(kSession, bearer(in->token)), 401, "unauthenticated"));
  EXPECT_TRUE(isError(client.get(kSession, {{"Cookie", "bankcc_session=" + in->token}}), 401,
                      "unauthenticated"));
  EXPECT_TRUE(isError(client.get("/api/v1/queues", bearer(in->token)), 401, "unauthenticated"));

  // Wrong password and unknown user look the same: no username oracle.
  HttpResponse wrong, unknown;
  EXPECT_FALSE(login(client, admin.username, "Not-The-Password-1", &wrong));
  EXPECT_FALSE(login(client, "no_such_user", "Not-The-Password-1", &unknown));
  EXPECT_TRUE(isError(wrong, 401, "unauthenticated"));
  EXPECT_TRUE(isError(unknown, 401, "unauthenticated"));
  EXPECT_EQ(bodyOf(wrong)["error"]["message"], bodyOf(unknown)["error"]["message"]);

  // No credentials at all, and a login body without a password.
  EXPECT_TRUE(isError(client.get(kSession), 401, "unauthenticated"));
  EXPECT_TRUE(isError(client.get("/api/v1/queues"), 401, "unauthenticated"));
  auto noPassword = client.request("POST", kLogin, {}, json{{"username", admin.username}}.dump());
  EXPECT_TRUE(isError(noPassword, 422, "validation_failed"));
  EXPECT_EQ(errorFields(noPassword), std::vector<std::string>{"password"});
}

TEST_P(ApiTest, CookieRequestsThatChangeStateNeedTheCsrfToken) {
  auto server = startServer();
  if (!server) return;
  HttpClient client(server->http());
  auto in = mustLogin(client, server->user("admin"));
  ASSERT_FALSE(in.token.empty());
  const std::string cookie = "bankcc_session=" + in.token + "; bankcc_csrf=" + in.csrf;

  auto noToken = client.request("POST", "/api/v1/queues", {{"Cookie", cookie}}, queueBody("q_a"));
  EXPECT_TRUE(isError(noToken, 403, "forbidden"));
  auto wrongToken = client.request(
      "POST", "/api/v1/queues", {{"Cookie", cookie}, {"X-CSRF-Token", in.token}}, queueBody("q_a"));
  EXPECT_TRUE(isError(wrongToken, 403, "forbidden"));
  auto rightToken = client.request(
      "POST", "/api/v1/queues", {{"Cookie", cookie}, {"X-CSRF-Token", in.csrf}}, queueBody("q_a"));
  EXPECT_EQ(rightToken.status, 201) << rightToken.body;
  EXPECT_EQ(bodyOf(rightToken)["code"], "q_a");

  // Reads need no token; bearer requests never do.
  EXPECT_EQ(client.get("/api/v1/queues/q_a", {{"Cookie", cookie}}).status, 200);
  auto viaBearer = client.request("POST", "/api/v1/queues", bearer(in.token), queueBody("q_b"));
  EXPECT_EQ(viaBearer.status, 201) << viaBearer.body;

  // Logging out by cookie is state-changing too.
  EXPECT_TRUE(isError(client.request("POST", "/api/v1/auth/logout", {{"Cookie", cookie}}), 403,
                      "forbidden"));
  EXPECT_EQ(
      client.request("POST", "/api/v1/auth/logout", {{"Cookie", cookie}, {"X-CSRF-Token", in.csrf}})
          .status,
      204);
}

TEST_P(ApiTest, AnIdleSessionLocksAndTheRightPasswordUnlocksIt) {
  ServerOptions options;
  options.auth = {"idle_lock = \"2s\"", "activity_write = \"1s\""};
  auto server = startServer(options);
  if (!server) return;
  HttpClient client(server->http());
  const auto& agent = server->user("agent");
  auto in = mustLogin(client, agent);
  ASSERT_FALSE(in.token.empty());
  EXPECT_EQ(in.body["idle_lock_seconds"], 2) << in.body;
  const auto auth = bearer(in.token);

  // User actions keep the session open past the idle time.
  for (int i = 0; i < 4; ++i) {
    auto r = client.get("/api/v1/queues", auth);
    ASSERT_EQ(r.status, 200) << "request " << i << ": " << r.body;
    std::this_thread::sleep_for(800ms);
  }
  std::this_thread::sleep_for(3s);
  EXPECT_TRUE(isError(client.get("/api/v1/queues", auth), 401, "session_locked"));
  EXPECT_TRUE(isError(client.get("/api/v1/skills", auth), 401, "session_locked"));
  auto info = client.get(kSession, auth);
  ASSERT_EQ(info.status, 200) << "the session route answers while locked: " << info.body;
  if (bodyOf(info).contains("locked")) {
    EXPECT_EQ(bodyOf(info)["locked"], true) << info.body;
  }

  auto wrong = client.request("POST", "/api/v1/auth/unlock", auth,
                              json{{"password", "Not-The-Password-1"}}.dump());
  EXPECT_TRUE(isError(wrong, 401, "session_locked"));
  EXPECT_TRUE(isError(client.get("/api/v1/queues", auth), 401, "session_locked"));
  auto right = client.request("POST", "/api/v1/auth/unlock", auth,
                              json{{"password", agent.password}}.dump());
  EXPECT_EQ(right.status, 200) << right.body;
  auto after = client.get("/api/v1/queues", auth);
  EXPECT_EQ(after.status, 200) << after.body;

  auto auditor = mustLogin(client, server->user("auditor"));
  auto records = auditRecords(client, auditor.token, "action=auth.&actor=" + agent.username);
  EXPECT_TRUE(hasAction(records, "auth.session_locked")) << json(records).dump(1);
  EXPECT_TRUE(hasAction(records, "auth.unlocked")) << json(records).dump(1);
  EXPECT_TRUE(hasAction(records, "auth.unlock_failed")) << json(records).dump(1);
}

TEST_P(ApiTest, FailedLoginsThrottleTheAddressAndLockTheAccount) {
  // One server for both limits: the address limit is tested from 127.0.0.2 with unknown users
  // (which lock no account), the account limit from 127.0.0.3 (3 failures stay under 5).
  ServerOptions options;
  options.auth = {"address_failure_limit = 5", "account_failure_limit = 3"};
  auto server = startServer(options);
  if (!server) return;
  HttpClient local(server->http());
  const auto& agent = server->user("agent");
  const auto& planner = server->user("planner");

  {
    HttpClient attacker(server->http(), "127.0.0.2");
    for (int i = 0; i < 5; ++i) {
      HttpResponse failed;
      ASSERT_FALSE(login(attacker, "nobody_" + std::to_string(i), "Wrong-Password-1", &failed));
      EXPECT_TRUE(isError(failed, 401, "unauthenticated")) << "attempt " << i + 1;
    }
    HttpResponse throttled;
    EXPECT_FALSE(login(attacker, agent.username, agent.password, &throttled))
        << "the 6th attempt is refused even with the right password";
    EXPECT_TRUE(isError(throttled, 429, "rate_limited"));
    EXPECT_FALSE(throttled.header("retry-after").empty()) << "429 needs Retry-After";
    // Another address is not throttled.
    EXPECT_TRUE(login(local, agent.username, agent.password));
  }

  {
    HttpClient guesser(server->http(), "127.0.0.3");
    for (int i = 0; i < 3; ++i) {
      HttpResponse failed;
      ASSERT_FALSE(login(guesser, planner.username, "Wrong-Password-1", &failed));
      EXPECT_TRUE(isError(failed, 401, "unauthenticated")) << "attempt " << i + 1;
    }
    HttpResponse locked;
    EXPECT_FALSE(login(guesser, planner.username, planner.password, &locked));
    EXPECT_TRUE(isError(locked, 403, "account_locked"));
    HttpResponse lockedElsewhere;
    EXPECT_FALSE(login(local, planner.username, planner.password, &lockedElsewhere))
        << "the account is locked for every address";
    EXPECT_TRUE(isError(lockedElsewhere, 403, "account_locked"));

    auto admin = mustLogin(local, server->user("admin"));
    auto users = bodyOf(local.get("/api/v1/users/" + planner.username, bearer(admin.token)));
    EXPECT_EQ(users["locked"], true) << users;
    auto unlock =
        local.request("POST", "/api/v1/users/" + planner.username + "/unlock", bearer(admin.token));
    EXPECT_EQ(unlock.status, 204) << unlock.body;
    HttpResponse failed;
    EXPECT_TRUE(login(guesser, planner.username, planner.password, &failed))
        << failed.status << " " << failed.body;
  }

  auto auditor = mustLogin(local, server->user("auditor"));
  auto records = auditRecords(local, auditor.token, "");
  EXPECT_TRUE(hasAction(records, "auth.login_failed"));
  EXPECT_TRUE(hasAction(records, "auth.address_throttled"));
  EXPECT_TRUE(hasAction(records, "auth.account_locked"));
  EXPECT_TRUE(hasAction(records, "user.unlocked"));
  int failures = 0;
  for (const auto& r : records) {
    if (r["action"] == "auth.login_failed") {
      ++failures;
      EXPECT_EQ(r["outcome"], "failure") << r;
    }
  }
  EXPECT_GE(failures, 5 + 3 + 2) << "unknown users, wrong passwords and locked-account attempts";
}

TEST_P(ApiTest, AUserCreatedWithAPasswordMustChangeItFirst) {
  auto server = startServer();
  if (!server) return;
  HttpClient client(server->http());
  auto admin = mustLogin(client, server->user("admin"));
  ASSERT_FALSE(admin.token.empty());
  const auto adminAuth = bearer(admin.token);

  auto weak = client.request("POST", "/api/v1/users", adminAuth,
                             json{{"username", "newbie"},
                                  {"display_name", "New Person"},
                                  {"roles", {"agent"}},
                                  {"password", "short"}}
                                 .dump());
  EXPECT_TRUE(isError(weak, 422, "validation_failed"));
  EXPECT_EQ(errorFields(weak).at(0), "password") << weak.body;

  const std::string initial = "Initial-Pass-1";
  auto created = client.request("POST", "/api/v1/users", adminAuth,
                                json{{"username", "newbie"},
                                     {"display_name", "New Person"},
                                     {"roles", {"agent"}},
                                     {"password", initial}}
                                    .dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(bodyOf(created)["must_change_password"], true) << created.body;
  EXPECT_EQ(bodyOf(created)["has_password"], true) << created.body;
  EXPECT_EQ(bodyOf(created).count("password"), 0u) << "no password in the answer";
  EXPECT_EQ(created.header("location"), "/api/v1/users/newbie");

  auto first = login(client, "newbie", initial);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body["must_change_password"], true) << first->body;
  const auto auth = bearer(first->token);
  EXPECT_TRUE(isError(client.get("/api/v1/queues", auth), 403, "must_change_password"));
  EXPECT_TRUE(isError(client.get("/api/v1/teams", auth), 403, "must_change_password"));
  auto info = client.get(kSession, auth);
  EXPECT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(bodyOf(info)["must_change_password"], true) << info.body;

  auto change = [&](const std::string& current, const std::string& fresh) {
    return client.request("POST", "/api/v1/auth/change-password", auth,
                          json{{"current_password", current}, {"new_password", fresh}}.dump());
  };
  auto tooWeak = change(initial, "abc");
  EXPECT_TRUE(isError(tooWeak, 422, "validation_failed"));
  EXPECT_EQ(errorFields(tooWeak).at(0), "new_password") << tooWeak.body;
  auto same = change(initial, initial);
  EXPECT_TRUE(isError(same, 422, "validation_failed"));
  EXPECT_EQ(errorFields(same).at(0), "new_password") << same.body;
  auto wrongCurrent = change("Not-The-Password-1", "Better-Pass-22");
  EXPECT_TRUE(isError(wrongCurrent, 422, "validation_failed"));
  EXPECT_EQ(errorFields(wrongCurrent).at(0), "current_password") << wrongCurrent.body;
  auto good = change(initial, "Better-Pass-22");
  ASSERT_EQ(good.status, 200) << good.body;
  auto queues = client.get("/api/v1/queues", auth);
  EXPECT_EQ(queues.status, 200) << queues.body;

  auto second = login(client, "newbie", "Better-Pass-22");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body["must_change_password"], false) << second->body;
  HttpResponse old;
  EXPECT_FALSE(login(client, "newbie", initial, &old));
  EXPECT_TRUE(isError(old, 401, "unauthenticated"));

  // An administrator's reset: must change again, and every session of the user ends.
  auto reset = client.request("POST", "/api/v1/users/newbie/password", adminAuth,
                              json{{"password", "Reset-Pass-333"}}.dump());
  ASSERT_EQ(reset.status, 204) << reset.body;
  EXPECT_TRUE(isError(client.get(kSession, auth), 401, "unauthenticated"));
  EXPECT_TRUE(isError(client.get("/api/v1/queues", bearer(second->token)), 401, "unauthenticated"));
  auto third = login(client, "newbie", "Reset-Pass-333");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->body["must_change_password"], true) << third->body;
  EXPECT_TRUE(
      isError(client.get("/api/v1/queues", bearer(third->token)), 403, "must_change_password"));
  // The admin's own session is untouched.
  EXPECT_EQ(client.get("/api/v1/queues", adminAuth).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         backendName);

}  // namespace
}  // namespace bankcc::apitest
