// SPDX-License-Identifier: Apache-2.0
#include "store/org_agents.h"

#include <gtest/gtest.h>

#include "store/org_skills.h"
#include "store/org_teams.h"
#include "store/org_users.h"
#include "store/phones.h"
#include "store/store_test_support.h"

namespace bankcc::store {
namespace {

using base::Errc;
using testing::failsWith;
using testing::isOk;
using testing::readAll;
using namespace std::chrono_literals;

class AgentsTest : public testing::MigratedStoreTest {
 protected:
  void SetUp() override {
    MigratedStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* code : {"retail", "credit_card", "wealth"}) {
      ASSERT_TRUE(isOk(createSkill(session(), clock_, Skill{0, code, "技能", "Skill"})));
    }
    Team team;
    team.code = "retail_a";
    team.name = "零售一组";
    ASSERT_TRUE(isOk(createTeam(session(), clock_, team)));
    for (int i = 1; i <= 9; ++i) addUser("agent" + std::to_string(i));
  }

  void addUser(const std::string& username) {
    User u;
    u.username = username;
    u.displayName = "座席";
    u.roles = {"agent"};
    ASSERT_TRUE(isOk(createUser(session(), clock_, u)));
  }

  Agent agent(std::string agentNo, std::string username) {
    Agent a;
    a.agentNo = std::move(agentNo);
    a.name = "王芳";
    a.languages = {"zh", "en"};
    a.teamCode = "retail_a";
    a.username = std::move(username);
    a.skills = {{"retail", 4}, {"credit_card", 2}};
    return a;
  }
};

TEST_P(AgentsTest, CreatesAndReadsAnAgent) {
  auto created = createAgent(session(), clock_, agent("1001", "agent1"));
  ASSERT_TRUE(isOk(created));
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->version, 1);
  EXPECT_TRUE(created->active);
  EXPECT_EQ(created->languages, (std::vector<std::string>{"zh", "en"}));  // order kept
  EXPECT_EQ(created->skills,
            (std::vector<AgentSkill>{{"credit_card", 2}, {"retail", 4}}));  // sorted by code
  EXPECT_EQ(created->createdAt, clock_.now());

  auto read = getAgent(session(), "1001");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->name, "王芳");
  EXPECT_EQ(read->teamCode, "retail_a");
  EXPECT_EQ(read->username, "agent1");
  EXPECT_EQ(read->skills, created->skills);
  EXPECT_TRUE(failsWith(getAgent(session(), "9999"), Errc::NotFound, "no agent '9999'"));
}

TEST_P(AgentsTest, TeamIsOptional) {
  Agent noTeam = agent("1001", "agent1");
  noTeam.teamCode.clear();
  noTeam.skills.clear();
  auto created = createAgent(session(), clock_, noTeam);
  ASSERT_TRUE(isOk(created));
  EXPECT_EQ(created->teamCode, "");
  EXPECT_TRUE(created->skills.empty());
}

TEST_P(AgentsTest, DuplicateAgentNumberIsAConflict) {
  ASSERT_TRUE(isOk(createAgent(session(), clock_, agent("1001", "agent1"))));
  EXPECT_TRUE(failsWith(createAgent(session(), clock_, agent("1001", "agent2")), Errc::Conflict,
                        "agent '1001' already exists"));
}

TEST_P(AgentsTest, AUserActsAsOneAgentOnly) {
  ASSERT_TRUE(isOk(createAgent(session(), clock_, agent("1001", "agent1"))));
  EXPECT_TRUE(failsWith(createAgent(session(), clock_, agent("1002", "agent1")), Errc::Conflict,
                        "username: user 'agent1' already acts as agent '1001'"));
}

TEST_P(AgentsTest, RejectsBadValuesNamingTheField) {
  const auto expectInvalid = [&](const Agent& a, const std::string& text) {
    EXPECT_TRUE(failsWith(createAgent(session(), clock_, a), Errc::ValidationFailed, text)) << text;
  };
  Agent a = agent("1001", "agent1");
  a.skills = {{"retail", 7}};
  expectInvalid(a, "skills: proficiency of 'retail' must be 1 to 5 (got 7)");
  a.skills = {{"retail", 0}};
  expectInvalid(a, "skills: proficiency of 'retail' must be 1 to 5 (got 0)");
  a.skills = {{"retail", 3}, {"retail", 4}};
  expectInvalid(a, "skills: 'retail' is listed twice");
  a.skills = {{"Retail", 3}};
  expectInvalid(a, "skills: must be 1-32 characters");
  a.skills = {{"mortgage", 3}};
  expectInvalid(a, "skills: unknown skill 'mortgage'");

  a = agent("1001", "agent1");
  a.teamCode = "retail_z";
  expectInvalid(a, "team_code: unknown team 'retail_z'");
  a = agent("1001", "ghost");
  expectInvalid(a, "username: unknown user 'ghost'");
  a = agent("", "agent1");
  expectInvalid(a, "agent_no:");
  a = agent("10 01", "agent1");
  expectInvalid(a, "agent_no:");
  a = agent("1001", "agent1");
  a.name = "";
  expectInvalid(a, "name: must not be empty");
  a.name = "王芳";
  a.languages = {};
  expectInvalid(a, "languages: must list 1 to 8 languages");
  a.languages = {"ZH"};
  expectInvalid(a, "languages: 'ZH' is not a lower-case language tag");
  a.languages = {"zh", "zh"};
  expectInvalid(a, "languages: 'zh' is listed twice");

  a.languages = {"zh", "yue", "zh-min", "en"};  // Mandarin, Cantonese, Min, English
  auto created = createAgent(session(), clock_, a);
  ASSERT_TRUE(isOk(created));
  EXPECT_EQ(created->languages, a.languages);
  auto counts = countOrganisation(session());
  ASSERT_TRUE(isOk(counts));
  EXPECT_EQ(counts->agents, 1);  // none of the rejected ones was half-written
}

TEST_P(AgentsTest, UpdatesEveryFieldWithTheExpectedVersion) {
  auto created = createAgent(session(), clock_, agent("1001", "agent1"));
  ASSERT_TRUE(isOk(created));
  clock_.advance(10s);
  Agent change = *created;
  change.name = "王芳芳";
  change.languages = {"en"};
  change.teamCode = "";
  change.username = "agent2";
  change.skills = {{"wealth", 5}};
  auto updated = updateAgent(session(), clock_, change);
  ASSERT_TRUE(isOk(updated));
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->name, "王芳芳");
  EXPECT_EQ(updated->languages, (std::vector<std::string>{"en"}));
  EXPECT_EQ(updated->teamCode, "");
  EXPECT_EQ(updated->username, "agent2");
  EXPECT_EQ(updated->skills, (std::vector<AgentSkill>{{"wealth", 5}}));
  EXPECT_EQ(updated->updatedAt, clock_.now());
  EXPECT_EQ(updated->createdAt, created->createdAt);

  EXPECT_TRUE(failsWith(updateAgent(session(), clock_, change), Errc::VersionMismatch,
                        "agent '1001' was changed meanwhile"));
  change.version = 2;
  change.skills = {{"wealth", 9}};
  EXPECT_TRUE(failsWith(updateAgent(session(), clock_, change), Errc::ValidationFailed,
                        "skills: proficiency"));
  change.skills = {{"nothing", 1}};
  EXPECT_TRUE(failsWith(updateAgent(session(), clock_, change), Errc::ValidationFailed,
                        "skills: unknown skill 'nothing'"));
  auto read = getAgent(session(), "1001");
  ASSERT_TRUE(isOk(read));
  EXPECT_EQ(read->version, 2);
  EXPECT_EQ(read->skills, (std::vector<AgentSkill>{{"wealth", 5}}));

  change.agentNo = "4040";
  change.skills.clear();
  EXPECT_TRUE(failsWith(updateAgent(session(), clock_, change), Errc::NotFound));
}

TEST_P(AgentsTest, DisabledAgentKeepsItsData) {
  auto created = createAgent(session(), clock_, agent("1001", "agent1"));
  ASSERT_TRUE(isOk(created));
  auto disabled = setAgentActive(session(), clock_, "1001", false, 1);
  ASSERT_TRUE(isOk(disabled));
  EXPECT_FALSE(disabled->active);
  EXPECT_EQ(disabled->version, 2);
  EXPECT_EQ(disabled->skills, created->skills);
  EXPECT_TRUE(failsWith(setAgentActive(session(), clock_, "1001", true, 1), Errc::VersionMismatch));
  EXPECT_TRUE(failsWith(setAgentActive(session(), clock_, "4040", true, 1), Errc::NotFound));
  auto inactive = listAgents(session(), PageRequest{50, "", false});
  ASSERT_TRUE(isOk(inactive));
  ASSERT_EQ(inactive->items.size(), 1u);
  EXPECT_EQ(inactive->items[0].agentNo, "1001");
}

TEST_P(AgentsTest, ListsInPagesWithSkills) {
  for (int i = 9; i >= 1; --i) {
    Agent a = agent("10" + std::to_string(i), "agent" + std::to_string(i));
    a.skills = {{"retail", i % 5 + 1}};
    if (i % 3 == 0) a.skills.push_back({"wealth", 1});
    ASSERT_TRUE(isOk(createAgent(session(), clock_, a)));
  }
  int pages = 0;
  auto all =
      readAll<Agent>([&](const PageRequest& r) { return listAgents(session(), r); }, 4, &pages);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(all.size(), 9u);
  for (int i = 1; i <= 9; ++i) {
    const Agent& a = all[i - 1];
    EXPECT_EQ(a.agentNo, "10" + std::to_string(i));
    EXPECT_EQ(a.username, "agent" + std::to_string(i));
    EXPECT_EQ(a.teamCode, "retail_a");
    ASSERT_EQ(a.skills.size(), i % 3 == 0 ? 2u : 1u) << a.agentNo;
    EXPECT_EQ(a.skills[0], (AgentSkill{"retail", i % 5 + 1})) << a.agentNo;
  }
}

TEST_P(AgentsTest, ExtensionsBelongToOneAgentAndShowThePhonesAutoAnswer) {
  // 8001 is a provisioned auto-answer phone, 8002 a plain one, 8003 not provisioned yet.
  ASSERT_TRUE(isOk(upsertPhone(
      session(), clock_,
      Phone{.extension = "8001", .realm = "bankcc", .ha1Sealed = "x", .autoAnswer = true})));
  ASSERT_TRUE(isOk(upsertPhone(session(), clock_,
                               Phone{.extension = "8002", .realm = "bankcc", .ha1Sealed = "x"})));
  Agent a = agent("1001", "agent1");
  a.extensions = {{"8003", true}, {"8001", false}};  // autoAnswer is the phone's: ignored
  auto created = createAgent(session(), clock_, a);
  ASSERT_TRUE(isOk(created));
  const std::vector<AgentExtension> expected = {{"8001", true}, {"8003", false}};  // sorted
  EXPECT_EQ(created->extensions, expected);
  EXPECT_EQ(getAgent(session(), "1001")->extensions, expected);

  Agent b = agent("1002", "agent2");
  b.extensions = {{"8002", false}, {"8003", false}};
  EXPECT_TRUE(failsWith(createAgent(session(), clock_, b), Errc::Conflict,
                        "extensions[1]: extension '8003' belongs to agent '1001'"));
  // 1001 gives 8003 up; then 1002 may have it.
  Agent change = *created;
  change.extensions = {{"8001", false}};
  auto updated = updateAgent(session(), clock_, change);
  ASSERT_TRUE(isOk(updated));
  EXPECT_EQ(updated->extensions, (std::vector<AgentExtension>{{"8001", true}}));
  auto second = createAgent(session(), clock_, b);
  ASSERT_TRUE(isOk(second));
  EXPECT_EQ(second->extensions, (std::vector<AgentExtension>{{"8002", false}, {"8003", false}}));

  // The phone's setting shows as it changes; a list page carries extensions.
  ASSERT_TRUE(isOk(upsertPhone(
      session(), clock_,
      Phone{.extension = "8003", .realm = "bankcc", .ha1Sealed = "x", .autoAnswer = true})));
  auto page = listAgents(session(), PageRequest{});
  ASSERT_TRUE(isOk(page));
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].extensions, (std::vector<AgentExtension>{{"8001", true}}));
  EXPECT_EQ(page->items[1].extensions,
            (std::vector<AgentExtension>{{"8002", false}, {"8003", true}}));
  // Changing skills alone keeps the extensions.
  Agent skillsOnly = *second;
  skillsOnly.skills = {{"retail", 1}};
  EXPECT_EQ(updateAgent(session(), clock_, skillsOnly)->extensions,
            (std::vector<AgentExtension>{{"8002", false}, {"8003", true}}));
}

TEST_P(AgentsTest, RejectsBadExtensionsNamingTheField) {
  const auto expectInvalid = [&](std::vector<std::string> extensions, const std::string& text) {
    Agent a = agent("1001", "agent1");
    for (auto& e : extensions) a.extensions.push_back({std::move(e), false});
    EXPECT_TRUE(failsWith(createAgent(session(), clock_, a), Errc::ValidationFailed, text)) << text;
  };
  expectInvalid({"8001", "80a1"}, "extensions[1]: '80a1' is not an extension (2 to 20 digits)");
  expectInvalid({"8"}, "extensions[0]: '8' is not an extension");
  expectInvalid({std::string(21, '8')}, "extensions[0]:");
  expectInvalid({"+8001"}, "extensions[0]:");
  expectInvalid({"8001", "8001"}, "extensions[1]: '8001' is listed twice");
  expectInvalid(
      {"8001", "8002", "8003", "8004", "8005", "8006", "8007", "8008", "8009", "8010", "8011"},
      "extensions: at most 10 extensions per agent");
  EXPECT_TRUE(failsWith(getAgent(session(), "1001"), Errc::NotFound));
}

BANKCC_STORE_BACKENDS(AgentsTest);

}  // namespace
}  // namespace bankcc::store
