// SPDX-License-Identifier: Apache-2.0
// What agents and users add to the shared behaviour: agent skills and supervisor scoping,
// references to teams, users and skills; initial passwords, credential flags, sessions that end
// when access changes, and the guard against locking oneself out.

#include <fmt/format.h>

#include <chrono>

#include "api/org_routes_test_support.h"
#include "store/auth.h"
#include "store/org_agents.h"
#include "store/org_teams.h"

namespace bankcc::api::testing {
namespace {

using store::testing::isOk;
using namespace std::chrono_literals;

std::vector<store::AuditRecord> withAction(const std::vector<store::AuditRecord>& all,
                                           std::string_view action) {
  std::vector<store::AuditRecord> out;
  for (const auto& a : all) {
    if (a.action == action) out.push_back(a);
  }
  return out;
}

class OrgAgentsTest : public OrgApiTest {
 protected:
  void SetUp() override {
    OrgApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(isOk(store::createSkill(session(), clock_, {0, "credit", "信用卡", "Credit"})));
    createUser("sup", {"supervisor"});
    for (const char* u : {"u1", "u2", "u3", "u4"}) createUser(u);
    ASSERT_TRUE(isOk(store::createTeam(session(), clock_, {0, "t_a", "Team A", {"sup"}})));
    ASSERT_TRUE(isOk(store::createTeam(session(), clock_, {0, "t_b", "Team B", {}})));
    addAgent("1001", "t_a", "u1");
    addAgent("1002", "t_b", "u2");
    addAgent("1003", "", "u3");
  }
  void addAgent(std::string agentNo, std::string team, std::string user) {
    store::Agent a;
    a.agentNo = std::move(agentNo);
    a.name = "座席 " + a.agentNo;
    a.languages = {"zh"};
    a.teamCode = std::move(team);
    a.username = std::move(user);
    a.skills = {{"retail", 3}};
    ASSERT_TRUE(isOk(store::createAgent(session(), clock_, a)));
  }
  static Json skillsBody(int retail, int version) {
    return {{"skills", Json::array({{{"code", "credit"}, {"proficiency", 5}},
                                    {{"code", "retail"}, {"proficiency", retail}}})},
            {"version", version}};
  }

  const Principal sup_ = makePrincipal("sup", {"supervisor"}, {"t_a"});
};

TEST_P(OrgAgentsTest, SupervisorChangesSkillsOfAgentsInOwnTeam) {
  Reply read = get("/api/v1/agents/1001/skills", &sup_);
  ASSERT_EQ(read.status, 200) << read.response.body;
  EXPECT_EQ(read.body, (Json{{"agent_no", "1001"},
                             {"skills", Json::array({{{"code", "retail"}, {"proficiency", 3}}})},
                             {"version", 1}}));

  Reply changed = put("/api/v1/agents/1001/skills", skillsBody(2, 1), &sup_);
  ASSERT_EQ(changed.status, 200) << changed.response.body;
  EXPECT_EQ(changed.body["version"], 2);
  EXPECT_EQ(changed.body["skills"], skillsBody(2, 1)["skills"]);
  EXPECT_EQ(get("/api/v1/agents/1001").body["skills"], skillsBody(2, 1)["skills"]);

  const auto records = audits();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action, "agent.skills_changed");
  EXPECT_EQ(records[0].targetType, "agent");
  EXPECT_EQ(records[0].targetId, "1001");
  EXPECT_EQ(records[0].actor, "sup");
  EXPECT_EQ(Json::parse(records[0].details)["skills"]["from"], read.body["skills"]);
  const auto changes = sink_.configChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], (events::ConfigChanged{"agent", "1001", "updated", 2, "sup"}));

  // A supervisor cannot replace the agent itself.
  Json whole = get("/api/v1/agents/1001").body;
  whole["name"] = "Renamed";
  EXPECT_EQ(put("/api/v1/agents/1001", whole, &sup_).status, 403);
}

TEST_P(OrgAgentsTest, SupervisorIsRefusedOtherTeamsAndTheRefusalIsAudited) {
  for (const char* agentNo : {"1002", "1003"}) {
    SCOPED_TRACE(agentNo);
    const std::string target = fmt::format("/api/v1/agents/{}/skills", agentNo);
    Reply refused = put(target, skillsBody(1, 1), &sup_);
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(refused.errorCode(), "forbidden");
    EXPECT_EQ(refused.body["error"]["message"],
              fmt::format("agent {} is not in a team you supervise", agentNo));
    EXPECT_EQ(get(target).body["version"], 1);
    const auto records = audits();
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(records.back().action, "access.denied");
    EXPECT_EQ(records.back().outcome, "denied");
    EXPECT_EQ(records.back().actor, "sup");
    EXPECT_EQ(records.back().targetId, agentNo);
  }
  EXPECT_EQ(audits().size(), 2u);
  EXPECT_TRUE(sink_.events.empty());

  // The admin may change any agent's skills.
  Reply admin = put("/api/v1/agents/1002/skills", skillsBody(4, 1));
  ASSERT_EQ(admin.status, 200) << admin.response.body;
  EXPECT_EQ(withAction(audits(), "agent.skills_changed").size(), 1u);
}

TEST_P(OrgAgentsTest, RefusesBadSkillBodies) {
  const std::string target = "/api/v1/agents/1001/skills";
  struct Bad {
    Json body;
    int status;
    std::string field;
    std::string message;
  };
  const std::vector<Bad> bads = {
      {{{"skills", Json::array({{{"code", "retail"}, {"proficiency", 6}}})}, {"version", 1}},
       422,
       "skills[0].proficiency",
       "must be between 1 and 5"},
      {{{"skills", Json::array({{{"code", "retail"}, {"proficiency", 0}}})}, {"version", 1}},
       422,
       "skills[0].proficiency",
       "must be between 1 and 5"},
      {{{"skills", Json::array({{{"code", "retail"}}})}, {"version", 1}},
       422,
       "skills[0].proficiency",
       "is required"},
      {{{"skills", Json::array({{{"code", "retail"}, {"proficiency", 1}, {"level", 2}}})},
        {"version", 1}},
       422,
       "skills[0].level",
       "unknown field"},
      {{{"skills", Json::array({"retail"})}, {"version", 1}},
       422,
       "skills[0]",
       "must be an object"},
      {{{"skills", "retail"}, {"version", 1}},
       422,
       "skills",
       "must be an array of {\"code\", \"proficiency\"} objects"},
      {{{"skills", Json::array()}}, 422, "version", "is required"},
      {{{"skills", Json::array()}, {"version", 1}, {"team_code", "t_b"}},
       422,
       "team_code",
       "unknown field"},
      {{{"skills", Json::array({{{"code", "nope"}, {"proficiency", 1}}})}, {"version", 1}},
       422,
       "skills",
       "unknown skill 'nope'"},
      {{{"skills", Json::array()}, {"version", 7}}, 409, "", ""},
  };
  for (const auto& bad : bads) {
    Reply reply = put(target, bad.body);
    EXPECT_EQ(reply.status, bad.status) << bad.body.dump() << " -> " << reply.response.body;
    if (!bad.field.empty()) {
      EXPECT_EQ(reply.fieldMessage(bad.field), bad.message) << reply.response.body;
    }
  }
  EXPECT_EQ(put("/api/v1/agents/9999/skills", skillsBody(1, 1)).status, 404);
  EXPECT_EQ(get("/api/v1/agents/9999/skills").status, 404);
  EXPECT_EQ(send("PUT", target, "{\"skills\": [}").status, 400);
  EXPECT_EQ(get(target).body["version"], 1);
  EXPECT_TRUE(audits().empty());
  EXPECT_TRUE(sink_.events.empty());
}

TEST_P(OrgAgentsTest, LargeChangesAreAuditedInShortForm) {
  // A hundred skills with the longest codes: the change is far larger than an audit record
  // may hold, yet it is a valid change and must be recorded, not refused.
  Json skills = Json::array();
  for (int i = 0; i < 100; ++i) {
    const std::string code = fmt::format("skill_{:026d}", i);
    ASSERT_TRUE(isOk(store::createSkill(session(), clock_, {0, code, "技能", "Skill"})));
    skills.push_back({{"code", code}, {"proficiency", 1 + i % 5}});
  }
  Reply changed = put("/api/v1/agents/1001/skills", {{"skills", skills}, {"version", 1}});
  ASSERT_EQ(changed.status, 200) << changed.response.body.substr(0, 300);
  EXPECT_EQ(changed.body["skills"].size(), 100u);
  const auto records = withAction(audits(), "agent.skills_changed");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(Json::parse(records[0].details)["skills"].contains("omitted_bytes"));
}

TEST_P(OrgAgentsTest, TeamIsOptionalAndReferencesAreChecked) {
  const Json body = {{"agent_no", "2001"},
                     {"name", "王芳"},
                     {"languages", Json::array({"zh", "yue"})},
                     {"team_code", "t_a"},
                     {"username", "u4"}};
  Reply created = post("/api/v1/agents", body);
  ASSERT_EQ(created.status, 201) << created.response.body;
  EXPECT_EQ(created.body["team_code"], "t_a");
  EXPECT_EQ(created.body["skills"], Json::array());
  EXPECT_EQ(created.body["languages"], Json::array({"zh", "yue"}));
  Reply noTeam = patch("/api/v1/agents/2001", {{"team_code", nullptr}, {"version", 1}});
  ASSERT_EQ(noTeam.status, 200) << noTeam.response.body;
  EXPECT_TRUE(noTeam.body["team_code"].is_null());

  const std::size_t auditsBefore = audits().size();
  createUser("u5");
  Json other = body;
  other["agent_no"] = "2002";
  other["username"] = "u5";
  other["team_code"] = "nope";
  EXPECT_EQ(post("/api/v1/agents", other).fieldMessage("team_code"), "unknown team 'nope'");
  other["team_code"] = "t_a";
  other["skills"] = Json::array({{{"code", "nope"}, {"proficiency", 2}}});
  EXPECT_EQ(post("/api/v1/agents", other).fieldMessage("skills"), "unknown skill 'nope'");
  other.erase("skills");
  other["username"] = "u4";  // already acts as agent 2001
  Reply taken = post("/api/v1/agents", other);
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(taken.errorCode(), "conflict");
  other["languages"] = Json::array();
  EXPECT_EQ(post("/api/v1/agents", other).status, 422);
  EXPECT_EQ(get("/api/v1/agents/2002").status, 404);
  EXPECT_EQ(audits().size(), auditsBefore);
}

BANKCC_STORE_BACKENDS(OrgAgentsTest);

class OrgUsersTest : public OrgApiTest {
 protected:
  /// Opens a session for `username`; returns its token hash.
  std::string openSession(const std::string& username, const std::string& id) {
    auto user = store::getUser(session(), username);
    EXPECT_TRUE(isOk(user));
    store::SessionRecord s;
    s.id = id;
    s.tokenHash = std::string(63, 'a') + id.back();
    s.csrfHash = std::string(64, 'c');
    s.userId = user.ok() ? user->id : 0;
    s.createdAt = s.lastActivityAt = clock_.now();
    s.expiresAt = clock_.now() + std::chrono::hours{8};
    s.sourceAddress = "192.0.2.1";
    EXPECT_TRUE(isOk(store::createSession(session(), s)));
    return s.tokenHash;
  }
  bool sessionAlive(const std::string& tokenHash) {
    return store::findSession(session(), tokenHash, clock_.now()).ok();
  }
};

TEST_P(OrgUsersTest, CreatesUserWithInitialPasswordThatMustBeChanged) {
  const std::string password = "Corr3ct-Horse-Battery";
  Reply created = post("/api/v1/users", {{"username", "zhang.wei"},
                                         {"display_name", "张伟"},
                                         {"roles", Json::array({"supervisor", "agent"})},
                                         {"password", password}});
  ASSERT_EQ(created.status, 201) << created.response.body;
  EXPECT_EQ(created.header("Location"), "/api/v1/users/zhang.wei");
  EXPECT_EQ(created.body["has_password"], true);
  EXPECT_EQ(created.body["must_change_password"], true);
  EXPECT_EQ(created.body["locked"], false);
  EXPECT_EQ(created.body["roles"], Json::array({"agent", "supervisor"}));
  EXPECT_FALSE(created.body.contains("password"));
  EXPECT_FALSE(created.body.contains("password_hash"));
  EXPECT_EQ(created.response.body.find(password), std::string::npos);
  EXPECT_EQ(get("/api/v1/users/zhang.wei").body, created.body);

  auto stored = store::getUser(session(), "zhang.wei");
  ASSERT_TRUE(isOk(stored));
  ASSERT_TRUE(stored->passwordHash.has_value());
  EXPECT_TRUE(hasher_.verify(*stored->passwordHash, password));

  const auto records = audits();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action, "user.created");
  EXPECT_EQ(records[0].details.find(password), std::string::npos);
  EXPECT_EQ(records[0].details.find("$argon2"), std::string::npos);
  EXPECT_EQ(Json::parse(records[0].details)["has_password"], true);
  ASSERT_EQ(sink_.configChanges().size(), 1u);
  EXPECT_EQ(sink_.configChanges()[0].kind, "user");
  EXPECT_EQ(sink_.configChanges()[0].code, "zhang.wei");

  // A password is set through its own endpoints, never by PUT or PATCH.
  Json replacement = created.body;
  replacement["password"] = "An0ther-Secret-Phrase";
  EXPECT_FALSE(put("/api/v1/users/zhang.wei", replacement).fieldMessage("password").empty());
  EXPECT_EQ(patch("/api/v1/users/zhang.wei",
                  {{"password", "An0ther-Secret-Phrase"}, {"version", created.body["version"]}})
                .status,
            422);
  EXPECT_EQ(audits().size(), 1u);
}

TEST_P(OrgUsersTest, RefusesWeakPasswordsAndUnknownRolesWritingNothing) {
  Reply weak = post("/api/v1/users", {{"username", "li.na"},
                                      {"display_name", "李娜"},
                                      {"roles", Json::array({"agent"})},
                                      {"password", "short"}});
  EXPECT_EQ(weak.status, 422);
  EXPECT_FALSE(weak.fieldMessage("password").empty()) << weak.response.body;
  EXPECT_EQ(weak.response.body.find("\"short\""), std::string::npos);

  Reply wizard = post("/api/v1/users", {{"username", "li.na"},
                                        {"display_name", "李娜"},
                                        {"roles", Json::array({"wizard"})},
                                        {"password", "Corr3ct-Horse-Battery"}});
  EXPECT_EQ(wizard.status, 422);
  EXPECT_FALSE(wizard.fieldMessage("roles").empty()) << wizard.response.body;

  EXPECT_EQ(
      post("/api/v1/users",
           {{"username", "Li Na"}, {"display_name", "李娜"}, {"roles", Json::array({"agent"})}})
          .fieldMessage("username")
          .empty(),
      false);
  EXPECT_EQ(get("/api/v1/users/li.na").status, 404);
  EXPECT_TRUE(audits().empty());
  EXPECT_TRUE(sink_.events.empty());
}

TEST_P(OrgUsersTest, ShowsCredentialFlags) {
  ASSERT_EQ(post("/api/v1/users", {{"username", "li.na"},
                                   {"display_name", "李娜"},
                                   {"roles", Json::array({"agent"})},
                                   {"active", false}})
                .status,
            201);
  Reply read = get("/api/v1/users/li.na");
  EXPECT_EQ(read.body["has_password"], false);
  EXPECT_EQ(read.body["must_change_password"], false);
  EXPECT_EQ(read.body["locked"], false);
  EXPECT_EQ(read.body["active"], false);

  ASSERT_TRUE(isOk(store::recordLoginFailure(session(), clock_, "li.na", 1, 30min)));
  EXPECT_EQ(get("/api/v1/users/li.na").body["locked"], true);
  Reply list = get("/api/v1/users?active=false");
  ASSERT_EQ(list.body["items"].size(), 1u);
  EXPECT_EQ(list.body["items"][0]["locked"], true);
  clock_.advance(31min);
  EXPECT_EQ(get("/api/v1/users/li.na").body["locked"], false);
}

TEST_P(OrgUsersTest, DisablingAUserOrChangingRolesEndsTheirSessions) {
  ASSERT_EQ(
      post("/api/v1/users",
           {{"username", "li.na"}, {"display_name", "李娜"}, {"roles", Json::array({"agent"})}})
          .status,
      201);
  const std::string first = openSession("li.na", "0190c0de-0000-7000-8000-0000000000a1");
  const std::string second = openSession("li.na", "0190c0de-0000-7000-8000-0000000000a2");

  // A new display name leaves sessions alone.
  ASSERT_EQ(patch("/api/v1/users/li.na", {{"display_name", "李娜 (QA)"}, {"version", 1}}).status,
            200);
  EXPECT_TRUE(sessionAlive(first));
  EXPECT_TRUE(sessionAlive(second));

  // New roles apply now: every session ends.
  Reply roles =
      patch("/api/v1/users/li.na", {{"roles", Json::array({"agent", "qa"})}, {"version", 2}});
  ASSERT_EQ(roles.status, 200) << roles.response.body;
  EXPECT_FALSE(sessionAlive(first));
  EXPECT_FALSE(sessionAlive(second));
  EXPECT_EQ(
      Json::parse(withAction(audits(), "user.updated").back().details),
      (Json{{"roles", {{"from", Json::array({"agent"})}, {"to", Json::array({"agent", "qa"})}}}}));

  const std::string third = openSession("li.na", "0190c0de-0000-7000-8000-0000000000a3");
  ASSERT_EQ(post("/api/v1/users/li.na/disable", {{"version", 3}}).status, 200);
  EXPECT_FALSE(sessionAlive(third));
  EXPECT_EQ(withAction(audits(), "user.disabled").size(), 1u);
}

TEST_P(OrgUsersTest, NobodyLocksThemselvesOut) {
  createUser("admin", {"admin"});
  const std::string own = openSession("admin", admin_.sessionId);
  const std::string other = openSession("admin", "0190c0de-0000-7000-8000-0000000000b2");

  Reply disable = post("/api/v1/users/admin/disable", {{"version", 1}});
  EXPECT_EQ(disable.status, 422);
  EXPECT_EQ(disable.fieldMessage("active"), "you cannot disable your own account");
  Json whole = get("/api/v1/users/admin").body;
  whole["active"] = false;
  EXPECT_EQ(put("/api/v1/users/admin", whole).fieldMessage("active"),
            "you cannot disable your own account");
  Reply demote =
      patch("/api/v1/users/admin", {{"roles", Json::array({"supervisor"})}, {"version", 1}});
  EXPECT_EQ(demote.status, 422);
  EXPECT_EQ(demote.fieldMessage("roles"), "you cannot remove the admin role from your own account");
  EXPECT_TRUE(audits().empty());
  EXPECT_TRUE(sessionAlive(own));

  // Adding a role to oneself is fine; the caller's own session stays, the others end.
  Reply more =
      patch("/api/v1/users/admin", {{"roles", Json::array({"admin", "qa"})}, {"version", 1}});
  ASSERT_EQ(more.status, 200) << more.response.body;
  EXPECT_TRUE(sessionAlive(own));
  EXPECT_FALSE(sessionAlive(other));
  EXPECT_EQ(get("/api/v1/users/admin").body["active"], true);

  // Someone else may disable this admin.
  const Principal second = makePrincipal("root2", {"admin"});
  Reply byOther = post("/api/v1/users/admin/disable", {{"version", 2}}, &second);
  ASSERT_EQ(byOther.status, 200) << byOther.response.body;
  EXPECT_FALSE(sessionAlive(own));
}

BANKCC_STORE_BACKENDS(OrgUsersTest);

}  // namespace
}  // namespace bankcc::api::testing
