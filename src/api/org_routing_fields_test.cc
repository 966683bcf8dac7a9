// SPDX-License-Identifier: Apache-2.0
// What call control needs from queues and agents, through REST: the routing fields of a queue
// (skill needs, numbers, policy, limits, overflow steps, ring and wrap-up times, prompts) and an
// agent's extensions; the older code-only "skills" of a queue; the queue's service-level
// variant (decision 0026); bad input of every kind as 422 naming the field, never 500.

#include <string>
#include <vector>

#include "api/org_routes_test_support.h"
#include "store/phones.h"

namespace bankcc::api::testing {
namespace {

using store::testing::isOk;

class OrgRoutingTest : public OrgApiTest {
 protected:
  void SetUp() override {
    OrgApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* code : {"vip", "english"}) {
      ASSERT_TRUE(isOk(store::createSkill(session(), clock_, {0, code, "技能", "Skill"})));
    }
  }

  static Json queueBody(const std::string& code) {
    return Json{{"code", code}, {"name_zh", "零售"}, {"name_en", "Retail"}};
  }

  /// A queue with every routing field set.
  static Json fullQueue(const std::string& code) {
    Json q = queueBody(code);
    q["skill_needs"] = Json::array({{{"skill", "vip"}, {"min_proficiency", 4}},
                                    {{"skill", "retail"}, {"min_proficiency", 2}}});
    q["dnis"] = Json::array({"95588", "+862195588"});
    q["language"] = "zh";
    q["routing_policy"] = "most_skilled";
    q["aging_seconds"] = 30;
    q["max_size"] = 50;
    q["max_wait_seconds"] = 600;
    q["fallback"] = "voicemail";
    q["overflow_steps"] =
        Json::array({{{"after_seconds", 30}, {"kind", "widen"}, {"min_proficiency", 3}},
                     {{"after_seconds", 90}, {"kind", "move_to"}, {"target", "retail_zh"}},
                     {{"after_seconds", 300}, {"kind", "leave_to"}, {"target", "+8613800138000"}}});
    q["ring_timeout_seconds"] = 15;
    q["wrap_up_seconds"] = 30;
    q["ready_after_wrap_up"] = false;
    q["music"] = "vip_music";
    q["closed_prompt"] = "vip_closed";
    q["average_handle_seconds"] = 300;
    return q;
  }

  /// Posts `body` (a change of fullQueue("vip_zh")) and expects a 422 naming `field`.
  void expectRefused(const Json& body, const std::string& field, const std::string& text = "") {
    Reply r = post("/api/v1/queues", body);
    EXPECT_EQ(r.status, 422) << field << ": " << r.response.body;
    EXPECT_EQ(r.errorCode(), "validation_failed") << r.response.body;
    const std::string message = r.fieldMessage(field);
    EXPECT_FALSE(message.empty()) << field << " not named in " << r.response.body;
    EXPECT_NE(message.find(text), std::string::npos) << message;
  }
};

TEST_P(OrgRoutingTest, QueueCarriesEveryRoutingField) {
  ASSERT_EQ(post("/api/v1/queues", queueBody("retail_zh")).status, 201);
  Reply created = post("/api/v1/queues", fullQueue("vip_zh"));
  ASSERT_EQ(created.status, 201) << created.response.body;
  const Json& q = created.body;
  EXPECT_EQ(q["skill_needs"], Json::array({{{"skill", "retail"}, {"min_proficiency", 2}},
                                           {{"skill", "vip"}, {"min_proficiency", 4}}}));
  EXPECT_EQ(q["skills"], Json::array({"retail", "vip"}));
  EXPECT_EQ(q["dnis"], Json::array({"+862195588", "95588"}));
  EXPECT_EQ(q["language"], "zh");
  EXPECT_EQ(q["routing_policy"], "most_skilled");
  EXPECT_EQ(q["aging_seconds"], 30);
  EXPECT_EQ(q["max_size"], 50);
  EXPECT_EQ(q["max_wait_seconds"], 600);
  EXPECT_EQ(q["fallback"], "voicemail");
  EXPECT_EQ(q["overflow_steps"], fullQueue("x")["overflow_steps"]);
  EXPECT_EQ(q["ring_timeout_seconds"], 15);
  EXPECT_EQ(q["wrap_up_seconds"], 30);
  EXPECT_EQ(q["ready_after_wrap_up"], false);
  EXPECT_EQ(q["music"], "vip_music");
  EXPECT_EQ(q["closed_prompt"], "vip_closed");
  EXPECT_EQ(q["average_handle_seconds"], 300);
  EXPECT_EQ(get("/api/v1/queues/vip_zh").body, q);
  // The audit record of the creation holds the routing fields too.
  const auto records = audits();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(Json::parse(records.back().details)["dnis"], q["dnis"]);
}

TEST_P(OrgRoutingTest, DefaultsAndTheOlderSkillsList) {
  Json body = queueBody("retail_zh");
  body["skills"] = Json::array({"retail"});
  Reply created = post("/api/v1/queues", body);
  ASSERT_EQ(created.status, 201) << created.response.body;
  const Json& q = created.body;
  EXPECT_EQ(q["skill_needs"], Json::array({{{"skill", "retail"}, {"min_proficiency", 1}}}));
  EXPECT_EQ(q["skills"], Json::array({"retail"}));
  EXPECT_EQ(q["dnis"], Json::array());
  EXPECT_EQ(q["language"], nullptr);
  EXPECT_EQ(q["routing_policy"], "longest_idle");
  EXPECT_EQ(q["aging_seconds"], 60);
  EXPECT_EQ(q["max_size"], 0);
  EXPECT_EQ(q["max_wait_seconds"], 0);
  EXPECT_EQ(q["fallback"], nullptr);
  EXPECT_EQ(q["overflow_steps"], Json::array());
  EXPECT_EQ(q["ring_timeout_seconds"], 20);
  EXPECT_EQ(q["wrap_up_seconds"], 15);
  EXPECT_EQ(q["ready_after_wrap_up"], true);
  EXPECT_EQ(q["music"], "moh");
  EXPECT_EQ(q["closed_prompt"], "queue_closed");
  EXPECT_EQ(q["average_handle_seconds"], 180);
  // No skills at all is allowed on create (call control routes only queues with some).
  Reply bare = post("/api/v1/queues", queueBody("bare"));
  ASSERT_EQ(bare.status, 201) << bare.response.body;
  EXPECT_EQ(bare.body["skill_needs"], Json::array());
}

TEST_P(OrgRoutingTest, SkillsAndSkillNeedsTogether) {
  Json body = queueBody("retail_zh");
  body["skill_needs"] = Json::array({{{"skill", "retail"}, {"min_proficiency", 3}}});
  Reply created = post("/api/v1/queues", body);
  ASSERT_EQ(created.status, 201) << created.response.body;

  // PUT of what GET gave with skill_needs changed (skills echoed as they were): the change.
  Json replacement = created.body;
  replacement["skill_needs"] = Json::array(
      {{{"skill", "retail"}, {"min_proficiency", 3}}, {{"skill", "vip"}, {"min_proficiency", 5}}});
  Reply put1 = put("/api/v1/queues/retail_zh", replacement);
  ASSERT_EQ(put1.status, 200) << put1.response.body;
  EXPECT_EQ(put1.body["skills"], Json::array({"retail", "vip"}));

  // PATCH of the older skills alone: kept skills keep their proficiency, new ones get 1.
  Reply patched =
      patch("/api/v1/queues/retail_zh", {{"skills", {"retail", "english"}}, {"version", 2}});
  ASSERT_EQ(patched.status, 200) << patched.response.body;
  EXPECT_EQ(patched.body["skill_needs"],
            Json::array({{{"skill", "english"}, {"min_proficiency", 1}},
                         {{"skill", "retail"}, {"min_proficiency", 3}}}));
  // PATCH of skill_needs alone.
  Reply patched2 = patch("/api/v1/queues/retail_zh",
                         {{"skill_needs", Json::array({{{"skill", "vip"}}})}, {"version", 3}});
  ASSERT_EQ(patched2.status, 200) << patched2.response.body;
  EXPECT_EQ(patched2.body["skill_needs"],
            Json::array({{{"skill", "vip"}, {"min_proficiency", 1}}}));
  EXPECT_EQ(patched2.body["skills"], Json::array({"vip"}));

  // Both changed, naming different skills: refused, nothing written.
  Json both = patched2.body;
  both["skills"] = Json::array({"retail"});
  both["skill_needs"] = Json::array({{{"skill", "english"}, {"min_proficiency", 2}}});
  Reply conflicting = put("/api/v1/queues/retail_zh", both);
  EXPECT_EQ(conflicting.status, 422);
  EXPECT_NE(conflicting.fieldMessage("skills").find("skill_needs"), std::string::npos)
      << conflicting.response.body;
  Json created2 = queueBody("q2");
  created2["skills"] = Json::array({"retail"});
  created2["skill_needs"] = Json::array({{{"skill", "vip"}}});
  EXPECT_EQ(post("/api/v1/queues", created2).status, 422);
  EXPECT_EQ(get("/api/v1/queues/retail_zh").body["version"], 4);
}

TEST_P(OrgRoutingTest, BadRoutingInputIs422NamingTheField) {
  ASSERT_EQ(post("/api/v1/queues", queueBody("retail_zh")).status, 201);
  struct Case {
    std::string field;
    Json value;
    std::string top;  // the body field to set
    std::string text;
  };
  const std::vector<Case> cases = {
      // wrong types
      {"dnis", "95588", "dnis", "array"},
      {"dnis[0]", Json::array({95588}), "dnis", ""},
      {"routing_policy", 5, "routing_policy", ""},
      {"routing_policy", "fastest", "routing_policy", "longest_idle, most_skilled or round_robin"},
      {"overflow_steps", Json::object(), "overflow_steps", "array"},
      {"overflow_steps[0]", Json::array({"widen"}), "overflow_steps", "object"},
      {"ready_after_wrap_up", "yes", "ready_after_wrap_up", "true or false"},
      {"skill_needs", "retail", "skill_needs", "array"},
      {"skill_needs[0]", Json::array({"retail"}), "skill_needs", "object"},
      {"skill_needs[0].min_proficiency",
       Json::array({{{"skill", "retail"}, {"min_proficiency", "2"}}}), "skill_needs", "integer"},
      {"language", 7, "language", ""},
      {"fallback", Json::array(), "fallback", ""},
      // out of range
      {"ring_timeout_seconds", 4, "ring_timeout_seconds", "between 5 and 120"},
      {"ring_timeout_seconds", 121, "ring_timeout_seconds", ""},
      {"wrap_up_seconds", 1801, "wrap_up_seconds", ""},
      {"aging_seconds", -1, "aging_seconds", ""},
      {"max_size", 100001, "max_size", ""},
      {"max_wait_seconds", 86401, "max_wait_seconds", ""},
      {"average_handle_seconds", 0, "average_handle_seconds", ""},
      {"skill_needs[0].min_proficiency",
       Json::array({{{"skill", "retail"}, {"min_proficiency", 6}}}), "skill_needs", ""},
      {"overflow_steps[0].after_seconds",
       Json::array({{{"after_seconds", 0}, {"kind", "widen"}, {"min_proficiency", 1}}}),
       "overflow_steps", ""},
      // values the store refuses
      {"dnis[1]", Json::array({"95588", "95x"}), "dnis", "'95x' is not a phone number"},
      {"dnis[1]", Json::array({"95588", "95588"}), "dnis", "listed twice"},
      {"language", "Chinese", "language", "language tag"},
      {"fallback", "voice mail", "fallback", "not a destination"},
      {"music", "../moh", "music", "prompt name"},
      {"skill_needs", Json::array({{{"skill", "mortgage"}}}), "skill_needs",
       "unknown skill 'mortgage'"},
      {"skill_needs", Json::array({{{"skill", "vip"}}, {{"skill", "vip"}}}), "skill_needs",
       "listed twice"},
      {"skills", Json::array({"mortgage"}), "skills", ""},  // see below: named skill_needs
      // steps
      {"overflow_steps[1].after_seconds",
       Json::array({{{"after_seconds", 60}, {"kind", "widen"}, {"min_proficiency", 1}},
                    {{"after_seconds", 60}, {"kind", "leave_to"}, {"target", "voicemail"}}}),
       "overflow_steps", "greater than the previous step's"},
      {"overflow_steps[0].kind", Json::array({{{"after_seconds", 60}, {"kind", "jump"}}}),
       "overflow_steps", "widen, move_to or leave_to"},
      {"overflow_steps[0].min_proficiency",
       Json::array({{{"after_seconds", 60}, {"kind", "widen"}}}), "overflow_steps", "is required"},
      {"overflow_steps[0].target",
       Json::array({{{"after_seconds", 60},
                     {"kind", "widen"},
                     {"min_proficiency", 1},
                     {"target", "retail_zh"}}}),
       "overflow_steps", "no target"},
      {"overflow_steps[0].target", Json::array({{{"after_seconds", 60}, {"kind", "move_to"}}}),
       "overflow_steps", "is required"},
      {"overflow_steps[0].min_proficiency",
       Json::array({{{"after_seconds", 60},
                     {"kind", "move_to"},
                     {"target", "retail_zh"},
                     {"min_proficiency", 2}}}),
       "overflow_steps", "only widen"},
      {"overflow_steps[0].target",
       Json::array({{{"after_seconds", 60}, {"kind", "move_to"}, {"target", "nowhere"}}}),
       "overflow_steps", "unknown queue 'nowhere'"},
      {"overflow_steps[0].target",
       Json::array({{{"after_seconds", 60}, {"kind", "move_to"}, {"target", "vip_zh"}}}),
       "overflow_steps", "cannot move calls to itself"},
      {"overflow_steps[0].priority",
       Json::array(
           {{{"after_seconds", 60}, {"kind", "widen"}, {"min_proficiency", 1}, {"priority", 2}}}),
       "overflow_steps", "unknown"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field + " = " + c.value.dump());
    Json body = fullQueue("vip_zh");
    body.erase("overflow_steps");  // its move_to would be a second problem in some cases
    if (c.top == "skills") body.erase("skill_needs");
    body[c.top] = c.value;
    if (c.top == "skills") {
      expectRefused(body, "skill_needs", "unknown skill 'mortgage'");
    } else {
      expectRefused(body, c.field, c.text);
    }
  }
  EXPECT_EQ(get("/api/v1/queues/vip_zh").status, 404) << "nothing written";
  Json tooLate = fullQueue("vip_zh");
  tooLate["max_wait_seconds"] = 200;
  expectRefused(tooLate, "overflow_steps[2].after_seconds", "after max_wait_seconds");
}

TEST_P(OrgRoutingTest, ANumberReachesOneQueueOnly) {
  Json a = queueBody("retail_zh");
  a["dnis"] = Json::array({"95588"});
  ASSERT_EQ(post("/api/v1/queues", a).status, 201);
  Json b = queueBody("retail_en");
  b["dnis"] = Json::array({"4008895588", "95588"});
  Reply taken = post("/api/v1/queues", b);
  EXPECT_EQ(taken.status, 409) << taken.response.body;
  EXPECT_EQ(taken.errorCode(), "conflict");
  EXPECT_NE(taken.response.body.find("dnis[1]: '95588' already reaches queue 'retail_zh'"),
            std::string::npos)
      << taken.response.body;
  EXPECT_EQ(get("/api/v1/queues/retail_en").status, 404);
}

TEST_P(OrgRoutingTest, AReplacementStatesTheRoutingSettings) {
  ASSERT_EQ(post("/api/v1/queues", queueBody("retail_zh")).status, 201);
  ASSERT_EQ(post("/api/v1/queues", fullQueue("vip_zh")).status, 201);
  Json old = queueBody("vip_zh");
  old["skills"] = Json::array({"retail"});
  old["service_level_target"] = 80;
  old["service_level_threshold_seconds"] = 20;
  old["short_abandon_seconds"] = 5;
  old["version"] = 1;
  Reply r = put("/api/v1/queues/vip_zh", old);
  EXPECT_EQ(r.status, 422);
  for (const char* field :
       {"dnis", "routing_policy", "aging_seconds", "max_size", "max_wait_seconds", "overflow_steps",
        "ring_timeout_seconds", "wrap_up_seconds", "ready_after_wrap_up", "music", "closed_prompt",
        "average_handle_seconds"}) {
    EXPECT_EQ(r.fieldMessage(field), "is required") << field;
  }
  // language and fallback are optional: null clears them (merge patch).
  Reply cleared =
      patch("/api/v1/queues/vip_zh", {{"language", nullptr}, {"fallback", ""}, {"version", 1}});
  ASSERT_EQ(cleared.status, 200) << cleared.response.body;
  EXPECT_EQ(cleared.body["language"], nullptr);
  EXPECT_EQ(cleared.body["fallback"], nullptr);
  EXPECT_EQ(cleared.body["dnis"], Json::array({"+862195588", "95588"}));
}

TEST_P(OrgRoutingTest, ServiceLevelVariantIsAQueueSetting) {
  // Optional on create: abandons_against (DOMAIN.md's formula) unless stated.
  Reply plain = post("/api/v1/queues", queueBody("retail_zh"));
  ASSERT_EQ(plain.status, 201) << plain.response.body;
  EXPECT_EQ(plain.body["service_level_variant"], "abandons_against");
  Json body = queueBody("vip_zh");
  body["service_level_variant"] = "ignore_abandons";
  Reply created = post("/api/v1/queues", body);
  ASSERT_EQ(created.status, 201) << created.response.body;
  EXPECT_EQ(created.body["service_level_variant"], "ignore_abandons");
  EXPECT_EQ(get("/api/v1/queues/vip_zh").body["service_level_variant"], "ignore_abandons");
  EXPECT_EQ(Json::parse(audits().back().details)["service_level_variant"], "ignore_abandons");

  // PUT of what GET gave, changed; a merge patch that does not name it keeps it.
  Json replacement = get("/api/v1/queues/vip_zh").body;
  replacement["service_level_variant"] = "abandons_in_favour";
  Reply replaced = put("/api/v1/queues/vip_zh", replacement);
  ASSERT_EQ(replaced.status, 200) << replaced.response.body;
  EXPECT_EQ(replaced.body["service_level_variant"], "abandons_in_favour");
  EXPECT_NE(audits().back().details.find("service_level_variant"), std::string::npos)
      << audits().back().details;
  Reply renamed = patch("/api/v1/queues/vip_zh", {{"name_en", "VIP"}, {"version", 2}});
  ASSERT_EQ(renamed.status, 200) << renamed.response.body;
  EXPECT_EQ(renamed.body["service_level_variant"], "abandons_in_favour");
  Reply patched = patch("/api/v1/queues/vip_zh",
                        {{"service_level_variant", "ignore_abandons"}, {"version", 3}});
  ASSERT_EQ(patched.status, 200) << patched.response.body;
  EXPECT_EQ(patched.body["service_level_variant"], "ignore_abandons");
  // null (a merge patch removing it) or a replacement without it: the default.
  Reply reset =
      patch("/api/v1/queues/vip_zh", {{"service_level_variant", nullptr}, {"version", 4}});
  ASSERT_EQ(reset.status, 200) << reset.response.body;
  EXPECT_EQ(reset.body["service_level_variant"], "abandons_against");
  Json withVariant = reset.body;
  withVariant["service_level_variant"] = "ignore_abandons";
  ASSERT_EQ(put("/api/v1/queues/vip_zh", withVariant).status, 200);
  Json without = get("/api/v1/queues/vip_zh").body;
  without.erase("service_level_variant");
  Reply omitted = put("/api/v1/queues/vip_zh", without);
  ASSERT_EQ(omitted.status, 200) << omitted.response.body;
  EXPECT_EQ(omitted.body["service_level_variant"], "abandons_against");
  EXPECT_EQ(omitted.body["version"], 7);

  // Anything else is a 422 naming the field, on every write, and nothing changes.
  for (const Json& bad : {Json("abandons_in_favor"), Json("IGNORE_ABANDONS"), Json(""), Json(2),
                          Json(std::string(40, 'x'))}) {
    SCOPED_TRACE(bad.dump());
    Json b = queueBody("bad_q");
    b["service_level_variant"] = bad;
    // The others are refused before the name is looked at: type, empty, length.
    const bool unknownName = bad == "abandons_in_favor" || bad == "IGNORE_ABANDONS";
    expectRefused(b, "service_level_variant",
                  unknownName ? "ignore_abandons, abandons_against or abandons_in_favour" : "");
    Json r = get("/api/v1/queues/vip_zh").body;
    r["service_level_variant"] = bad;
    Reply refusedPut = put("/api/v1/queues/vip_zh", r);
    EXPECT_EQ(refusedPut.status, 422) << refusedPut.response.body;
    EXPECT_FALSE(refusedPut.fieldMessage("service_level_variant").empty())
        << refusedPut.response.body;
    Reply refusedPatch =
        patch("/api/v1/queues/vip_zh", {{"service_level_variant", bad}, {"version", 7}});
    EXPECT_EQ(refusedPatch.status, 422) << refusedPatch.response.body;
    EXPECT_FALSE(refusedPatch.fieldMessage("service_level_variant").empty())
        << refusedPatch.response.body;
  }
  EXPECT_EQ(get("/api/v1/queues/bad_q").status, 404);
  EXPECT_EQ(get("/api/v1/queues/vip_zh").body["version"], 7);
  EXPECT_EQ(get("/api/v1/queues/vip_zh").body["service_level_variant"], "abandons_against");
}

TEST_P(OrgRoutingTest, AgentExtensionsWithThePhonesAutoAnswer) {
  createUser("u1");
  createUser("u2");
  ASSERT_TRUE(isOk(store::upsertPhone(
      session(), clock_,
      store::Phone{.extension = "8001", .realm = "bankcc", .ha1Sealed = "x", .autoAnswer = true})));
  Json agent = {
      {"agent_no", "1001"},
      {"name", "张伟"},
      {"languages", {"zh"}},
      {"username", "u1"},
      {"extensions", Json::array({"8002", {{"extension", "8001"}, {"auto_answer", false}}})}};
  Reply created = post("/api/v1/agents", agent);
  ASSERT_EQ(created.status, 201) << created.response.body;
  EXPECT_EQ(created.body["extensions"],
            Json::array({{{"extension", "8001"}, {"auto_answer", true}},
                         {{"extension", "8002"}, {"auto_answer", false}}}));
  // What GET gave goes back unchanged; the skills route keeps the extensions.
  Reply replaced = put("/api/v1/agents/1001", get("/api/v1/agents/1001").body);
  ASSERT_EQ(replaced.status, 200) << replaced.response.body;
  EXPECT_EQ(replaced.body["extensions"], created.body["extensions"]);
  Reply skills =
      put("/api/v1/agents/1001/skills",
          {{"skills", Json::array({{{"code", "retail"}, {"proficiency", 2}}})}, {"version", 2}});
  ASSERT_EQ(skills.status, 200) << skills.response.body;
  EXPECT_EQ(get("/api/v1/agents/1001").body["extensions"], created.body["extensions"]);

  Json other = {{"agent_no", "1002"},
                {"name", "王芳"},
                {"languages", {"zh"}},
                {"username", "u2"},
                {"extensions", {"8002"}}};
  Reply taken = post("/api/v1/agents", other);
  EXPECT_EQ(taken.status, 409) << taken.response.body;
  EXPECT_NE(taken.response.body.find("extension '8002' belongs to agent '1001'"),
            std::string::npos);
  for (const auto& [value, field] : std::vector<std::pair<Json, std::string>>{
           {"8003", "extensions"},
           {Json::array({8003}), "extensions[0]"},
           {Json::array({"80a3"}), "extensions[0]"},
           {Json::array({"8003", "8003"}), "extensions[1]"},
           {Json::array({{{"number", "8003"}}}), "extensions[0].extension"},
           {Json::array({{{"extension", "8003"}, {"line", 1}}}), "extensions[0].line"}}) {
    other["extensions"] = value;
    Reply bad = post("/api/v1/agents", other);
    EXPECT_EQ(bad.status, 422) << value.dump() << " " << bad.response.body;
    EXPECT_FALSE(bad.fieldMessage(field).empty()) << field << " in " << bad.response.body;
  }
  // A replacement states the extensions.
  Json noExtensions = get("/api/v1/agents/1001").body;
  noExtensions.erase("extensions");
  EXPECT_EQ(put("/api/v1/agents/1001", noExtensions).fieldMessage("extensions"), "is required");
}

BANKCC_STORE_BACKENDS(OrgRoutingTest);

}  // namespace
}  // namespace bankcc::api::testing
