// SPDX-License-Identifier: Apache-2.0
// Queue calls end to end through `bankcc serve`, with sipp as the phones and the caller.
//
// A queue call: the administrator sets up a skill, a queue reached by its own number and an
// agent through the REST API; the agent's phone (sipp) registers; the agent logs in and goes
// ready through REST; a caller (sipp) dials the queue's number; the phone rings, answers, the
// call is bridged and recorded; the caller hangs up. Checked: the events in the event log, the
// live views, the routing explanation, the recording.
//
// A consult and attended transfer (decision 0018): the agent consults a colleague, whose phone
// answers, and hands the customer over; the agent's phone is hung up, the colleague talks to
// the customer until they hang up. Checked: the live views along the way, the consult's events,
// both CDRs (the call's and the consult's) and a recording for each agent's part.
//
// Presence: a ready agent whose desktop (the events WebSocket on the agent topic) goes away is
// made not_ready{desktop_lost} after [center] desktop_grace; one whose web session locks after
// [auth] idle_lock is made not_ready{session_locked}; after unlocking they may go ready again.

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <fstream>
#include <functional>
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

/// An event of the event log: type, envelope call id and payload.
struct StoredEvent {
  std::string type;
  std::string callId;
  json payload;
};

/// Every stored event, in order (SQLite).
std::vector<StoredEvent> storedEvents(const std::filesystem::path& db) {
  std::vector<StoredEvent> out;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(
          h, "SELECT type, COALESCE(call_id, ''), COALESCE(payload, '{}') FROM events ORDER BY seq",
          -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      out.push_back(StoredEvent{
          reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
          reinterpret_cast<const char*>(sqlite3_column_text(st, 1)),
          json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 2)), nullptr, false)});
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

/// Copies `scenario` to `dir` (as `as`, default its own name) with each key replaced (sipp does
/// not substitute -key values in attributes such as play_pcap_audio).
std::string scenarioWith(const std::filesystem::path& dir, const std::string& name,
                         const std::vector<std::pair<std::string, std::string>>& values,
                         const std::string& as = {}) {
  std::ifstream in(std::string(BANKCC_VOICE_SCENARIOS) + "/" + name);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& [key, value] : values) {
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
      text.replace(at, key.size(), value);
    }
  }
  auto path = dir / (as.empty() ? name : as);
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
    ASSERT_EQ(createUser("a1002", "agent", "Agt-Matrix-1002"), 0);
    ASSERT_EQ(createUser("sup1", "supervisor", "Sup-Matrix-4471"), 0);
    // The registrar reads the phones' credentials once, at start.
    ASSERT_EQ(setPhonePassword("8001", "Phone-pass-8001"), 0);
    ASSERT_EQ(setPhonePassword("8002", "Phone-pass-8002"), 0);
    ASSERT_NO_FATAL_FAILURE(startServer({}));
  }

  /// Starts `bankcc serve` on the fixture's data with the base config plus `extraConfig`
  /// (whole TOML sections, e.g. "[center]\ndesktop_grace = \"2s\"\n").
  void startServer(const std::string& extraConfig) {
    ++starts_;
    const std::string suffix = starts_ == 1 ? "" : "-" + std::to_string(starts_);
    auto cfg = writeFile(dir_.path() / ("bankcc" + suffix + ".toml"),
                         "[sip.trunks.local]\npeers = [\"127.0.0.1/32\"]\n"
                         "[media]\nrtp_port_min = 36000\nrtp_port_max = 36999\n" +
                             extraConfig);
    server_ = std::make_unique<Process>(
        std::vector<std::string>{bankccBinary().string(), "serve", "--config", cfg.string(),
                                 "--data-dir", data_, "--master-key", key_, "--http", "127.0.0.1:0",
                                 "--sip", "127.0.0.1:0"},
        dir_.path() / ("serve" + suffix + ".log"));
    auto line = server_->readLine(30s);
    ASSERT_TRUE(line) << server_->stderrText();
    auto listening = json::parse(*line);
    http_ = listening.value("http", "");
    sip_ = listening.value("sip", "");
    ASSERT_FALSE(sip_.empty()) << server_->stderrText();
  }

  /// Stops the server SetUp started and starts it again with `extraConfig` (a test that needs
  /// other settings; the others keep the base config).
  void restartServer(const std::string& extraConfig) {
    server_->signal(SIGTERM);
    ASSERT_EQ(server_->wait(30s), 0) << server_->stderrText();
    server_.reset();
    ASSERT_NO_FATAL_FAILURE(startServer(extraConfig));
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

  std::optional<int> setPhonePassword(const std::string& extension, const std::string& password) {
    Process p({"/bin/sh", "-c",
               "printf '%s\\n' \"$0\" | \"$1\" admin set-phone-password --data-dir \"$2\" "
               "--master-key \"$3\" --extension \"$4\" --password-stdin",
               password, bankccBinary().string(), data_, key_, extension},
              dir_.path() / ("phone-password-" + extension + ".log"));
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

  /// The skill "retail" and the queue "retail_zh" that needs it, reached at 95500.
  void createRetailQueue(testing::HttpClient& client, const testing::HeaderList& admin,
                         int wrapUpSeconds) {
    auto r = client.request("POST", "/api/v1/skills", admin,
                            R"({"code":"retail","name_zh":"个人业务","name_en":"Retail"})");
    ASSERT_EQ(r.status, 201) << r.body;
    json queue = json::parse(R"({
        "code":"retail_zh","name_zh":"个人业务","name_en":"Retail",
        "skill_needs":[{"skill":"retail","min_proficiency":2}],
        "dnis":["95500"],"language":"zh","ring_timeout_seconds":15})");
    queue["wrap_up_seconds"] = wrapUpSeconds;
    r = client.request("POST", "/api/v1/queues", admin, queue.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }

  /// An agent with the retail skill, signing in as `username`, with one extension.
  void createAgent(testing::HttpClient& client, const testing::HeaderList& admin,
                   const std::string& agentNo, const std::string& name, const std::string& username,
                   const std::string& extension) {
    json agent =
        json::parse(R"({"languages":["zh"],"skills":[{"code":"retail","proficiency":4}]})");
    agent["agent_no"] = agentNo;
    agent["name"] = name;
    agent["username"] = username;
    agent["extensions"] = json::array({extension});
    auto r = client.request("POST", "/api/v1/agents", admin, agent.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }

  /// The phone of `extension` registers (sipp register_only), then a second sipp on the same
  /// port is the phone answering: it answers, plays a `hz` tone for `seconds` and waits for
  /// the BYE.
  void startPhone(const std::string& extension, const std::string& password, double hz,
                  double seconds, std::unique_ptr<Process>* phone) {
    const auto port = std::to_string(voice::itest::freeUdpPort() & ~1);
    auto registration =
        sipp({"-sf", std::string(BANKCC_VOICE_SCENARIOS) + "/register_only.xml", "-p", port, "-key",
              "caller", extension, "-au", extension, "-ap", password, sip_},
             "register-" + extension + ".log");
    ASSERT_EQ(registration->wait(30s), 0) << registration->stderrText();
    const auto pcap = dir_.path() / ("phone-" + extension + ".pcap");
    voice::itest::writeRtpPcap(pcap, voice::itest::sine(hz, seconds));
    *phone = sipp({"-sf",
                   scenarioWith(dir_.path(), "uas_pcap.xml", {{"[pcap]", pcap.string()}},
                                "uas-" + extension + ".xml"),
                   "-p", port, "-mp", std::to_string(voice::itest::freeUdpPort() & ~1)},
                  "phone-" + extension + ".log");
  }

  /// A customer dials the queue's number, plays a `hz` tone for `seconds`, holds the call
  /// `holdMs` after the answer and hangs up.
  std::unique_ptr<Process> startCaller(double hz, double seconds, int holdMs) {
    const auto pcap = dir_.path() / "caller.pcap";
    voice::itest::writeRtpPcap(pcap, voice::itest::sine(hz, seconds));
    return sipp({"-sf",
                 scenarioWith(dir_.path(), "uac_pcap.xml",
                              {{"[pcap]", pcap.string()}, {"[hold]", std::to_string(holdMs)}}),
                 "-s", "95500", "-mp", std::to_string(voice::itest::freeUdpPort() & ~1), sip_},
                "caller.log");
  }

  /// The agent logs in with `extension` (REST command).
  void logIn(testing::HttpClient& client, const testing::HeaderList& agent,
             const std::string& agentNo, const std::string& extension) {
    const std::string requestId = "login-" + agentNo;
    auto r = client.request("POST", "/api/v1/agents/" + agentNo + "/session", agent,
                            json{{"extension", extension}, {"request_id", requestId}}.dump());
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(json::parse(r.body)["request_id"], requestId);
  }

  /// The agent goes ready (REST command; the core has carried it out when it answers). A
  /// request id is carried out once: a second ready of the same agent needs its own.
  void goReady(testing::HttpClient& client, const testing::HeaderList& agent,
               const std::string& agentNo, const std::string& requestId = {}) {
    const std::string id = requestId.empty() ? "ready-" + agentNo : requestId;
    auto r = client.request("PUT", "/api/v1/agents/" + agentNo + "/state", agent,
                            json{{"state", "ready"}, {"request_id", id}}.dump());
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(json::parse(r.body, nullptr, false).value("replay", false), false) << r.body;
  }

  /// Polls GET /api/v1/calls every 100 ms for up to 10 s until a call matches `pred`; returns
  /// it, or null (`seen` then holds the bodies read).
  json waitForCall(testing::HttpClient& client, const testing::HeaderList& headers,
                   const std::function<bool(const json&)>& pred, std::string& seen) {
    for (int i = 0; i < 100; ++i) {
      auto calls = client.get("/api/v1/calls", headers);
      seen += std::to_string(calls.status) + " " + calls.body + "\n";
      if (calls.status == 200) {
        const auto body = json::parse(calls.body, nullptr, false);
        if (body.is_object()) {
          for (const auto& c : body["items"]) {
            if (pred(c)) return c;
          }
        }
      }
      std::this_thread::sleep_for(100ms);
    }
    return nullptr;
  }

  /// `agentNo`'s entry of GET /api/v1/agent-states, or null (`seen` gets the body read).
  json agentView(testing::HttpClient& client, const testing::HeaderList& headers,
                 const std::string& agentNo, std::string* seen = nullptr) {
    auto states = client.get("/api/v1/agent-states", headers);
    if (seen != nullptr) *seen = std::to_string(states.status) + " " + states.body;
    if (states.status != 200) return nullptr;
    const auto body = json::parse(states.body, nullptr, false);
    if (!body.is_object()) return nullptr;
    for (const auto& a : body["items"]) {
      if (a["agent_no"] == agentNo) return a;
    }
    return nullptr;
  }

  /// GET /api/v1/cdrs/{callId}, polled every 100 ms for up to `polls` times until the CDR
  /// projection has written it.
  testing::HttpResponse waitForCdr(testing::HttpClient& client, const testing::HeaderList& headers,
                                   const std::string& callId, int polls) {
    testing::HttpResponse cdr;
    for (int i = 0; i < polls; ++i) {
      cdr = client.get("/api/v1/cdrs/" + callId, headers);
      if (cdr.status == 200) break;
      std::this_thread::sleep_for(100ms);
    }
    return cdr;
  }

  /// The agent's desktop: the events WebSocket, authenticated with the agent's bearer headers
  /// and subscribed to the agent topic; returns the agent topic's snapshot (or null).
  json openDesktop(testing::WsClient& desktop, const testing::HeaderList& agent) {
    if (desktop.handshake("/api/v1/events").status != 101) return nullptr;
    const std::string token = agent[0].second.substr(std::string("Bearer ").size());
    if (!desktop.sendText(json{{"type", "auth"}, {"token", token}}.dump())) return nullptr;
    if (!desktop.sendText(R"({"type":"subscribe","topics":["agent"]})")) return nullptr;
    for (int i = 0; i < 10; ++i) {
      auto text = desktop.receiveText(10s);
      if (!text) return nullptr;
      auto m = json::parse(*text, nullptr, false);
      if (m.is_object() && m["type"] == "snapshot" && m["topic"] == "agent") return m;
    }
    return nullptr;
  }

  testing::TempDir dir_{"call-flow"};
  std::string data_;
  std::string key_;
  std::unique_ptr<Process> server_;
  int starts_ = 0;
  std::string http_;
  std::string sip_;
};

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
  const auto cdr = waitForCdr(supClient, sup, callId, 100);
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

TEST_F(CallFlowTest, AnAgentConsultsAColleagueAndTransfersTheCall) {
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
  auto r = client1.request("POST", "/api/v1/calls/" + callId + "/consult", agent1,
                           R"({"target_type":"agent","target":"1002","request_id":"consult-1"})");
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
  EXPECT_EQ(call["held"], true) << call.dump();
  ASSERT_TRUE(call["consult_call_id"].is_string()) << call.dump();
  const std::string consultId = call["consult_call_id"].get<std::string>();
  EXPECT_NE(consultId, callId);
  // The colleague is on the consult, not on the customer's call yet.
  auto states = supClient.get("/api/v1/agent-states", sup);
  ASSERT_EQ(states.status, 200) << states.body;
  for (const auto& a : json::parse(states.body)["items"]) {
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
  for (const auto& a : json::parse(states.body)["items"]) {
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
      story += (e.callId == callId ? "call " : "consult ") + e.type + " " + e.payload.dump() + "\n";
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
  EXPECT_EQ(started->payload.value("target_type", ""), "agent") << story;
  EXPECT_EQ(started->payload.value("target", ""), "1002") << story;
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
  EXPECT_LT(indexOf("call.consult_started", consultId), indexOf("call.consult_answered", consultId))
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
  const auto cdr = waitForCdr(supClient, sup, callId, 200);
  ASSERT_EQ(cdr.status, 200) << cdr.body;
  const auto record = json::parse(cdr.body);
  EXPECT_EQ(record["outcome"], "answered") << cdr.body;
  EXPECT_EQ(record["answered_by"], "1001") << cdr.body;
  EXPECT_EQ(record["agents"], json::array({"1001", "1002"})) << cdr.body;
  EXPECT_EQ(record["transfers"], 1) << cdr.body;
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
    consultCdr = supClient.get("/api/v1/cdrs/" + consultId, sup);
    if (consultCdr.status == 200) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(consultCdr.status, 200) << consultCdr.body;
  auto listed = supClient.get("/api/v1/cdrs", sup);
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto items = json::parse(listed.body)["items"];
  const json* consultRow = nullptr;
  for (const auto& item : items) {
    if (item["call_id"] == consultId) consultRow = &item;
  }
  ASSERT_NE(consultRow, nullptr) << listed.body;
  EXPECT_EQ((*consultRow)["parent_call_id"], callId) << listed.body;
  EXPECT_EQ((*consultRow)["dnis"], "1002") << listed.body;
  EXPECT_EQ(items.size(), 2u) << listed.body;
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
}  // namespace bankcc
