// SPDX-License-Identifier: Apache-2.0
#pragma once
// The fixture of the end-to-end call tests (call_flow_test.cc, call_flow_consult_test.cc): a
// `bankcc serve` on SQLite with an admin, a supervisor and agents, sipp phones and callers,
// and readers of the event log. Test-only.

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

namespace bankcc::callflow {

using namespace std::chrono_literals;  // NOLINT(build/namespaces): test-only header
using json = nlohmann::json;
using testing::bankccBinary;
using testing::Process;
using testing::writeFile;

/// An event of the event log: type, envelope call id and payload.
struct StoredEvent {
  std::string type;
  std::string callId;
  json payload;
};

/// Every stored event, in order (SQLite).
inline std::vector<StoredEvent> storedEvents(const std::filesystem::path& db) {
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

/// The event types of the event log, in order.
inline std::vector<std::string> eventTypes(const std::filesystem::path& db) {
  std::vector<std::string> out;
  for (auto& e : storedEvents(db)) out.push_back(std::move(e.type));
  return out;
}

/// The first stored event of `type`: its payload with the envelope's call id as "_call_id",
/// or null.
inline json firstPayload(const std::filesystem::path& db, const std::string& type) {
  for (auto& e : storedEvents(db)) {
    if (e.type != type) continue;
    if (e.payload.is_object()) e.payload["_call_id"] = e.callId;
    return e.payload;
  }
  return nullptr;
}

/// Copies `scenario` to `dir` (as `as`, default its own name) with each key replaced (sipp does
/// not substitute -key values in attributes such as play_pcap_audio).
inline std::string scenarioWith(const std::filesystem::path& dir, const std::string& name,
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
                         "[sip.trunks.local]\npeers = [\"127.0.0.1/32\"]\n" + trunkOutbound() +
                             "[media]\nrtp_port_min = 36000\nrtp_port_max = 36999\n" +
                             mediaConfig_ + extraConfig);
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

  /// The trunk's `outbound` line when a test set trunkOutbound_ (the number side, a sipp UAS).
  std::string trunkOutbound() const {
    return trunkOutbound_.empty() ? std::string()
                                  : "outbound = \"127.0.0.1:" + trunkOutbound_ + "\"\n";
  }

  testing::TempDir dir_{"call-flow"};
  std::string trunkOutbound_;  ///< port of the number side; empty: the trunk has no outbound
  std::string mediaConfig_;    ///< more lines of the [media] section (e.g. "workers = 2\n")
  std::string data_;
  std::string key_;
  std::unique_ptr<Process> server_;
  int starts_ = 0;
  std::string http_;
  std::string sip_;
};

}  // namespace bankcc::callflow
