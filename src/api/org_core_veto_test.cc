// SPDX-License-Identifier: Apache-2.0
// Organisation changes checked with the call-control core before they commit (decision 0023):
// a veto is a 409 with the core's code and message, and nothing is written, audited or
// announced; without a veto (or without a core) the change goes through.
#include <gtest/gtest.h>

#include <atomic>
#include <optional>

#include "api/cti_service.h"
#include "api/org_routes_test_support.h"
#include "store/org_agents.h"
#include "store/org_queues.h"

namespace bankcc::api::testing {
namespace {

using store::testing::isOk;

/// A core that vetoes what it is told to and remembers what it was asked.
class VetoingCore final : public CtiService {
 public:
  void submit(callctl::CommandRequest, std::function<void(callctl::CommandReply)>) override {}
  void liveCalls(std::function<void(std::vector<callctl::CallView>)>) override {}
  void agentStates(std::function<void(std::vector<callctl::AgentView>)>) override {}
  void snapshot(std::function<void(std::vector<callctl::CallView>,
                                   std::vector<callctl::AgentView>)>) override {}
  void desktopPresence(std::string, bool) override {}
  void sessionLocked(std::string) override {}
  void routingExplanation(std::string,
                          std::function<void(std::optional<acd::Explanation>)>) override {}
  std::optional<callctl::OrgVeto> vetQueue(const store::Queue& after) override {
    askedQueues.push_back(after);
    return queueVeto;
  }
  std::optional<callctl::OrgVeto> vetAgent(const store::Agent& after) override {
    askedAgents.push_back(after);
    return agentVeto;
  }

  std::optional<callctl::OrgVeto> queueVeto;
  std::optional<callctl::OrgVeto> agentVeto;
  std::vector<store::Queue> askedQueues;
  std::vector<store::Agent> askedAgents;
};

class OrgCoreVetoTest : public OrgApiTest {
 protected:
  void SetUp() override {
    OrgApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    services_.cti = &cti_;
    cti_.store(&core_);
    createUser("u1");
    store::Agent a;
    a.agentNo = "1001";
    a.name = "座席 1001";
    a.languages = {"zh"};
    a.username = "u1";
    a.skills = {{"retail", 3}};
    ASSERT_TRUE(isOk(store::createAgent(session(), clock_, a)));
    ASSERT_EQ(post("/api/v1/queues", Json{{"code", "retail_zh"},
                                          {"name_zh", "零售"},
                                          {"name_en", "Retail"},
                                          {"skills", Json::array({"retail"})}})
                  .status,
              201);
    sink_.events.clear();
  }

  VetoingCore core_;
  std::atomic<CtiService*> cti_{nullptr};
};

TEST_P(OrgCoreVetoTest, DisablingAnAgentOnACallIsRefusedAndNothingIsWritten) {
  core_.agentVeto = callctl::OrgVeto{"agent_busy", "agent '1001' is on_call on call c-1"};
  const std::size_t auditsBefore = audits().size();
  Reply r = post("/api/v1/agents/1001/disable", {{"version", 1}});
  EXPECT_EQ(r.status, 409) << r.response.body;
  EXPECT_EQ(r.errorCode(), "agent_busy");
  EXPECT_EQ(r.body["error"]["message"], "agent '1001' is on_call on call c-1");
  ASSERT_EQ(core_.askedAgents.size(), 1u);
  EXPECT_FALSE(core_.askedAgents[0].active);  // the core saw the change it was asked about
  EXPECT_TRUE(get("/api/v1/agents/1001").body["active"].get<bool>());
  EXPECT_EQ(get("/api/v1/agents/1001").body["version"], 1);
  EXPECT_EQ(audits().size(), auditsBefore);
  EXPECT_TRUE(sink_.events.empty());

  // Once the core agrees, the same request goes through.
  core_.agentVeto.reset();
  EXPECT_EQ(post("/api/v1/agents/1001/disable", {{"version", 1}}).status, 200);
  EXPECT_FALSE(get("/api/v1/agents/1001").body["active"].get<bool>());
  EXPECT_EQ(sink_.configChanges().size(), 1u);
}

TEST_P(OrgCoreVetoTest, SkillChangesThatStrandWaitingCallsAreRefused) {
  core_.agentVeto = callctl::OrgVeto{"calls_stranded", "would strand 1 waiting call"};
  Reply skills = put("/api/v1/agents/1001/skills", {{"skills", Json::array()}, {"version", 1}});
  EXPECT_EQ(skills.status, 409) << skills.response.body;
  EXPECT_EQ(skills.errorCode(), "calls_stranded");
  ASSERT_EQ(core_.askedAgents.size(), 1u);
  EXPECT_TRUE(core_.askedAgents[0].skills.empty());
  EXPECT_EQ(get("/api/v1/agents/1001/skills").body["skills"].size(), 1u);

  core_.queueVeto = callctl::OrgVeto{"calls_stranded", "would strand 2 waiting calls"};
  Reply queue = patch("/api/v1/queues/retail_zh", {{"skills", Json::array()}, {"version", 1}});
  EXPECT_EQ(queue.status, 409) << queue.response.body;
  ASSERT_EQ(core_.askedQueues.size(), 1u);
  EXPECT_TRUE(core_.askedQueues[0].skillNeeds.empty());
  EXPECT_EQ(get("/api/v1/queues/retail_zh").body["version"], 1);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_P(OrgCoreVetoTest, WithoutACoreEveryChangeGoesThrough) {
  cti_.store(nullptr);
  core_.queueVeto = callctl::OrgVeto{"calls_waiting", "never asked"};
  EXPECT_EQ(post("/api/v1/queues/retail_zh/disable", {{"version", 1}}).status, 200);
  EXPECT_TRUE(core_.askedQueues.empty());
}

BANKCC_STORE_BACKENDS(OrgCoreVetoTest);

}  // namespace
}  // namespace bankcc::api::testing
