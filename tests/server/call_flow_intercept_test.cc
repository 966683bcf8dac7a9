// SPDX-License-Identifier: Apache-2.0
// A supervisor's intercept (decision 0022) and the 409 for disabling an agent on a call
// (decision 0023), end to end through `bankcc serve` with sipp as the caller and the phone.
//
// Agent 1001 is logged in but not ready, so the caller waits in the queue; the administrator
// intercepts the waiting call for 1001, whose phone rings, answers and is bridged. While the
// call lasts, disabling 1001 answers 409 agent_busy and changes nothing. Checked: the event
// order of the call, the audit record of the intercept, the agent back to their not_ready after
// wrap-up, and the disable going through once they are free.

#include "server/call_flow_fixture.h"

namespace bankcc::callflow {
namespace {

TEST_F(CallFlowTest, ASupervisorInterceptsAWaitingCallAndAnAgentOnACallCannotBeDisabled) {
  testing::HttpClient client(http_);
  auto admin = login(client, "admin1", "Adm-Matrix-7731");
  ASSERT_NO_FATAL_FAILURE(createRetailQueue(client, admin, 2));
  ASSERT_NO_FATAL_FAILURE(createAgent(client, admin, "1001", "张伟", "a1001", "8001"));
  std::unique_ptr<Process> phone;
  ASSERT_NO_FATAL_FAILURE(startPhone("8001", "Phone-pass-8001", 1000, 6.0, &phone));
  std::this_thread::sleep_for(300ms);  // sipp binds its port
  testing::HttpClient agentClient(http_);
  auto agent = login(agentClient, "a1001", "Agt-Matrix-1001");
  ASSERT_NO_FATAL_FAILURE(logIn(agentClient, agent, "1001", "8001"));  // not_ready{logged_in}

  auto caller = startCaller(600, 6.0, 4000);
  std::string seen;
  const json waiting = waitForCall(
      client, admin, [](const json& c) { return c["phase"] == "queued"; }, seen);
  ASSERT_FALSE(waiting.is_null()) << seen << server_->stderrText();
  const std::string callId = waiting["call_id"].get<std::string>();

  // An agent may not intercept; the administrator takes the call for 1001.
  auto r = agentClient.request("POST", "/api/v1/calls/" + callId + "/intercept", agent, "{}");
  EXPECT_EQ(r.status, 403) << r.body;
  r = client.request("POST", "/api/v1/calls/" + callId + "/intercept", admin,
                     R"({"agent_no":"1001","request_id":"icp-1"})");
  ASSERT_EQ(r.status, 202) << r.body;
  const json connected = waitForCall(
      client, admin,
      [&](const json& c) {
        return c["call_id"] == callId && c["phase"] == "connected" && c["agent_no"] == "1001";
      },
      seen);
  ASSERT_FALSE(connected.is_null()) << seen << server_->stderrText();

  // The agent is on the call: disabling them is refused, and nothing changed.
  r = client.request("POST", "/api/v1/agents/1001/disable", admin, R"({"version":1})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(json::parse(r.body, nullptr, false)["error"]["code"], "agent_busy") << r.body;
  auto stored = client.get("/api/v1/agents/1001", admin);
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(json::parse(stored.body)["active"], true) << stored.body;

  EXPECT_EQ(caller->wait(40s), 0) << caller->stderrText() << server_->stderrText();
  EXPECT_EQ(phone->wait(40s), 0) << phone->stderrText();

  // The call's events, in order; the intercept's request id is on its event.
  std::vector<std::string> types;
  std::string interceptRequest;
  for (auto& e : storedEvents(dir_.path() / "data" / "bankcc.db")) {
    if (e.callId != callId) continue;
    types.push_back(e.type);
    if (e.type == "call.intercepted") {
      EXPECT_EQ(e.payload["agent_no"], "1001") << e.payload.dump();
      EXPECT_EQ(e.payload["from_agent"], "") << e.payload.dump();
      EXPECT_EQ(e.payload["supervisor"], "admin1") << e.payload.dump();
    }
  }
  const std::vector<std::string> expected{"call.arrived",      "queue.joined", "call.intercepted",
                                          "routing.decided",   "call.offered", "call.answered",
                                          "recording.started", "call.ended"};
  std::size_t at = 0;
  for (const auto& t : types) {
    if (at < expected.size() && t == expected[at]) ++at;
  }
  EXPECT_EQ(at, expected.size()) << json(types).dump();

  // The intercept is in the audit log, as an auditor reads it.
  r = client.request("POST", "/api/v1/users", admin,
                     json{{"username", "auditor1"},
                          {"display_name", "审计员"},
                          {"roles", {"auditor"}},
                          {"password", "Aud-Matrix-5521"}}
                         .dump());
  ASSERT_EQ(r.status, 201) << r.body;
  testing::HttpClient auditorClient(http_);
  auto auditor = login(auditorClient, "auditor1", "Aud-Matrix-5521");
  // A user an administrator created sets their own password first.
  r = auditorClient.request(
      "POST", "/api/v1/auth/change-password", auditor,
      json{{"current_password", "Aud-Matrix-5521"}, {"new_password", "Aud-Own-Pass-8830"}}.dump());
  ASSERT_TRUE(r.status == 200 || r.status == 204) << r.status << " " << r.body;
  auditor = login(auditorClient, "auditor1", "Aud-Own-Pass-8830");
  auto audit = auditorClient.get("/api/v1/audit?action=cti.intercept", auditor);
  ASSERT_EQ(audit.status, 200) << audit.body;
  const auto records = json::parse(audit.body)["items"];
  ASSERT_EQ(records.size(), 1u) << audit.body;
  EXPECT_EQ(records[0]["target_id"], callId) << audit.body;
  EXPECT_EQ(records[0]["outcome"], "success") << audit.body;

  // After the 2 s wrap-up the agent is back to their not_ready, and may be disabled now:
  // the core logs them out.
  json view;
  for (int i = 0; i < 60; ++i) {
    view = agentView(client, admin, "1001");
    if (!view.is_null() && view["state"] == "not_ready") break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(view.is_null());
  EXPECT_EQ(view["state"], "not_ready") << view.dump();
  EXPECT_EQ(view["reason"], "logged_in") << view.dump();

  // The CDR tells who gave the call to whom.
  const auto cdr = waitForCdr(client, admin, callId, 100);
  ASSERT_EQ(cdr.status, 200) << cdr.body;
  bool intercepted = false;
  const json record = json::parse(cdr.body);
  for (const auto& segment : record["segments"]) {
    if (segment["kind"] == "intercept") {
      intercepted = true;
      EXPECT_EQ(segment["agent_no"], "1001") << cdr.body;
      EXPECT_EQ(segment["detail"], "by admin1") << cdr.body;
    }
  }
  EXPECT_TRUE(intercepted) << "no intercept segment: " << cdr.body;

  r = client.request("POST", "/api/v1/agents/1001/disable", admin, R"({"version":1})");
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace bankcc::callflow
