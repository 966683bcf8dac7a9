// SPDX-License-Identifier: Apache-2.0
// The route-by-role matrix: every route of describeRoutes() called by every built-in role and
// by an anonymous client, over real HTTP. The expected outcome comes from the same permission
// table the router uses: anonymous 401 (but on public routes), a role without the route's
// permission 403, a role with it 2xx. A route this file does not know how to call fails the
// test, so that new routes get a row here.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "api/api_server.h"
#include "api/api_support.h"
#include "api/permissions.h"

namespace bankcc::apitest {
namespace {

json skill(const std::string& code, int proficiency) {
  return json{{"code", code}, {"proficiency", proficiency}};
}

/// One request the matrix sends.
struct Call {
  Call(std::string method, std::string path, std::string body = {},
       std::optional<std::string> token = std::nullopt)
      : method(std::move(method)),
        path(std::move(path)),
        body(std::move(body)),
        token(std::move(token)) {}

  std::string method;
  std::string path;
  std::string body;  ///< empty: none
  /// Token to use instead of the caller's main session ("" with anonymous).
  std::optional<std::string> token;
  /// Run after a successful call (e.g. remember a changed password).
  std::function<void()> onSuccess;
  /// For a caller holding the permission: what counts as passing the permission check when a
  /// 2xx is not expected (a CTI command the core refuses with its own reason). Unset: 2xx.
  std::function<bool(const HttpResponse&)> passed;
};

/// A CTI command answered by the core: accepted, or refused with the core's reason (the
/// permission layer's 403 carries no reason).
bool coreAnswered(const HttpResponse& r) {
  if (r.status == 202) return true;
  auto body = json::parse(r.body, nullptr, false);
  return body.is_object() && body.contains("error") && body["error"].contains("reason");
}

/// An organisation resource with the seven shared routes.
struct Resource {
  std::string collection;  ///< "/api/v1/queues"
  std::string target;      ///< an object made for the matrix, changed by PUT/PATCH/disable
  /// A new object's body; `who` makes codes unique per caller.
  std::function<json(const std::string& who)> create;
  /// A whole replacement of `target` (version added by the caller).
  std::function<json()> replace;
  json patch;  ///< a merge patch of `target` (version added by the caller)
};

class RoutesTest : public ApiTest {
 protected:
  std::unique_ptr<TestServer> server;
  std::unique_ptr<HttpClient> client;
  std::string adminToken;
  std::map<std::string, std::string> tokens;  ///< by role
  std::vector<Resource> resources;
  int passwordChanges = 0;

  /// The objects the matrix changes, made as admin before anyone logs in.
  void prepare() {
    auto admin = mustLogin(*client, server->user("admin"));
    adminToken = admin.token;
    auto post = [&](const std::string& path, const json& body) {
      auto r = client->request("POST", path, bearer(adminToken), body.dump());
      EXPECT_TRUE(isSuccess(r)) << "setup POST " << path << " " << body;
    };
    // The test's supervisor supervises retail_1 (with sup_zhao), whose agents include 1001.
    auto team = bodyOf(client->get("/api/v1/teams/retail_1", bearer(adminToken)));
    auto patched = client->request(
        "PATCH", "/api/v1/teams/retail_1", bearer(adminToken),
        json{{"supervisors", json::array({"sup_zhao", server->user("supervisor").username})},
             {"version", team["version"]}}
            .dump());
    EXPECT_TRUE(isSuccess(patched)) << "setup: make t_supervisor supervise retail_1";

    post("/api/v1/teams", {{"code", "mx_team"}, {"name", "Matrix team"}});
    post("/api/v1/skills", {{"code", "mx_skill"}, {"name_zh", "矩阵"}, {"name_en", "Matrix"}});
    post("/api/v1/queues", {{"code", "mx_queue"},
                            {"name_zh", "矩阵队列"},
                            {"name_en", "Matrix queue"},
                            {"skills", {"retail"}}});
    post("/api/v1/reason-codes",
         {{"code", "mx_reason"}, {"label_zh", "矩阵"}, {"label_en", "Matrix"}});
    post("/api/v1/wrapup-codes",
         {{"code", "mx_wrapup"}, {"label_zh", "矩阵"}, {"label_en", "Matrix"}});
    // Business-hours calendars: one the matrix changes, one it deletes.
    for (const char* code : {"mx_calendar", "mx_cal_del"}) {
      post("/api/v1/calendars", {{"code", code},
                                 {"name", "矩阵日历"},
                                 {"weekly", {{"monday", json::array({"08:00-20:00"})}}}});
    }
    post("/api/v1/users",
         {{"username", "mx_user"}, {"display_name", "Matrix"}, {"roles", {"marketing"}}});
    post("/api/v1/users",
         {{"username", "mx_ag9901"}, {"display_name", "Matrix agent"}, {"roles", {"agent"}}});
    for (auto role : api::builtInRoles()) {
      post("/api/v1/users", {{"username", "mx_agu_" + std::string(role)},
                             {"display_name", "Matrix agent " + std::string(role)},
                             {"roles", {"agent"}}});
    }
    post("/api/v1/agents", {{"agent_no", "9901"},
                            {"name", "矩阵座席"},
                            {"languages", {"zh"}},
                            {"team_code", "mx_team"},
                            {"username", "mx_ag9901"},
                            {"skills", json::array({skill("retail", 3)})}});

    resources = {
        {"/api/v1/teams",
         "mx_team",
         [](const std::string& who) {
           return json{{"code", "mx_t_" + who}, {"name", "Matrix " + who}};
         },
         [] {
           return json{{"name", "Matrix team (replaced)"}, {"supervisors", json::array()}};
         },
         {{"name", "Matrix team (patched)"}}},
        {"/api/v1/skills",
         "mx_skill",
         [](const std::string& who) {
           return json{{"code", "mx_s_" + who}, {"name_zh", "矩阵"}, {"name_en", "Matrix " + who}};
         },
         [] {
           return json{{"name_zh", "矩阵二"}, {"name_en", "Matrix (replaced)"}};
         },
         {{"name_en", "Matrix (patched)"}}},
        {"/api/v1/queues",
         "mx_queue",
         [](const std::string& who) {
           return json{{"code", "mx_q_" + who},
                       {"name_zh", "矩阵队列"},
                       {"name_en", "Matrix " + who},
                       {"skills", {"retail"}}};
         },
         [] {
           return json{
               {"name_zh", "矩阵队列"},
               {"name_en", "Matrix queue (replaced)"},
               {"service_level_target", 85},
               {"service_level_threshold_seconds", 15},
               {"short_abandon_seconds", 4},
               {"skill_needs", json::array({{{"skill", "retail"}, {"min_proficiency", 2}},
                                            {{"skill", "english"}}})},
               {"dnis", json::array({"40012345"})},
               {"language", "en"},
               {"routing_policy", "most_skilled"},
               {"aging_seconds", 30},
               {"max_size", 20},
               {"max_wait_seconds", 300},
               {"fallback", "voicemail"},
               {"overflow_steps",
                json::array(
                    {{{"after_seconds", 30}, {"kind", "widen"}, {"min_proficiency", 1}},
                     {{"after_seconds", 60}, {"kind", "move_to"}, {"target", "retail_zh"}}})},
               {"ring_timeout_seconds", 15},
               {"wrap_up_seconds", 20},
               {"ready_after_wrap_up", false},
               {"music", "moh"},
               {"closed_prompt", "queue_closed"},
               {"average_handle_seconds", 200}};
         },
         {{"service_level_target", 90}}},
        {"/api/v1/reason-codes",
         "mx_reason",
         [](const std::string& who) {
           return json{
               {"code", "mx_r_" + who}, {"label_zh", "矩阵"}, {"label_en", "Matrix " + who}};
         },
         [] {
           return json{{"label_zh", "矩阵二"}, {"label_en", "Matrix (replaced)"}};
         },
         {{"label_en", "Matrix (patched)"}}},
        {"/api/v1/wrapup-codes",
         "mx_wrapup",
         [](const std::string& who) {
           return json{
               {"code", "mx_w_" + who}, {"label_zh", "矩阵"}, {"label_en", "Matrix " + who}};
         },
         [] {
           return json{{"label_zh", "矩阵二"}, {"label_en", "Matrix (replaced)"}};
         },
         {{"label_en", "Matrix (patched)"}}},
        {"/api/v1/agents",
         "9901",
         [](const std::string& who) {
           return json{
               {"agent_no", "mx-" + who},     {"name", "矩阵 " + who},
               {"languages", {"zh"}},         {"team_code", "mx_team"},
               {"username", "mx_agu_" + who}, {"skills", json::array({skill("retail", 2)})}};
         },
         [] {
           return json{{"name", "矩阵座席二"},
                       {"languages", json::array({"zh", "en"})},
                       {"team_code", "mx_team"},
                       {"username", "mx_ag9901"},
                       {"skills", json::array({skill("retail", 4)})},
                       {"extensions", json::array({"8991"})}};
         },
         {{"name", "矩阵座席三"}}},
        {"/api/v1/users",
         "mx_user",
         [](const std::string& who) {
           return json{{"username", "mx_u_" + who},
                       {"display_name", "Matrix " + who},
                       {"roles", {"agent"}}};
         },
         [] {
           return json{{"display_name", "Matrix (replaced)"}, {"roles", {"qa"}}};
         },
         {{"display_name", "Matrix (patched)"}}},
        {"/api/v1/calendars",
         "mx_calendar",
         [](const std::string& who) {
           return json{
               {"code", "mx_c_" + who},
               {"name", "Matrix " + who},
               {"weekly", {{"saturday", json::array({"09:00-17:00"})}}},
               {"exceptions",
                json::array(
                    {{{"date", "2026-10-01"}, {"hours", json::array()}, {"note", "国庆节"}}})}};
         },
         [] {
           return json{
               {"name", "Matrix calendar (replaced)"},
               {"weekly", {{"monday", json::array({"09:00-17:00"})}, {"sunday", json::array()}}},
               {"exceptions", json::array()}};
         },
         {{"weekly", {{"tuesday", json::array({"10:00-12:00", "13:00-16:00"})}}}}},
    };
  }

  /// The current version of the object at `path`, read as admin.
  json versionOf(const std::string& path) {
    auto r = client->get(path, bearer(adminToken));
    auto body = bodyOf(r);
    if (r.status != 200 || !body.contains("version")) {
      ADD_FAILURE() << "GET " << path << " for its version: " << r.status << " " << r.body;
      return 0;
    }
    return body["version"];
  }

  /// How to call (method, pattern) as `who` ("anonymous" or a role); nullopt when unknown.
  std::optional<Call> plan(const std::string& method, const std::string& pattern,
                           const std::string& who) {
    const bool anonymous = who == "anonymous";
    const RoleUser* user = anonymous ? nullptr : &server->user(who);
    const std::string key = method + " " + pattern;

    for (const auto& res : resources) {
      const std::string item = res.collection + "/" + res.target;
      if (key == "GET " + res.collection) return Call{method, res.collection + "?limit=5"};
      if (key == "POST " + res.collection)
        return Call{method, res.collection, res.create(who).dump()};
      const std::string param = res.collection == "/api/v1/agents"  ? "{agent_no}"
                                : res.collection == "/api/v1/users" ? "{username}"
                                                                    : "{code}";
      const std::string itemPattern = res.collection + "/" + param;
      if (key == "GET " + itemPattern) return Call{method, item};
      if (key == "PUT " + itemPattern) {
        json body = res.replace();
        body["version"] = versionOf(item);
        return Call{method, item, body.dump()};
      }
      if (key == "PATCH " + itemPattern) {
        json body = res.patch;
        body["version"] = versionOf(item);
        return Call{method, item, body.dump()};
      }
      if (key == "POST " + itemPattern + "/disable" || key == "POST " + itemPattern + "/enable") {
        const std::string action = pattern.substr(pattern.rfind('/'));
        return Call{method, item + action, json{{"version", versionOf(item)}}.dump()};
      }
    }

    // Deleting a calendar: only holders of org.write get past the permission check, and the
    // first of them deletes it (no queue uses it).
    if (key == "DELETE /api/v1/calendars/{code}") {
      return Call{method, "/api/v1/calendars/mx_cal_del"};
    }
    if (key == "GET /api/v1/agents/{agent_no}/skills")
      return Call{method, "/api/v1/agents/1001/skills"};
    if (key == "PUT /api/v1/agents/{agent_no}/skills") {
      // 1001 is in retail_1, which the test's supervisor supervises.
      return Call{method, "/api/v1/agents/1001/skills",
                  json{{"skills", json::array({skill("retail", 4), skill("english", 2)})},
                       {"version", versionOf("/api/v1/agents/1001")}}
                      .dump()};
    }
    if (key == "POST /api/v1/auth/login") {
      const RoleUser& u = anonymous ? server->user("agent") : *user;
      return Call{method, pattern, json{{"username", u.username}, {"password", u.password}}.dump(),
                  ""};
    }
    if (key == "POST /api/v1/auth/logout") {
      Call call{method, pattern};
      if (!anonymous) call.token = mustLogin(*client, *user).token;  // a session of its own
      return call;
    }
    if (key == "POST /api/v1/auth/unlock") {
      const std::string password = anonymous ? "whatever-1A" : user->password;
      return Call{method, pattern, json{{"password", password}}.dump()};
    }
    if (key == "POST /api/v1/auth/change-password") {
      if (anonymous) {
        return Call{method, pattern,
                    json{{"current_password", "x"}, {"new_password", "Changed-Pass-1"}}.dump()};
      }
      const std::string fresh = "Changed-" + who + "-" + std::to_string(++passwordChanges) + "-Pw";
      Call call{method, pattern,
                json{{"current_password", user->password}, {"new_password", fresh}}.dump()};
      RoleUser* mutableUser = &server->user(who);
      call.onSuccess = [mutableUser, fresh] { mutableUser->password = fresh; };
      return call;
    }
    if (key == "GET /api/v1/auth/session") return Call{method, pattern};
    if (key == "POST /api/v1/users/{username}/password") {
      return Call{method, "/api/v1/users/mx_user/password",
                  json{{"password", "Reset-Matrix-77a"}}.dump()};
    }
    if (key == "POST /api/v1/users/{username}/unlock") {
      return Call{method, "/api/v1/users/mx_user/unlock"};
    }
    if (key == "GET /api/v1/audit") return Call{method, "/api/v1/audit?limit=5"};
    if (key == "GET /api/v1/audit/verify") return Call{method, pattern};
    if (key == "GET /api/v1/phones/registrations") return Call{method, pattern};
    // CTI: the permission layer lets holders through; the core then answers for itself.
    const std::string unknownCall = "/api/v1/calls/01a21847-0000-7000-8000-000000000000";
    auto command = [&](std::string path, std::string body) {
      Call c{method, std::move(path), std::move(body)};
      c.passed = coreAnswered;
      return c;
    };
    if (key == "POST /api/v1/agents/{agent_no}/session") {
      return command("/api/v1/agents/1001/session", R"({"extension":"8001"})");
    }
    if (key == "DELETE /api/v1/agents/{agent_no}/session") {
      return command("/api/v1/agents/1001/session", "");
    }
    if (key == "POST /api/v1/agents/{agent_no}/line") {
      return command("/api/v1/agents/1001/line", "{}");
    }
    if (key == "DELETE /api/v1/agents/{agent_no}/line") {
      return command("/api/v1/agents/1001/line", "");
    }
    if (key == "PUT /api/v1/agents/{agent_no}/state") {
      return command("/api/v1/agents/1001/state", R"({"state":"not_ready","reason":"break"})");
    }
    if (key == "POST /api/v1/agents/{agent_no}/wrapup") {
      return command("/api/v1/agents/1001/wrapup", "{}");
    }
    if (key == "POST /api/v1/agents/{agent_no}/wrapup/extend") {
      return command("/api/v1/agents/1001/wrapup/extend", "{}");
    }
    if (key == "POST /api/v1/agents/{agent_no}/calls") {
      return command("/api/v1/agents/1001/calls",
                     R"({"target_type":"number","target":"13900000000"})");
    }
    if (key == "POST /api/v1/calls/{call_id}/answer") return command(unknownCall + "/answer", "{}");
    if (key == "POST /api/v1/calls/{call_id}/hangup") return command(unknownCall + "/hangup", "{}");
    for (const char* verb :
         {"hold", "retrieve", "mute", "unmute", "pause_recording", "resume_recording",
          "cancel_consult", "transfer_complete", "conference", "alternate", "drop_party"}) {
      if (key == fmt::format("POST /api/v1/calls/{{call_id}}/{}", verb)) {
        return command(fmt::format("{}/{}", unknownCall, verb), "{}");
      }
    }
    if (key == "POST /api/v1/calls/{call_id}/send_dtmf") {
      return command(unknownCall + "/send_dtmf", R"({"digits":"1"})");
    }
    if (key == "POST /api/v1/calls/{call_id}/blind_transfer") {
      return command(unknownCall + "/blind_transfer", R"({"target_type":"queue","target":"vip"})");
    }
    if (key == "POST /api/v1/calls/{call_id}/set_call_data") {
      return command(unknownCall + "/set_call_data", R"({"data":{"case_no":"A-1"}})");
    }
    if (key == "POST /api/v1/calls/{call_id}/consult") {
      return command(unknownCall + "/consult", R"({"target_type":"agent","target":"1002"})");
    }
    if (key == "POST /api/v1/calls/{call_id}/intercept") {
      return command(unknownCall + "/intercept", R"({"agent_no":"1001"})");
    }
    if (key == "POST /api/v1/agents/{agent_no}/monitor") {
      return command("/api/v1/agents/1001/monitor", R"({"mode":"listen","extension":"8101"})");
    }
    if (key == "DELETE /api/v1/agents/{agent_no}/monitor") {
      return command("/api/v1/agents/1001/monitor", "");
    }
    if (key == "GET /api/v1/calls" || key == "GET /api/v1/agent-states") {
      return Call{method, pattern};
    }
    if (key == "GET /api/v1/routing/decisions/{call_id}") {
      Call c{method, "/api/v1/routing/decisions/01a21847-0000-7000-8000-000000000000"};
      c.passed = [](const HttpResponse& r) { return bool(isError(r, 404, "not_found")); };
      return c;
    }
    // CDRs: an empty range is still a 200 with no items; an unknown call is the handler's 404.
    if (key == "GET /api/v1/cdrs") return Call{method, "/api/v1/cdrs?limit=5&queue=retail_zh"};
    if (key == "GET /api/v1/agent-state-intervals") {
      return Call{method, "/api/v1/agent-state-intervals?agent=1001"};
    }
    if (key == "GET /api/v1/cdrs/{call_id}") {
      Call c{method, "/api/v1/cdrs/01a21847-0000-7000-8000-000000000000"};
      c.passed = [](const HttpResponse& r) { return bool(isError(r, 404, "not_found")); };
      return c;
    }
    // Statistics: a queue made through the API (the live statistics learn it from the change)
    // and a seeded agent.
    if (key == "GET /api/v1/queues/{queue}/stats") {
      return Call{method, "/api/v1/queues/mx_queue/stats"};
    }
    if (key == "GET /api/v1/agents/{agent_no}/stats") {
      return Call{method, "/api/v1/agents/1001/stats"};
    }
    if (key == "GET /api/v1/openapi.json" || key == "GET /healthz" || key == "GET /readyz" ||
        key == "GET /metrics") {
      return Call{method, pattern};
    }
    return std::nullopt;
  }
};

TEST_P(RoutesTest, EveryRouteAnswersEveryRoleAsThePermissionTableSays) {
  server = startServer();
  if (!server) return;
  client = std::make_unique<HttpClient>(server->http());
  prepare();
  ASSERT_FALSE(HasFailure()) << "setup failed";
  for (const auto& u : server->users()) {
    tokens[u.role] = mustLogin(*client, u).token;
    ASSERT_FALSE(tokens[u.role].empty());
  }
  // The admin's change-password row ends the admin's other sessions: read versions with the
  // session that survives it.
  adminToken = tokens["admin"];

  const api::Router router = api::describeRoutes();
  bool sawEvents = false;
  std::set<std::string> called;
  std::vector<std::string> callers = {"anonymous"};
  for (auto role : api::builtInRoles()) callers.emplace_back(role);

  for (const auto& route : router.routes()) {
    const std::string name = route.method + " " + route.pattern;
    if (route.pattern == "/api/v1/events") {
      // The WebSocket: tested in api_events_test.cc.
      sawEvents = true;
      EXPECT_EQ(route.method, "GET");
      EXPECT_EQ(route.permission, api::Permission::EventsSubscribe);
      continue;
    }
    for (const auto& who : callers) {
      auto call = plan(route.method, route.pattern, who);
      if (!call) {
        ADD_FAILURE() << "route " << name
                      << " is not in the route-by-role matrix: add how to call it to "
                         "tests/api/api_routes_test.cc";
        break;
      }
      const bool anonymous = who == "anonymous";
      const bool isPublic = route.permission == api::Permission::Public;
      const bool holds = !anonymous && api::permissionsOfRole(who).test(
                                           static_cast<std::size_t>(route.permission));
      const std::string token = call->token ? *call->token : (anonymous ? "" : tokens[who]);
      HeaderList headers;
      if (!token.empty()) headers = bearer(token);
      auto r = client->request(call->method, call->path, headers, call->body);
      const std::string context = name + " as " + who + " (" + call->method + " " + call->path +
                                  ", permission " +
                                  std::string(api::permissionName(route.permission)) + ")";
      if ((isPublic || holds) && call->passed) {
        EXPECT_TRUE(call->passed(r)) << context << ": " << r.status << " " << r.body;
      } else if (isPublic || holds) {
        EXPECT_TRUE(isSuccess(r)) << context;
        if (isSuccess(r) && call->onSuccess) call->onSuccess();
      } else if (anonymous) {
        EXPECT_TRUE(isError(r, 401, "unauthenticated")) << context;
      } else {
        EXPECT_TRUE(isError(r, 403, "forbidden")) << context;
      }
      called.insert(name);
    }
  }
  EXPECT_TRUE(sawEvents) << "GET /api/v1/events is missing from the route table";
  EXPECT_GT(called.size(), 50u) << "the route table looks too small";

  // Denials are audited, one per refused role call at least.
  auto auditorLogin = mustLogin(*client, server->user("auditor"));
  auto denied = auditRecords(*client, auditorLogin.token, "action=access.denied");
  EXPECT_GT(denied.size(), 50u);
  for (const auto& d : denied) EXPECT_EQ(d["outcome"], "denied") << d;
}

TEST_P(RoutesTest, SupervisorsChangeSkillsOnlyInTheirOwnTeams) {
  server = startServer();
  if (!server) return;
  client = std::make_unique<HttpClient>(server->http());
  prepare();
  auto sup = mustLogin(*client, server->user("supervisor"));
  auto skillsOf = [&](const std::string& agentNo, int proficiency) {
    return json{{"skills", json::array({skill("retail", proficiency)})},
                {"version", versionOf("/api/v1/agents/" + agentNo)}}
        .dump();
  };
  // 1001 is in retail_1 (supervised), 1007 in retail_2 (not).
  auto own =
      client->request("PUT", "/api/v1/agents/1001/skills", bearer(sup.token), skillsOf("1001", 2));
  EXPECT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(bodyOf(own)["skills"], json::array({skill("retail", 2)})) << own.body;
  auto other =
      client->request("PUT", "/api/v1/agents/1007/skills", bearer(sup.token), skillsOf("1007", 2));
  EXPECT_TRUE(isError(other, 403, "forbidden"));
  auto unchanged = bodyOf(client->get("/api/v1/agents/1007/skills", bearer(sup.token)));
  EXPECT_EQ(unchanged["skills"], json::array({skill("retail", 3)})) << unchanged;
  // A stale version is refused, not applied.
  auto stale =
      client->request("PUT", "/api/v1/agents/1001/skills", bearer(sup.token),
                      json{{"skills", json::array({skill("retail", 5)})}, {"version", 1}}.dump());
  EXPECT_TRUE(isError(stale, 409, "version_mismatch"));
  // The supervisor cannot change the agent itself.
  auto agent = bodyOf(client->get("/api/v1/agents/1001", bearer(sup.token)));
  auto patch = client->request("PATCH", "/api/v1/agents/1001", bearer(sup.token),
                               json{{"name", "x"}, {"version", agent["version"]}}.dump());
  EXPECT_TRUE(isError(patch, 403, "forbidden"));

  auto auditorLogin = mustLogin(*client, server->user("auditor"));
  auto denied = auditRecords(*client, auditorLogin.token,
                             "action=access.denied&actor=" + server->user("supervisor").username);
  bool sawTeamDenial = false;
  for (const auto& d : denied) {
    if (d["target_id"] == "1007") sawTeamDenial = true;
  }
  EXPECT_TRUE(sawTeamDenial) << json(denied).dump(1);
}

INSTANTIATE_TEST_SUITE_P(Backends, RoutesTest,
                         ::testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

}  // namespace
}  // namespace bankcc::apitest
