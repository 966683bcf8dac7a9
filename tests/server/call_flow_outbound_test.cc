// SPDX-License-Identifier: Apache-2.0
// Calls an agent places (decision 0020), end to end through `bankcc serve` with sipp: the
// agent's phone and the customer behind the trunk are sipp, the agent's desktop is REST.
//
// From the desktop: make_call rings the agent's phone first, then dials the customer through
// the trunk; the agent hangs up from the desktop and wraps up. Checked: the 202's call id, the
// live view, the event order, the CDR (direction outbound, the agent, the recording) and the
// agent back to ready after the outbound wrap-up.
//
// From the phone: the registered phone of a logged-in agent dials a number; the agent is busy
// and the call goes out through the trunk; the phone hangs up.

#include <fstream>

#include "server/call_flow_fixture.h"

namespace bankcc::callflow {
namespace {

constexpr const char* kCustomerNumber = "13900000000";

class OutboundCallFlowTest : public CallFlowTest {
 protected:
  /// The trunk dials out to a sipp UAS (the customer) playing a 400 Hz tone; agents may call
  /// 139 numbers, showing the hotline 95500, with a 2 s wrap-up.
  void SetUp() override {
    CallFlowTest::SetUp();
    if (HasFatalFailure()) return;
    customerPort_ = std::to_string(voice::itest::freeUdpPort());
    trunkOutbound_ = customerPort_;
    ASSERT_NO_FATAL_FAILURE(
        restartServer("[center]\noutbound_numbers = [\"139\"]\noutbound_caller_id = \"95500\"\n"
                      "outbound_wrap_up = \"2s\"\n"));
    const auto pcap = dir_.path() / "customer.pcap";
    voice::itest::writeRtpPcap(pcap, voice::itest::sine(400, 10.0));
    customer_ = sipp(
        {"-sf",
         scenarioWith(dir_.path(), "uas_pcap.xml", {{"[pcap]", pcap.string()}}, "uas-customer.xml"),
         "-p", customerPort_, "-mp", std::to_string(voice::itest::freeUdpPort() & ~1)},
        "customer.log");
  }

  /// The stored events of `callId`, by type, in order.
  std::vector<std::string> eventsOfCall(const std::string& callId) {
    std::vector<std::string> out;
    for (auto& e : storedEvents(dir_.path() / "data" / "bankcc.db")) {
      if (e.callId == callId) out.push_back(e.type);
    }
    return out;
  }

  std::string customerPort_;
  std::unique_ptr<Process> customer_;
};

TEST_F(OutboundCallFlowTest, AnAgentCallsACustomerFromTheDesktop) {
  testing::HttpClient client(http_);
  auto admin = login(client, "admin1", "Adm-Matrix-7731");
  ASSERT_NO_FATAL_FAILURE(createRetailQueue(client, admin, 3));
  ASSERT_NO_FATAL_FAILURE(createAgent(client, admin, "1001", "张伟", "a1001", "8001"));
  std::unique_ptr<Process> phone;
  ASSERT_NO_FATAL_FAILURE(startPhone("8001", "Phone-pass-8001", 1000, 10.0, &phone));
  std::this_thread::sleep_for(300ms);  // the sipps bind their ports

  testing::HttpClient agentClient(http_);
  auto agent = login(agentClient, "a1001", "Agt-Matrix-1001");
  ASSERT_NO_FATAL_FAILURE(logIn(agentClient, agent, "1001", "8001"));
  ASSERT_NO_FATAL_FAILURE(goReady(agentClient, agent, "1001"));

  // A number off the list is refused before anything rings.
  auto r = agentClient.request("POST", "/api/v1/agents/1001/calls", agent,
                               R"({"target_type":"number","target":"01012345678"})");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["reason"], "number_not_allowed") << r.body;

  r = agentClient.request(
      "POST", "/api/v1/agents/1001/calls", agent,
      json{{"target_type", "number"}, {"target", kCustomerNumber}, {"request_id", "mk-1"}}.dump());
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string callId = json::parse(r.body).value("call_id", "");
  ASSERT_FALSE(callId.empty()) << r.body;

  // The agent's phone answers, then the customer: the call is connected.
  std::string seen;
  auto call = waitForCall(
      client, admin,
      [&](const json& c) { return c["call_id"] == callId && c["phase"] == "connected"; }, seen);
  ASSERT_TRUE(call.is_object()) << seen << customer_->stderrText() << server_->stderrText();
  EXPECT_EQ(call["direction"], "outbound");
  EXPECT_EQ(call["agent_no"], "1001");
  EXPECT_EQ(call["dnis"], kCustomerNumber);
  EXPECT_EQ(agentView(client, admin, "1001")["state"], "on_call");

  std::this_thread::sleep_for(2s);  // they talk
  r = agentClient.request("POST", "/api/v1/calls/" + callId + "/hangup", agent,
                          R"({"request_id":"bye-1"})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(customer_->wait(20s), 0) << customer_->stderrText();
  EXPECT_EQ(phone->wait(20s), 0) << phone->stderrText();

  // Wrap-up of 2 s, then ready again.
  json view;
  for (int i = 0; i < 60; ++i) {
    view = agentView(client, admin, "1001");
    if (view.is_object() && view["state"] == "ready") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(view["state"], "ready") << view.dump();

  const auto types = eventsOfCall(callId);
  const std::vector<std::string> expectedStart = {"call.originated", "agent.state_changed",
                                                  "call.answered", "agent.state_changed",
                                                  "recording.started"};
  ASSERT_GE(types.size(), expectedStart.size()) << ::testing::PrintToString(types);
  EXPECT_EQ(std::vector<std::string>(types.begin(), types.begin() + 5), expectedStart)
      << ::testing::PrintToString(types);
  const auto originated = firstPayload(dir_.path() / "data" / "bankcc.db", "call.originated");
  EXPECT_EQ(originated["via"], "desktop");
  EXPECT_EQ(originated["target"], kCustomerNumber);
  const auto ended = firstPayload(dir_.path() / "data" / "bankcc.db", "call.ended");
  EXPECT_EQ(ended["hung_up_by"], "agent");

  auto cdr = waitForCdr(client, admin, callId, 100);
  ASSERT_EQ(cdr.status, 200) << cdr.body;
  const auto row = json::parse(cdr.body);
  EXPECT_EQ(row["direction"], "outbound") << row.dump();
  EXPECT_EQ(row["answered_by"], "1001") << row.dump();
  EXPECT_FALSE(row["recording_id"].is_null()) << row.dump();
}

TEST_F(OutboundCallFlowTest, AnAgentDialsANumberOnTheirPhone) {
  testing::HttpClient client(http_);
  auto admin = login(client, "admin1", "Adm-Matrix-7731");
  ASSERT_NO_FATAL_FAILURE(createRetailQueue(client, admin, 3));
  ASSERT_NO_FATAL_FAILURE(createAgent(client, admin, "1001", "张伟", "a1001", "8001"));
  testing::HttpClient agentClient(http_);
  auto agent = login(agentClient, "a1001", "Agt-Matrix-1001");
  ASSERT_NO_FATAL_FAILURE(logIn(agentClient, agent, "1001", "8001"));
  std::this_thread::sleep_for(300ms);  // the customer's sipp binds its port

  // The phone registers and dials the customer; it hangs up 3 s after the answer.
  std::ifstream in(std::string(BANKCC_SIP_SCENARIOS) + "/register_then_call.xml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string pause = "<pause milliseconds=\"200\"/>";
  ASSERT_NE(text.find(pause), std::string::npos);
  text.replace(text.find(pause), pause.size(), "<pause milliseconds=\"3000\"/>");
  const auto scenario = dir_.path() / "phone_dials.xml";
  testing::writeFile(scenario, text);
  // The phone sits on 127.0.0.2: the trunk's peers (127.0.0.1/32) would make its calls trunk
  // calls otherwise (sip matches the trunks' addresses first).
  auto phone = std::make_unique<Process>(std::vector<std::string>{"/usr/bin/sipp",
                                                                  "-i",
                                                                  "127.0.0.2",
                                                                  "-mi",
                                                                  "127.0.0.2",
                                                                  "-m",
                                                                  "1",
                                                                  "-nostdin",
                                                                  "-timeout",
                                                                  "40",
                                                                  "-timeout_error",
                                                                  "-sf",
                                                                  scenario.string(),
                                                                  "-key",
                                                                  "caller",
                                                                  "8001",
                                                                  "-au",
                                                                  "8001",
                                                                  "-ap",
                                                                  "Phone-pass-8001",
                                                                  "-s",
                                                                  kCustomerNumber,
                                                                  sip_},
                                         dir_.path() / "phone-dials.log");
  EXPECT_EQ(phone->wait(30s), 0) << phone->stderrText() << server_->stderrText();
  EXPECT_EQ(customer_->wait(20s), 0) << customer_->stderrText();

  const auto db = dir_.path() / "data" / "bankcc.db";
  const auto originated = firstPayload(db, "call.originated");
  ASSERT_TRUE(originated.is_object());
  EXPECT_EQ(originated["via"], "phone");
  EXPECT_EQ(originated["agent_no"], "1001");
  EXPECT_EQ(originated["target_type"], "number");
  const std::string callId = originated["_call_id"].get<std::string>();
  const auto types = eventsOfCall(callId);
  EXPECT_NE(std::find(types.begin(), types.end(), "call.answered"), types.end())
      << ::testing::PrintToString(types);
  const auto ended = firstPayload(db, "call.ended");
  EXPECT_EQ(ended["hung_up_by"], "agent") << ended.dump();
  EXPECT_EQ(ended["cause"], "normal") << ended.dump();
}

}  // namespace
}  // namespace bankcc::callflow
