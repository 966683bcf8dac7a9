// SPDX-License-Identifier: Apache-2.0
// A queue call end to end through `bankcc serve`: the administrator sets up a skill, a queue
// reached by its own number and an agent through the REST API; the agent's phone (sipp)
// registers; the agent logs in and goes ready through REST; a caller (sipp) dials the queue's
// number; the phone rings, answers, the call is bridged and recorded; the caller hangs up.
// Checked: the events in the event log, the live views, the routing explanation, the recording.

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/http_client.h"
#include "support/process.h"
#include "support/test_env.h"
#include "voice/voice_support.h"

namespace bankcc {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using testing::bankccBinary;
using testing::Process;
using testing::writeFile;

/// The event types of the event log, in order (SQLite).
std::vector<std::string> eventTypes(const std::filesystem::path& db) {
  std::vector<std::string> out;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, "SELECT type FROM events ORDER BY seq", -1, &st, nullptr) ==
      SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

/// The first stored event of `type` as JSON (its payload column), or null.
json firstPayload(const std::filesystem::path& db, const std::string& type) {
  json out;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h,
                         "SELECT payload, COALESCE(call_id, '') FROM events WHERE type = ? "
                         "ORDER BY seq LIMIT 1",
                         -1, &st, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, type.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
      out = json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), nullptr, false);
      if (out.is_object()) {
        out["_call_id"] = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
      }
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

/// Copies `scenario` to `dir` with each key replaced (sipp does not substitute -key values in
/// attributes such as play_pcap_audio).
std::string scenarioWith(const std::filesystem::path& dir, const std::string& name,
                         const std::vector<std::pair<std::string, std::string>>& values) {
  std::ifstream in(std::string(BANKCC_VOICE_SCENARIOS) + "/" + name);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& [key, value] : values) {
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
      text.replace(at, key.size(), value);
    }
  }
  auto path = dir / name;
  writeFile(path, text);
  return path.string();
}

class CallFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = (dir_.path() / "data").string();
    key_ = (dir_.path() / "master.key").string();
    Process init(
        {bankccBinary().string(), "admin", "init-keys", "--data-dir", data_, "--master-key", key_},
        dir_.path() / "init.log");
    ASSERT_EQ(init.wait(30s), 0);
    ASSERT_EQ(createUser("admin1", "admin", "Adm-Matrix-7731"), 0);
    ASSERT_EQ(createUser("a1001", "agent", "Agt-Matrix-1001"), 0);
    ASSERT_EQ(createUser("sup1", "supervisor", "Sup-Matrix-4471"), 0);
    Process phone({"/bin/sh", "-c",
                   "printf '%s\\n' 'Phone-pass-8001' | \"$0\" admin set-phone-password "
                   "--data-dir \"$1\" --master-key \"$2\" --extension 8001 --password-stdin",
                   bankccBinary().string(), data_, key_},
                  dir_.path() / "phone.log");
    ASSERT_EQ(phone.wait(30s), 0);
    auto cfg = writeFile(dir_.path() / "bankcc.toml",
                         "[sip.trunks.local]\npeers = [\"127.0.0.1/32\"]\n"
                         "[media]\nrtp_port_min = 36000\nrtp_port_max = 36999\n");
    server_ = std::make_unique<Process>(
        std::vector<std::string>{bankccBinary().string(), "serve", "--config", cfg.string(),
                                 "--data-dir", data_, "--master-key", key_, "--http", "127.0.0.1:0",
                                 "--sip", "127.0.0.1:0"},
        dir_.path() / "serve.log");
    auto line = server_->readLine(30s);
    ASSERT_TRUE(line) << server_->stderrText();
    auto listening = json::parse(*line);
    http_ = listening.value("http", "");
    sip_ = listening.value("sip", "");
    ASSERT_FALSE(sip_.empty()) << server_->stderrText();
  }

  void TearDown() override {
    if (server_) {
      server_->signal(SIGTERM);
      server_->wait(30s);
    }
  }

  std::optional<int> createUser(const std::string& name, const std::string& role,
                                const std::string& password) {
    Process p({"/bin/sh", "-c",
               "printf '%s\\n' \"$0\" | \"$1\" admin create-user --data-dir \"$2\" "
               "--master-key \"$3\" --username \"$4\" --role \"$5\" --password-stdin",
               password, bankccBinary().string(), data_, key_, name, role},
              dir_.path() / ("user-" + name + ".log"));
    return p.wait(30s);
  }

  /// Logs `user` in and returns the bearer header.
  testing::HeaderList login(testing::HttpClient& client, const std::string& user,
                            const std::string& password) {
    auto r = client.request("POST", "/api/v1/auth/login", {{"Content-Type", "application/json"}},
                            json{{"username", user}, {"password", password}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return {{"Authorization", "Bearer " + json::parse(r.body).value("token", "")},
            {"Content-Type", "application/json"}};
  }

  std::unique_ptr<Process> sipp(std::vector<std::string> args, const std::string& log) {
    std::vector<std::string> argv = {
        "/usr/bin/sipp", "-i",       "127.0.0.1", "-mi",           "127.0.0.1", "-m", "1",
        "-nostdin",      "-timeout", "40",        "-timeout_error"};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Process>(argv, dir_.path() / log);
  }

  testing::TempDir dir_{"call-flow"};
  std::string data_;
  std::string key_;
  std::unique_ptr<Process> server_;
  std::string http_;
  std::string sip_;
};

TEST_F(CallFlowTest, AnAgentTakesAQueueCallThatIsRecordedAndLogged) {
  testing::HttpClient client(http_);
  auto admin = login(client, "admin1", "Adm-Matrix-7731");
  auto r = client.request("POST", "/api/v1/skills", admin,
                          R"({"code":"retail","name_zh":"个人业务","name_en":"Retail"})");
  ASSERT_EQ(r.status, 201) << r.body;
  r = client.request("POST", "/api/v1/queues", admin, R"({
      "code":"retail_zh","name_zh":"个人业务","name_en":"Retail",
      "skill_needs":[{"skill":"retail","min_proficiency":2}],
      "dnis":["95500"],"language":"zh","ring_timeout_seconds":15,"wrap_up_seconds":5})");
  ASSERT_EQ(r.status, 201) << r.body;
  r = client.request("POST", "/api/v1/agents", admin, R"({
      "agent_no":"1001","name":"张伟","username":"a1001","languages":["zh"],
      "skills":[{"code":"retail","proficiency":4}],"extensions":["8001"]})");
  ASSERT_EQ(r.status, 201) << r.body;

  // The agent's phone registers, then a second sipp on the same port is the phone answering.
  const auto phonePort = std::to_string(voice::itest::freeUdpPort() & ~1);
  auto registration =
      sipp({"-sf", std::string(BANKCC_VOICE_SCENARIOS) + "/register_only.xml", "-p", phonePort,
            "-key", "caller", "8001", "-au", "8001", "-ap", "Phone-pass-8001", sip_},
           "register.log");
  ASSERT_EQ(registration->wait(30s), 0) << registration->stderrText();
  const auto agentPcap = dir_.path() / "agent.pcap";
  const auto callerPcap = dir_.path() / "caller.pcap";
  voice::itest::writeRtpPcap(agentPcap, voice::itest::sine(1000, 4.0));
  voice::itest::writeRtpPcap(callerPcap, voice::itest::sine(400, 4.0));
  auto phone =
      sipp({"-sf", scenarioWith(dir_.path(), "uas_pcap.xml", {{"[pcap]", agentPcap.string()}}),
            "-p", phonePort, "-mp", std::to_string(voice::itest::freeUdpPort() & ~1)},
           "phone.log");
  std::this_thread::sleep_for(300ms);  // sipp binds its port

  // The agent logs in with the phone and goes ready through REST.
  testing::HttpClient agentClient(http_);
  auto agent = login(agentClient, "a1001", "Agt-Matrix-1001");
  r = agentClient.request("POST", "/api/v1/agents/1001/session", agent,
                          R"({"extension":"8001","request_id":"login-1"})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json::parse(r.body)["request_id"], "login-1");
  r = agentClient.request("PUT", "/api/v1/agents/1001/state", agent,
                          R"({"state":"ready","request_id":"ready-1"})");
  ASSERT_EQ(r.status, 202) << r.body;
  // Another agent's state is not this agent's to change.
  r = agentClient.request("PUT", "/api/v1/agents/1002/state", agent, R"({"state":"ready"})");
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
  auto caller = sipp({"-sf",
                      scenarioWith(dir_.path(), "uac_pcap.xml",
                                   {{"[pcap]", callerPcap.string()}, {"[hold]", "3000"}}),
                      "-s", "95500", "-mp", std::to_string(voice::itest::freeUdpPort() & ~1), sip_},
                     "caller.log");

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
  testing::HttpResponse cdr;
  for (int i = 0; i < 100; ++i) {
    cdr = supClient.get("/api/v1/cdrs/" + callId, sup);
    if (cdr.status == 200) break;
    std::this_thread::sleep_for(100ms);
  }
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
  auto listed = supClient.get("/api/v1/cdrs?agent=1001", sup);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(json::parse(listed.body)["items"].size(), 1u) << listed.body;

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
}  // namespace bankcc
