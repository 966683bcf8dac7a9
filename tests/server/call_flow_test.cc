// SPDX-License-Identifier: Apache-2.0
// Queue calls end to end through `bankcc serve`, with sipp as the phones and the caller.
//
// A queue call: the administrator sets up a skill, a queue reached by its own number and an
// agent through the REST API; the agent's phone (sipp) registers; the agent logs in and goes
// ready through REST; a caller (sipp) dials the queue's number; the phone rings, answers, the
// call is bridged and recorded; the caller hangs up. Checked: the events in the event log, the
// live views, the routing explanation, the recording.

#include "server/call_flow_fixture.h"

namespace bankcc::callflow {
namespace {

TEST_F(CallFlowTest, AnAgentTakesAQueueCallThatIsRecordedAndLogged) {
  testing::HttpClient client(http_);
  auto admin = login(client, "admin1", "Adm-Matrix-7731");
  ASSERT_NO_FATAL_FAILURE(createRetailQueue(client, admin, 5));
  ASSERT_NO_FATAL_FAILURE(createAgent(client, admin, "1001", "张伟", "a1001", "8001"));
  std::unique_ptr<Process> phone;
  ASSERT_NO_FATAL_FAILURE(startPhone("8001", "Phone-pass-8001", 1000, 4.0, &phone));
  std::this_thread::sleep_for(300ms);  // sipp binds its port

  // The agent logs in with the phone and goes ready through REST.
  testing::HttpClient agentClient(http_);
  auto agent = login(agentClient, "a1001", "Agt-Matrix-1001");
  ASSERT_NO_FATAL_FAILURE(logIn(agentClient, agent, "1001", "8001"));
  ASSERT_NO_FATAL_FAILURE(goReady(agentClient, agent, "1001"));
  // Another agent's state is not this agent's to change.
  auto r = agentClient.request("PUT", "/api/v1/agents/1002/state", agent, R"({"state":"ready"})");
  EXPECT_TRUE(r.status == 403 || r.status == 404) << r.status << r.body;

  // The agent's desktop opens the event WebSocket: a snapshot of its own state first.
  testing::WsClient desktop(http_);
  ASSERT_EQ(desktop.handshake("/api/v1/events").status, 101);
  const std::string token = agent[0].second.substr(std::string("Bearer ").size());
  ASSERT_TRUE(desktop.sendText(json{{"type", "auth"}, {"token", token}}.dump()));
  ASSERT_TRUE(desktop.sendText(R"({"type":"subscribe","topics":["agent"]})"));
  std::optional<json> snapshot;
  for (int i = 0; i < 5 && !snapshot; ++i) {
    auto text = desktop.receiveText(5s);
    ASSERT_TRUE(text.has_value()) << "no snapshot";
    auto m = json::parse(*text);
    if (m["type"] == "snapshot") snapshot = m;
  }
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_EQ((*snapshot)["topic"], "agent");
  ASSERT_EQ((*snapshot)["agents"].size(), 1u) << snapshot->dump();
  EXPECT_EQ((*snapshot)["agents"][0]["agent_no"], "1001");
  EXPECT_EQ((*snapshot)["agents"][0]["state"], "ready") << snapshot->dump();
  const auto snapshotSeq = (*snapshot)["seq"].get<std::uint64_t>();

  // A customer dials the queue's number, talks for 3 s and hangs up.
  auto caller = startCaller(400, 4.0, 3000);

  // While it runs, the supervisor sees the call.
  testing::HttpClient supClient(http_);
  auto sup = login(supClient, "sup1", "Sup-Matrix-4471");
  bool sawConnected = false;
  std::string seen;
  std::string callId;
  for (int i = 0; i < 40 && !sawConnected; ++i) {
    auto calls = supClient.get("/api/v1/calls", sup);
    ASSERT_EQ(calls.status, 200) << calls.body;
    seen += calls.body + "\n";
    const auto body = json::parse(calls.body);
    for (const auto& c : body["items"]) {
      if (c["phase"] == "connected" && c["agent_no"] == "1001") sawConnected = true;
      callId = c["call_id"].get<std::string>();
    }
    if (!sawConnected) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(sawConnected) << seen;

  // The desktop saw the offer with its screen pop, then the answer, in order after the
  // snapshot and without gaps in its own stream.
  std::vector<std::string> desktopTypes;
  std::uint64_t lastSeq = snapshotSeq;
  bool sawOffer = false;
  for (int i = 0; i < 20 && std::find(desktopTypes.begin(), desktopTypes.end(), "call.answered") ==
                                desktopTypes.end();
       ++i) {
    auto text = desktop.receiveText(5s);
    if (!text) break;
    auto m = json::parse(*text);
    if (m["type"] != "event") continue;
    const auto& e = m["event"];
    const auto seq = e["seq"].get<std::uint64_t>();
    EXPECT_GT(seq, lastSeq) << "events arrive in order, never before the snapshot";
    lastSeq = seq;
    desktopTypes.push_back(e["type"].get<std::string>());
    if (e["type"] == "call.offered") {
      sawOffer = true;
      EXPECT_EQ(e["payload"]["agent_no"], "1001") << e.dump();
      EXPECT_EQ(e["payload"]["queue"], "retail_zh") << e.dump();
      EXPECT_FALSE(e["payload"]["ani"].get<std::string>().empty()) << e.dump();
      EXPECT_EQ(e["call_id"], callId) << e.dump();
    }
  }
  EXPECT_TRUE(sawOffer) << "desktop events: " << json(desktopTypes).dump();
  EXPECT_NE(std::find(desktopTypes.begin(), desktopTypes.end(), "call.answered"),
            desktopTypes.end())
      << json(desktopTypes).dump();

  EXPECT_EQ(caller->wait(40s), 0) << caller->stderrText() << server_->stderrText();
  EXPECT_EQ(phone->wait(40s), 0) << phone->stderrText();

  // Why agent 1001: the explanation of the routing decision.
  auto why = supClient.get("/api/v1/routing/decisions/" + callId, sup);
  ASSERT_EQ(why.status, 200) << why.body;
  const auto explanation = json::parse(why.body);
  ASSERT_FALSE(explanation["candidates"].empty()) << why.body;
  EXPECT_EQ(explanation["candidates"][0]["id"], "1001") << why.body;
  EXPECT_EQ(explanation["candidates"][0]["chosen"], true) << why.body;
  // An agent may not read the floor's calls.
  EXPECT_EQ(agentClient.get("/api/v1/calls", agent).status, 403);

  // The agent is in wrap-up (5 s), then ready again.
  auto states = supClient.get("/api/v1/agent-states", sup);
  ASSERT_EQ(states.status, 200);
  std::string state;
  const auto stateBody = json::parse(states.body);
  for (const auto& a : stateBody["items"]) {
    if (a["agent_no"] == "1001") state = a["state"].get<std::string>();
  }
  EXPECT_TRUE(state == "wrap_up" || state == "ready") << states.body;

  // The agent records the wrap-up (unless the queue's 5 s ran out already); then the call's
  // CDR appears (the projection follows the event log about once a second).
  r = agentClient.request("POST", "/api/v1/agents/1001/wrapup", agent,
                          R"({"code":"balance","notes":"客户查询余额"})");
  EXPECT_TRUE(r.status == 202 || r.status == 409) << r.status << " " << r.body;
  // Read as the administrator: sup1 supervises no team, so sees no CDR (decision 0028).
  const auto cdr = waitForCdr(client, admin, callId, 100);
  ASSERT_EQ(cdr.status, 200) << cdr.body;
  const auto record = json::parse(cdr.body);
  EXPECT_EQ(record["outcome"], "answered") << cdr.body;
  EXPECT_EQ(record["answered_by"], "1001") << cdr.body;
  EXPECT_EQ(record["first_queue"], "retail_zh") << cdr.body;
  EXPECT_EQ(record["answering_queue"], "retail_zh") << cdr.body;
  EXPECT_EQ(record["dnis"], "95500") << cdr.body;
  EXPECT_EQ(record["hung_up_by"], "caller") << cdr.body;
  EXPECT_TRUE(record["recording_id"].is_string()) << cdr.body;
  EXPECT_GE(record["talk_ms"].get<std::int64_t>(), 2000) << cdr.body;
  std::vector<std::string> kinds;
  for (const auto& seg : record["segments"]) kinds.push_back(seg["kind"].get<std::string>());
  for (const char* kind : {"queue", "agent", "wrapup"}) {
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), kind), kinds.end())
        << kind << " segment missing: " << cdr.body;
  }
  // The notes are nowhere in the record.
  EXPECT_EQ(cdr.body.find("余额"), std::string::npos) << cdr.body;
  // Listed by the agent filter as well.
  auto listed = client.get("/api/v1/cdrs?agent=1001", admin);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(json::parse(listed.body)["items"].size(), 1u) << listed.body;
  // Prometheus sees the same day (decision 0025).
  const auto scraped = testing::httpGet(http_, "/metrics");
  ASSERT_EQ(scraped.status, 200);
  for (const char* line : {"bankcc_queue_offered_calls_total{queue=\"retail_zh\"} 1\n",
                           "bankcc_queue_answered_calls_total{queue=\"retail_zh\"} 1\n",
                           "bankcc_queue_waiting_calls{queue=\"retail_zh\"} 0\n"}) {
    EXPECT_NE(scraped.body.find(line), std::string::npos) << line << scraped.body;
  }

  // The recording file is closed (fsynced) by the writer pool shortly after the call ends.
  const auto db = std::filesystem::path(data_) / "bankcc.db";
  for (int i = 0; i < 100; ++i) {
    const auto now = eventTypes(db);
    if (std::find(now.begin(), now.end(), "recording.stopped") != now.end()) break;
    std::this_thread::sleep_for(100ms);
  }
  server_->signal(SIGTERM);
  ASSERT_EQ(server_->wait(30s), 0) << server_->stderrText();
  const auto types = eventTypes(db);
  auto indexOf = [&](const std::string& t) {
    auto it = std::find(types.begin(), types.end(), t);
    return it == types.end() ? -1 : static_cast<int>(it - types.begin());
  };
  std::string all;
  for (const auto& t : types) all += t + " ";
  for (const char* t : {"call.arrived", "queue.joined", "routing.decided", "call.offered",
                        "call.answered", "recording.started", "call.ended", "recording.stopped"}) {
    EXPECT_GE(indexOf(t), 0) << t << " missing from: " << all;
  }
  EXPECT_LT(indexOf("call.arrived"), indexOf("queue.joined")) << all;
  EXPECT_LT(indexOf("call.offered"), indexOf("call.answered")) << all;
  EXPECT_LT(indexOf("call.answered"), indexOf("call.ended")) << all;

  const auto offered = firstPayload(db, "call.offered");
  EXPECT_EQ(offered.value("agent_no", ""), "1001") << offered.dump();
  EXPECT_EQ(offered.value("queue", ""), "retail_zh") << offered.dump();
  const auto ended = firstPayload(db, "call.ended");
  EXPECT_EQ(ended.value("hung_up_by", ""), "caller") << ended.dump();
  const auto stopped = firstPayload(db, "recording.stopped");
  ASSERT_TRUE(stopped.is_object());
  const std::string recordingId = stopped.value("recording_id", "");
  ASSERT_FALSE(recordingId.empty()) << stopped.dump();

  // The recording exports as a stereo WAV of about the call's length.
  const auto wav = dir_.path() / "call.wav";
  Process exported({bankccBinary().string(), "recording", "export", recordingId, "--data-dir",
                    data_, "--master-key", key_, "--out", wav.string()},
                   dir_.path() / "export.log");
  EXPECT_EQ(exported.wait(30s), 0) << exported.stderrText();
  EXPECT_GT(std::filesystem::file_size(wav), 44u + 2u * 2u * 8000u * 2u) << "at least 2 s";
}

}  // namespace
}  // namespace bankcc::callflow
