// SPDX-License-Identifier: Apache-2.0
// The persistent agent line (常连接, decision 0027), end to end through `bankcc serve` with
// sipp phones and callers.
//
// The agent logs in with "persistent": true: the server calls their phone, which answers once
// and stays connected. Two customers call one after the other; each is put through to the same
// connection without a new INVITE to the phone (the sipp phone answers one call only, so a
// second INVITE would never be answered), and both calls are recorded. With two media workers
// the line and a customer usually start on different workers: the engine moves the line's
// session to the customer's. Log-out then hangs the line up (the phone gets its BYE).

#include "server/call_flow_fixture.h"
#include "server/wav_reader.h"

namespace bankcc::callflow {
namespace {

class LineFlowTest : public CallFlowTest {
 protected:
  /// Polls the agent's live view (every 100 ms, up to 10 s) until its line is `line`.
  json waitForLine(testing::HttpClient& client, const testing::HeaderList& headers,
                   const std::string& line, std::string& seen) {
    for (int i = 0; i < 100; ++i) {
      json a = agentView(client, headers, "1001", &seen);
      if (a.is_object() && a["line"] == line) return a;
      std::this_thread::sleep_for(100ms);
    }
    return nullptr;
  }
};

TEST_F(LineFlowTest, CallersArePutThroughToTheAgentsOpenLineWithoutRinging) {
  // Two media workers whatever the machine: the line has to move to the caller's worker.
  mediaConfig_ = "workers = 2\n";
  ASSERT_NO_FATAL_FAILURE(restartServer({}));
  testing::HttpClient client(http_);
  auto admin = login(client, "admin1", "Adm-Matrix-7731");
  ASSERT_NO_FATAL_FAILURE(createRetailQueue(client, admin, 1));
  ASSERT_NO_FATAL_FAILURE(createAgent(client, admin, "1001", "张伟", "a1001", "8001"));
  std::unique_ptr<Process> phone;
  ASSERT_NO_FATAL_FAILURE(startPhone("8001", "Phone-pass-8001", 1000, 20.0, &phone));
  std::this_thread::sleep_for(300ms);  // sipp binds its port

  testing::HttpClient agentClient(http_);
  auto agent = login(agentClient, "a1001", "Agt-Matrix-1001");
  // Live views need calls.read: the supervisor watches.
  testing::HttpClient supClient(http_);
  auto sup = login(supClient, "sup1", "Sup-Matrix-4471");
  auto r = agentClient.request(
      "POST", "/api/v1/agents/1001/session", agent,
      json{{"extension", "8001"}, {"persistent", true}, {"request_id", "login-line"}}.dump());
  ASSERT_EQ(r.status, 202) << r.body;
  std::string seen;
  json view = waitForLine(supClient, sup, "connected", seen);
  ASSERT_TRUE(view.is_object()) << seen << phone->stderrText() << server_->stderrText();
  EXPECT_EQ(view["persistent"], true) << view.dump();
  EXPECT_EQ(view["state"], "not_ready") << view.dump();  // the line makes nobody ready
  ASSERT_NO_FATAL_FAILURE(goReady(agentClient, agent, "1001"));

  std::vector<std::string> callIds;
  for (int n = 1; n <= 2; ++n) {
    auto caller = startCaller(400, 2.0, 2000);
    seen.clear();
    json call = waitForCall(
        supClient, sup,
        [&](const json& c) {
          return c["phase"] == "connected" && c["agent_no"] == "1001" &&
                 std::find(callIds.begin(), callIds.end(), c["call_id"]) == callIds.end();
        },
        seen);
    ASSERT_TRUE(call.is_object()) << seen << caller->stderrText() << server_->stderrText();
    callIds.push_back(call["call_id"].get<std::string>());
    EXPECT_EQ(caller->wait(30s), 0) << caller->stderrText() << server_->stderrText();
    // The call is over; the line is not: connected again, and the phone has had no BYE.
    seen.clear();
    view = waitForLine(supClient, sup, "connected", seen);
    ASSERT_TRUE(view.is_object()) << seen << server_->stderrText();
    EXPECT_FALSE(phone->wait(0ms).has_value()) << phone->stderrText();
    // Wrap-up is 1 s; the queue's setting makes the agent ready again after it.
    for (int i = 0; i < 50 && agentView(supClient, sup, "1001")["state"] != "ready"; ++i) {
      std::this_thread::sleep_for(100ms);
    }
  }

  // Log-out hangs the line up: the phone's call ends with our BYE.
  r = agentClient.request("PUT", "/api/v1/agents/1001/state", agent,
                          R"({"state":"not_ready","reason":"break","request_id":"brk"})");
  ASSERT_EQ(r.status, 202) << r.body;
  r = agentClient.request("DELETE", "/api/v1/agents/1001/session", agent,
                          R"({"request_id":"logout-line"})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(phone->wait(20s), 0) << phone->stderrText() << server_->stderrText();

  // The event log: the line's life, each offer taken by the line, each call recorded.
  const auto db = std::filesystem::path(data_) / "bankcc.db";
  std::vector<StoredEvent> events;
  auto count = [&](const std::string& type, const std::string& callId) {
    return std::count_if(events.begin(), events.end(), [&](const StoredEvent& e) {
      return e.type == type && (callId.empty() || e.callId == callId);
    });
  };
  for (int i = 0; i < 100; ++i) {
    events = storedEvents(db);
    if (count("recording.stopped", callIds[0]) == 1 && count("recording.stopped", callIds[1]) == 1)
      break;
    std::this_thread::sleep_for(100ms);
  }
  std::vector<std::string> lineStates;
  for (const auto& e : events) {
    if (e.type == "agent.line_changed") lineStates.push_back(e.payload.value("state", ""));
    if (e.type == "call.offered") {
      EXPECT_EQ(e.payload["line"], true) << e.payload.dump();
    }
    if (e.type == "recording.stopped") {
      EXPECT_EQ(e.payload["complete"], true) << e.payload.dump();
      EXPECT_GT(e.payload.value("duration_ms", 0), 1000) << e.payload.dump();
    }
  }
  EXPECT_EQ(lineStates, (std::vector<std::string>{"dialing", "connected", "disconnected"}));
  // The second call's recording: the caller's 400 Hz on the left, the agent's phone (1000 Hz)
  // on the right, through the line that moved between media workers.
  std::string recordingId;
  for (const auto& e : events) {
    if (e.type == "recording.stopped" && e.callId == callIds[1]) {
      recordingId = e.payload.value("recording_id", "");
    }
  }
  ASSERT_FALSE(recordingId.empty());
  const auto wav = dir_.path() / "line.wav";
  Process exported({bankccBinary().string(), "recording", "export", recordingId, "--data-dir",
                    data_, "--master-key", key_, "--out", wav.string()},
                   dir_.path() / "export.log");
  ASSERT_EQ(exported.wait(30s), 0) << exported.stderrText();
  const testing::Wav w = testing::readWav(wav);
  ASSERT_EQ(w.channels, 2);
  const auto left = testing::channel(w, 0, 0.5, 1.5);
  const auto right = testing::channel(w, 1, 0.5, 1.5);
  EXPECT_GT(voice::itest::tonePower(left, 400), 0.5);
  EXPECT_GT(voice::itest::tonePower(right, 1000), 0.5);
  for (const auto& id : callIds) {
    EXPECT_EQ(count("call.answered", id), 1) << id;
    EXPECT_EQ(count("recording.stopped", id), 1) << id;
  }
}

}  // namespace
}  // namespace bankcc::callflow
