// SPDX-License-Identifier: Apache-2.0
// Call control beyond the queue call, end to end through `bankcc serve` with sipp phones.
//
// A consult and attended transfer (decisions 0018, 0024): the agent consults a colleague, or
// the queue (the ACD picks the colleague), whose phone answers, and hands the customer over; the
// agent's phone is hung up, the colleague talks to the customer until they hang up. Checked: the
// live views along the way, the consult's events, both CDRs (the call's and the consult's) and a
// recording for each agent's part.
//
// Presence (decision 0019): a ready agent whose desktop (the events WebSocket on the agent
// topic) goes away is made not_ready{desktop_lost} after [center] desktop_grace; one whose web
// session locks after [auth] idle_lock is made not_ready{session_locked}; after unlocking they
// may go ready again.

#include "server/call_flow_fixture.h"

namespace bankcc::callflow {
namespace {

/// The agent consults a colleague (`targetType` "agent") or the queue (the ACD picks the
/// colleague, decision 0024), then transfers the customer to them.
class ConsultFlowTest : public CallFlowTest {
 protected:
  void consultAndTransfer(const std::string& targetType, const std::string& target) {
    const bool viaQueue = targetType == "queue";
    testing::HttpClient client(http_);
    auto admin = login(client, "admin1", "Adm-Matrix-7731");
    ASSERT_NO_FATAL_FAILURE(createRetailQueue(client, admin, 3));
    ASSERT_NO_FATAL_FAILURE(createAgent(client, admin, "1001", "张伟", "a1001", "8001"));
    ASSERT_NO_FATAL_FAILURE(createAgent(client, admin, "1002", "李娜", "a1002", "8002"));
    // Each phone plays its own tone: 1000 Hz for 8001, 700 Hz for 8002.
    std::unique_ptr<Process> phone1;
    std::unique_ptr<Process> phone2;
    ASSERT_NO_FATAL_FAILURE(startPhone("8001", "Phone-pass-8001", 1000, 6.0, &phone1));
    ASSERT_NO_FATAL_FAILURE(startPhone("8002", "Phone-pass-8002", 700, 14.0, &phone2));
    std::this_thread::sleep_for(300ms);  // sipp binds its port

    // Both agents log in; only 1001 is ready, so the ACD offers the call to 1001.
    testing::HttpClient client1(http_);
    testing::HttpClient client2(http_);
    auto agent1 = login(client1, "a1001", "Agt-Matrix-1001");
    auto agent2 = login(client2, "a1002", "Agt-Matrix-1002");
    ASSERT_NO_FATAL_FAILURE(logIn(client1, agent1, "1001", "8001"));
    ASSERT_NO_FATAL_FAILURE(logIn(client2, agent2, "1002", "8002"));
    ASSERT_NO_FATAL_FAILURE(goReady(client1, agent1, "1001"));

    // The customer stays on the line 15 s after the answer: the consult and the transfer fit in.
    auto caller = startCaller(400, 15.0, 15000);
    testing::HttpClient supClient(http_);
    auto sup = login(supClient, "sup1", "Sup-Matrix-4471");
    std::string seen;
    auto call = waitForCall(
        supClient, sup,
        [](const json& c) { return c["phase"] == "connected" && c["agent_no"] == "1001"; }, seen);
    ASSERT_TRUE(call.is_object()) << seen << caller->stderrText() << server_->stderrText();
    const std::string callId = call["call_id"].get<std::string>();
    EXPECT_TRUE(call["party_stage"].is_null()) << call.dump();

    // The colleague goes ready now; 1001 consults them: the customer is held, 8002 rings and
    // answers.
    ASSERT_NO_FATAL_FAILURE(goReady(client2, agent2, "1002"));
    auto r = client1.request(
        "POST", "/api/v1/calls/" + callId + "/consult", agent1,
        json{{"target_type", targetType}, {"target", target}, {"request_id", "consult-1"}}.dump());
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(json::parse(r.body)["request_id"], "consult-1");
    seen.clear();
    call = waitForCall(
        supClient, sup,
        [&](const json& c) { return c["call_id"] == callId && c["party_stage"] == "consulting"; },
        seen);
    ASSERT_TRUE(call.is_object()) << seen << server_->stderrText();
    EXPECT_EQ(call["agent_no"], "1001") << call.dump();
    EXPECT_EQ(call["party_type"], "agent") << call.dump();
    EXPECT_EQ(call["party"], "1002") << call.dump();
    EXPECT_EQ(call["party_queue"], viaQueue ? json("retail_zh") : json(nullptr)) << call.dump();
    EXPECT_EQ(call["held"], true) << call.dump();
    ASSERT_TRUE(call["consult_call_id"].is_string()) << call.dump();
    const std::string consultId = call["consult_call_id"].get<std::string>();
    EXPECT_NE(consultId, callId);
    // The colleague is on the consult, not on the customer's call yet.
    auto states = supClient.get("/api/v1/agent-states", sup);
    ASSERT_EQ(states.status, 200) << states.body;
    const json stateList = json::parse(states.body);  // alive for the loop
    for (const auto& a : stateList["items"]) {
      if (a["agent_no"] == "1002") {
        EXPECT_EQ(a["state"], "on_call") << states.body;
        EXPECT_EQ(a["call_id"], consultId) << states.body;
      }
    }

    // 1001 hands the customer to 1002 and leaves: 8001 gets a BYE.
    r = client1.request("POST", "/api/v1/calls/" + callId + "/transfer_complete", agent1,
                        R"({"request_id":"transfer-1"})");
    ASSERT_EQ(r.status, 202) << r.body;
    seen.clear();
    call = waitForCall(
        supClient, sup,
        [&](const json& c) {
          return c["call_id"] == callId && c["agent_no"] == "1002" && c["party_stage"].is_null();
        },
        seen);
    ASSERT_TRUE(call.is_object()) << seen << server_->stderrText();
    EXPECT_EQ(call["phase"], "connected") << call.dump();
    EXPECT_EQ(call["held"], false) << call.dump();
    states = supClient.get("/api/v1/agent-states", sup);
    ASSERT_EQ(states.status, 200) << states.body;
    const json statesAfter = json::parse(states.body);
    for (const auto& a : statesAfter["items"]) {
      if (a["agent_no"] == "1001") {
        EXPECT_TRUE(a["state"] == "wrap_up" || a["state"] == "ready") << states.body;
      }
      if (a["agent_no"] == "1002") {
        EXPECT_EQ(a["state"], "on_call") << states.body;
        EXPECT_EQ(a["call_id"], callId) << states.body;
      }
    }
    EXPECT_EQ(phone1->wait(20s), 0) << phone1->stderrText() << server_->stderrText();

    // The customer talks to 1002 until they hang up; 8002 gets the BYE.
    EXPECT_EQ(caller->wait(40s), 0) << caller->stderrText() << server_->stderrText();
    EXPECT_EQ(phone2->wait(20s), 0) << phone2->stderrText() << server_->stderrText();

    // The event log tells the consult's story on both calls, and each agent's part is recorded.
    const auto db = std::filesystem::path(data_) / "bankcc.db";
    auto countOf = [](const std::vector<StoredEvent>& events, const std::string& type,
                      const std::string& id) {
      return std::count_if(events.begin(), events.end(),
                           [&](const StoredEvent& e) { return e.type == type && e.callId == id; });
    };
    std::vector<StoredEvent> events;
    for (int i = 0; i < 100; ++i) {
      events = storedEvents(db);
      if (countOf(events, "recording.stopped", callId) >= 2 &&
          countOf(events, "call.ended", callId) >= 1) {
        break;
      }
      std::this_thread::sleep_for(100ms);
    }
    std::string story;
    for (const auto& e : events) {
      if (e.callId == callId || e.callId == consultId) {
        story +=
            (e.callId == callId ? "call " : "consult ") + e.type + " " + e.payload.dump() + "\n";
      }
    }
    auto find = [&](const std::string& type, const std::string& id) -> const StoredEvent* {
      for (const auto& e : events) {
        if (e.type == type && e.callId == id) return &e;
      }
      return nullptr;
    };
    auto indexOf = [&](const std::string& type, const std::string& id) {
      const StoredEvent* e = find(type, id);
      return e == nullptr ? -1 : static_cast<int>(e - events.data());
    };
    const StoredEvent* started = find("call.consult_started", consultId);
    ASSERT_NE(started, nullptr) << story;
    EXPECT_EQ(started->payload.value("parent_call_id", ""), callId) << story;
    EXPECT_EQ(started->payload.value("agent_no", ""), "1001") << story;
    EXPECT_EQ(started->payload.value("target_type", ""), targetType) << story;
    EXPECT_EQ(started->payload.value("target", ""), target) << story;
    // The ACD's choice is logged and explained on the consult.
    const StoredEvent* decided = find("routing.decided", consultId);
    if (viaQueue) {
      ASSERT_NE(decided, nullptr) << story;
      EXPECT_EQ(decided->payload.value("agent_no", ""), "1002") << story;
      EXPECT_EQ(decided->payload.value("queue", ""), "retail_zh") << story;
      auto why = supClient.get("/api/v1/routing/decisions/" + consultId, sup);
      EXPECT_EQ(why.status, 200) << why.body;
    } else {
      EXPECT_EQ(decided, nullptr) << story;
    }
    const StoredEvent* answered = find("call.consult_answered", consultId);
    ASSERT_NE(answered, nullptr) << story;
    EXPECT_EQ(answered->payload.value("target", ""), "1002") << story;
    const StoredEvent* consultEnded = find("call.consult_ended", callId);
    ASSERT_NE(consultEnded, nullptr) << story;
    EXPECT_EQ(consultEnded->payload.value("reason", ""), "transferred") << story;
    EXPECT_EQ(consultEnded->payload.value("consult_call_id", ""), consultId) << story;
    const StoredEvent* transferred = find("call.transferred", callId);
    ASSERT_NE(transferred, nullptr) << story;
    EXPECT_EQ(transferred->payload.value("mode", ""), "attended") << story;
    EXPECT_EQ(transferred->payload.value("agent_no", ""), "1001") << story;
    EXPECT_EQ(transferred->payload.value("target_type", ""), "agent") << story;
    EXPECT_EQ(transferred->payload.value("target", ""), "1002") << story;
    const StoredEvent* consultCallEnded = find("call.ended", consultId);
    ASSERT_NE(consultCallEnded, nullptr) << story;
    EXPECT_EQ(consultCallEnded->payload.value("cause", ""), "transferred") << story;
    const StoredEvent* ended = find("call.ended", callId);
    ASSERT_NE(ended, nullptr) << story;
    EXPECT_EQ(ended->payload.value("hung_up_by", ""), "caller") << story;
    EXPECT_LT(indexOf("call.consult_started", consultId),
              indexOf("call.consult_answered", consultId))
        << story;
    EXPECT_LT(indexOf("call.consult_answered", consultId), indexOf("call.consult_ended", callId))
        << story;
    EXPECT_LT(indexOf("call.consult_ended", callId), indexOf("call.transferred", callId)) << story;
    EXPECT_LT(indexOf("call.transferred", callId), indexOf("call.ended", callId)) << story;
    // Two recordings: 1001's part, then 1002's from the transfer on.
    EXPECT_EQ(countOf(events, "recording.started", callId), 2) << story;
    EXPECT_EQ(countOf(events, "recording.stopped", callId), 2) << story;

    // The call's CDR, once 1002's wrap-up (3 s) is over and the projection caught up: both
    // agents, one transfer, the consult; and the consult's own row names its parent.
    // Read as the administrator: sup1 supervises no team, so sees no CDR (decision 0028).
    const auto cdr = waitForCdr(client, admin, callId, 200);
    ASSERT_EQ(cdr.status, 200) << cdr.body;
    const auto record = json::parse(cdr.body);
    EXPECT_EQ(record["outcome"], "answered") << cdr.body;
    EXPECT_EQ(record["answered_by"], "1001") << cdr.body;
    EXPECT_EQ(record["agents"], json::array({"1001", "1002"})) << cdr.body;
    EXPECT_EQ(record["transfers"], 1) << cdr.body;
    // Both agents' recordings, the first also as recording_id.
    ASSERT_EQ(record["recording_ids"].size(), 2u) << cdr.body;
    EXPECT_EQ(record["recording_ids"][0], record["recording_id"]) << cdr.body;
    EXPECT_EQ(record["hung_up_by"], "caller") << cdr.body;
    EXPECT_TRUE(record["parent_call_id"].is_null()) << cdr.body;
    std::vector<std::string> kinds;
    std::vector<std::string> agentSegments;
    for (const auto& seg : record["segments"]) {
      kinds.push_back(seg["kind"].get<std::string>());
      if (seg["kind"] == "agent") agentSegments.push_back(seg["agent_no"].get<std::string>());
      if (seg["kind"] == "transfer") {
        EXPECT_EQ(seg["detail"], "attended to agent 1002") << cdr.body;
      }
    }
    for (const char* kind : {"queue", "agent", "hold", "consult", "transfer", "wrapup"}) {
      EXPECT_NE(std::find(kinds.begin(), kinds.end(), kind), kinds.end())
          << kind << " segment missing: " << cdr.body;
    }
    EXPECT_EQ(agentSegments, (std::vector<std::string>{"1001", "1002"})) << cdr.body;

    testing::HttpResponse consultCdr;
    for (int i = 0; i < 100; ++i) {
      consultCdr = client.get("/api/v1/cdrs/" + consultId, admin);
      if (consultCdr.status == 200) break;
      std::this_thread::sleep_for(100ms);
    }
    ASSERT_EQ(consultCdr.status, 200) << consultCdr.body;
    auto listed = client.get("/api/v1/cdrs", admin);
    ASSERT_EQ(listed.status, 200) << listed.body;
    const auto items = json::parse(listed.body)["items"];
    const json* consultRow = nullptr;
    for (const auto& item : items) {
      if (item["call_id"] == consultId) consultRow = &item;
    }
    ASSERT_NE(consultRow, nullptr) << listed.body;
    EXPECT_EQ((*consultRow)["parent_call_id"], callId) << listed.body;
    EXPECT_EQ((*consultRow)["dnis"], target) << listed.body;
    EXPECT_EQ((*consultRow)["answered_by"], "1002") << listed.body;
    EXPECT_EQ(items.size(), 2u) << listed.body;
  }
};

TEST_F(ConsultFlowTest, AnAgentConsultsAColleagueAndTransfersTheCall) {
  consultAndTransfer("agent", "1002");
}

TEST_F(ConsultFlowTest, AnAgentConsultsTheQueueAndTheAcdPicksTheColleague) {
  consultAndTransfer("queue", "retail_zh");
}

// Presence (call_control.h desktopAttached/desktopDetached/sessionLocked): a WebSocket on the
// agent topic is the agent's desktop. When the last one has been gone for [center]
// desktop_grace, a ready agent is made not_ready{desktop_lost}; when the agent's web session
// locks after [auth] idle_lock (the lock sweep runs every 5 s), not_ready{session_locked}. The
// desktop's WebSocket is no activity: it stays open while the session locks.
TEST_F(CallFlowTest, AnAgentWithoutADesktopOrWithALockedSessionIsMadeNotReady) {
  constexpr auto kDesktopGrace = 2s;
  constexpr auto kIdleLock = 6s;
  ASSERT_NO_FATAL_FAILURE(restartServer(
      "[center]\ndesktop_grace = \"2s\"\n[auth]\nidle_lock = \"6s\"\nactivity_write = \"1s\"\n"));
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
  };

  testing::HttpClient client(http_);
  auto admin = login(client, "admin1", "Adm-Matrix-7731");
  ASSERT_NO_FATAL_FAILURE(createRetailQueue(client, admin, 5));
  ASSERT_NO_FATAL_FAILURE(createAgent(client, admin, "1001", "张伟", "a1001", "8001"));
  // The supervisor watches from a session of their own (their polling is their activity).
  testing::HttpClient supClient(http_);
  auto sup = login(supClient, "sup1", "Sup-Matrix-4471");

  // The agent logs in (no phone: an extension never seen registering does not stop ready) and
  // goes ready through REST.
  testing::HttpClient agentClient(http_);
  auto agent = login(agentClient, "a1001", "Agt-Matrix-1001");
  ASSERT_NO_FATAL_FAILURE(logIn(agentClient, agent, "1001", "8001"));
  ASSERT_NO_FATAL_FAILURE(goReady(agentClient, agent, "1001"));

  // 1. The desktop opens, sees its snapshot, and goes away without a close frame (the TCP
  // connection drops, as when the browser dies).
  auto desktop = std::make_unique<testing::WsClient>(http_);
  auto snapshot = openDesktop(*desktop, agent);
  ASSERT_TRUE(snapshot.is_object()) << server_->stderrText();
  ASSERT_EQ(snapshot["agents"].size(), 1u) << snapshot.dump();
  EXPECT_EQ(snapshot["agents"][0]["state"], "ready") << snapshot.dump();
  desktop.reset();
  const auto droppedAt = Clock::now();
  std::string seen;
  json view = agentView(supClient, sup, "1001", &seen);
  const auto firstPollAfter = Clock::now() - droppedAt;
  ASSERT_TRUE(view.is_object()) << seen;
  if (firstPollAfter < kDesktopGrace - 500ms) {
    EXPECT_EQ(view["state"], "ready")
        << "within the grace (" << ms(firstPollAfter) << "): " << seen;
  }
  // The supervisor polls every 300 ms; the agent stays active meanwhile (REST reads), so that
  // only the desktop is missing.
  std::string history;
  std::optional<Clock::duration> lostAfter;
  while (Clock::now() - droppedAt < kDesktopGrace + 15s) {
    view = agentView(supClient, sup, "1001", &seen);
    const auto at = Clock::now() - droppedAt;
    history += ms(at) + " " + seen + "\n";
    if (view.is_object() && view["state"] == "not_ready") {
      lostAfter = at;
      break;
    }
    auto r = agentClient.get("/api/v1/queues", agent);
    ASSERT_EQ(r.status, 200) << r.body;
    std::this_thread::sleep_for(300ms);
  }
  ASSERT_TRUE(lostAfter.has_value()) << history << server_->stderrText();
  EXPECT_EQ(view["reason"], "desktop_lost") << history;
  RecordProperty(
      "desktop_lost_after_ms",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(*lostAfter).count()));
  EXPECT_GE(*lostAfter, kDesktopGrace - 200ms) << "not before the grace: " << history;
  EXPECT_LE(*lostAfter, kDesktopGrace + 5s) << history;

  // 2. The desktop opens again and the agent goes ready (REST: activity); then the agent does
  // nothing. The desktop stays open and keeps reading (answering pings): that is no activity.
  desktop = std::make_unique<testing::WsClient>(http_);
  snapshot = openDesktop(*desktop, agent);
  ASSERT_TRUE(snapshot.is_object()) << server_->stderrText();
  ASSERT_EQ(snapshot["agents"].size(), 1u) << snapshot.dump();
  EXPECT_EQ(snapshot["agents"][0]["state"], "not_ready") << snapshot.dump();
  EXPECT_EQ(snapshot["agents"][0]["reason"], "desktop_lost") << snapshot.dump();
  ASSERT_NO_FATAL_FAILURE(goReady(agentClient, agent, "1001", "ready-again-1001"));
  const auto idleFrom = Clock::now();
  std::vector<json> desktopEvents;
  history.clear();
  std::optional<Clock::duration> lockedAfter;
  while (Clock::now() - idleFrom < kIdleLock + 5s + 20s) {
    view = agentView(supClient, sup, "1001", &seen);
    const auto at = Clock::now() - idleFrom;
    history += ms(at) + " " + seen + "\n";
    ASSERT_TRUE(view.is_object()) << history;
    if (view["state"] == "not_ready") {
      lockedAfter = at;
      break;
    }
    EXPECT_EQ(view["state"], "ready") << history;
    // About 300 ms of the desktop's stream instead of a sleep.
    for (const auto until = Clock::now() + 300ms; Clock::now() < until;) {
      auto text = desktop->receiveText(
          std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()) + 1ms);
      if (!text) break;
      auto m = json::parse(*text, nullptr, false);
      if (m.is_object() && m["type"] == "event") desktopEvents.push_back(m["event"]);
    }
    ASSERT_FALSE(desktop->ended()) << "the desktop stays connected: " << history;
  }
  ASSERT_TRUE(lockedAfter.has_value()) << history << server_->stderrText();
  EXPECT_EQ(view["reason"], "session_locked") << history;
  RecordProperty("session_locked_after_ms",
                 static_cast<int>(
                     std::chrono::duration_cast<std::chrono::milliseconds>(*lockedAfter).count()));
  EXPECT_GE(*lockedAfter, kIdleLock - 500ms) << "not before idle_lock: " << history;
  EXPECT_LE(*lockedAfter, kIdleLock + 5s + 5s) << "the sweep runs every 5 s: " << history;
  // The session is locked indeed; the desktop was not activity.
  auto r = agentClient.get("/api/v1/queues", agent);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.body.find("session_locked"), std::string::npos) << r.body;

  // 3. The agent unlocks with the password and may go ready again.
  r = agentClient.request("POST", "/api/v1/auth/unlock", agent,
                          json{{"password", "Agt-Matrix-1001"}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_NO_FATAL_FAILURE(goReady(agentClient, agent, "1001", "ready-unlocked-1001"));
  view = agentView(supClient, sup, "1001", &seen);
  ASSERT_TRUE(view.is_object()) << seen;
  EXPECT_EQ(view["state"], "ready") << seen;
  EXPECT_TRUE(view["reason"].is_null()) << seen;

  // 4. The event log: logged_in, then desktop_lost, then session_locked, each once.
  const auto db = std::filesystem::path(data_) / "bankcc.db";
  std::vector<std::string> reasons;
  std::string story;
  for (int i = 0; i < 100; ++i) {
    reasons.clear();
    story.clear();
    int readies = 0;
    for (const auto& e : storedEvents(db)) {
      if (e.type != "agent.state_changed" || !e.payload.is_object() ||
          e.payload.value("agent_no", "") != "1001") {
        continue;
      }
      story += e.payload.dump() + "\n";
      if (e.payload.value("to", "") == "not_ready")
        reasons.push_back(e.payload.value("reason", ""));
      if (e.payload.value("to", "") == "ready") ++readies;
    }
    if (readies >= 3) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(reasons, (std::vector<std::string>{"logged_in", "desktop_lost", "session_locked"}))
      << story;

  // The desktop, connected throughout, saw its agent made not ready for the lock.
  bool desktopSawLock = false;
  for (const auto& e : desktopEvents) {
    if (e["type"] == "agent.state_changed" && e["payload"]["to"] == "not_ready" &&
        e["payload"]["reason"] == "session_locked") {
      desktopSawLock = true;
    }
  }
  if (!desktopSawLock) {
    // The change may have been published just after the last read.
    for (int i = 0; i < 10 && !desktopSawLock; ++i) {
      auto text = desktop->receiveText(1s);
      if (!text) continue;
      auto m = json::parse(*text, nullptr, false);
      if (m.is_object() && m["type"] == "event" && m["event"]["type"] == "agent.state_changed" &&
          m["event"]["payload"]["reason"] == "session_locked") {
        desktopSawLock = true;
      }
    }
  }
  EXPECT_TRUE(desktopSawLock) << json(desktopEvents).dump();
}

}  // namespace
}  // namespace bankcc::callflow
