// SPDX-License-Identifier: Apache-2.0
// `bankcc serve` as a process: endpoints, the listening line, signals, bad configuration.

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/http_client.h"
#include "support/process.h"
#include "support/sqlite_util.h"
#include "support/test_env.h"

namespace bankcc {
namespace {

using namespace std::chrono_literals;
using testing::bankccBinary;
using testing::Process;
using testing::sqliteCount;
using testing::writeFile;

/// A running `bankcc serve` on an ephemeral port with its own data directory and key.
struct RunningServer {
  testing::TempDir dir{"serve"};
  std::unique_ptr<Process> process;
  std::string http;
  std::string sip;

  explicit RunningServer(std::vector<std::string> extra = {}, std::string subcommand = "serve") {
    std::vector<std::string> argv = {bankccBinary().string(),
                                     subcommand,
                                     "--data-dir",
                                     (dir.path() / "data").string(),
                                     "--http",
                                     "127.0.0.1:0",
                                     "--sip",
                                     "127.0.0.1:0",
                                     "--master-key",
                                     (dir.path() / "master.key").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<Process>(argv, dir.path() / "stderr.log");
    auto line = process->readLine(30s);
    if (!line) return;
    auto j = nlohmann::json::parse(*line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "listening") {
      http = j.value("http", "");
      sip = j.value("sip", "");
    }
  }
  std::string log() const { return process->stderrText(); }
};

TEST(ServeTest, PrintsListeningLineServesProbesAndStopsCleanlyOnSigterm) {
  RunningServer server;
  ASSERT_FALSE(server.http.empty()) << server.log();
  EXPECT_NE(server.http, "127.0.0.1:0");

  auto health = testing::httpGet(server.http, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(nlohmann::json::parse(health.body)["status"], "ok");
  auto ready = testing::httpGet(server.http, "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  auto metrics = testing::httpGet(server.http, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("bankcc_build_info"), std::string::npos);
  EXPECT_NE(metrics.body.find("bankcc_event_log_backlog"), std::string::npos);
  // Computed at the scrape: the statistics and the CDR projection (decision 0025).
  EXPECT_NE(metrics.body.find("bankcc_agents{state=\"ready\"} 0\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("bankcc_stats_events_folded_total "), std::string::npos);
  EXPECT_NE(metrics.body.find("bankcc_cdr_projected_seq "), std::string::npos);
  EXPECT_EQ(testing::httpGet(server.http, "/nope").status, 404);

  server.process->signal(SIGTERM);
  EXPECT_EQ(server.process->wait(30s), 0) << server.log();
  const auto db = server.dir.path() / "data" / "bankcc.db";
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM events WHERE type = 'system.started'"), 1);
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM events WHERE type = 'system.stopping'"), 1);
  // Logs are JSON lines on stderr.
  std::istringstream lines(server.log());
  std::string line;
  int jsonLines = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    ++jsonLines;
  }
  EXPECT_GT(jsonLines, 2);
}

TEST(ServeTest, AnswersTheEchoTestNumberFromAConfiguredTrunk) {
  testing::TempDir cfgDir("serve-sip");
  auto cfg = writeFile(cfgDir.path() / "bankcc.toml",
                       "[sip.trunks.local]\npeers = [\"127.0.0.1/32\"]\n"
                       "[media]\nrtp_port_min = 34000\nrtp_port_max = 34999\n");
  RunningServer server({"--config", cfg.string()});
  ASSERT_FALSE(server.sip.empty()) << server.log();
  EXPECT_NE(server.sip, "127.0.0.1:0");
  // sipp's built-in caller: INVITE with PCMU, a 1 s call, BYE.
  Process sipp(
      {"/usr/bin/sipp", "-sn", "uac", "-s", "9196", "-m", "1", "-d", "1000", "-i", "127.0.0.1",
       "-mi", "127.0.0.1", "-nostdin", "-timeout", "20", "-timeout_error", server.sip},
      cfgDir.path() / "sipp.log");
  EXPECT_EQ(sipp.wait(30s), 0) << sipp.stderrText() << server.log();
  auto metrics = testing::httpGet(server.http, "/metrics");
  EXPECT_NE(metrics.body.find("bankcc_telephony_diagnostic_calls_total 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("bankcc_telephony_legs "), std::string::npos);
  EXPECT_NE(metrics.body.find("bankcc_sip_registered_phones 0"), std::string::npos);
  // A number that reaches no queue is refused (404) by call control.
  Process refused({"/usr/bin/sipp", "-sn", "uac", "-s", "95566", "-m", "1", "-i", "127.0.0.1",
                   "-mi", "127.0.0.1", "-nostdin", "-timeout", "20", server.sip},
                  cfgDir.path() / "sipp-refused.log");
  EXPECT_NE(refused.wait(30s), 0);
  server.process->signal(SIGTERM);
  EXPECT_EQ(server.process->wait(20s), 0);
  EXPECT_NE(server.log().find("echo test call answered"), std::string::npos) << server.log();
}

TEST(ServeTest, APhoneRegistersWithThePasswordTheAdminSet) {
  testing::TempDir dir("serve-phone");
  const auto data = (dir.path() / "data").string();
  const auto key = (dir.path() / "master.key").string();
  auto setPassword = [&](const std::string& extension, const std::string& password) {
    // The password goes in on stdin, as an operator would pipe it.
    Process p({"/bin/sh", "-c",
               "printf '%s\\n' \"$0\" | \"$1\" admin set-phone-password --data-dir \"$2\" "
               "--master-key \"$3\" --extension \"$4\" --password-stdin",
               password, bankccBinary().string(), data, key, extension},
              dir.path() / "set.log");
    return p.wait(30s);
  };
  Process init(
      {bankccBinary().string(), "admin", "init-keys", "--data-dir", data, "--master-key", key},
      dir.path() / "init.log");
  ASSERT_EQ(init.wait(30s), 0);
  ASSERT_EQ(setPassword("8001", "Phone-pass-8001"), 0);
  EXPECT_EQ(setPassword("8002", "short"), 2) << "too short: refused";
  Process server({bankccBinary().string(), "serve", "--data-dir", data, "--master-key", key,
                  "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0"},
                 dir.path() / "serve.log");
  auto line = server.readLine(30s);
  ASSERT_TRUE(line);
  const std::string sip = nlohmann::json::parse(*line).value("sip", "");
  ASSERT_FALSE(sip.empty()) << server.stderrText();
  auto sipp = [&](const std::string& password, const std::string& log) {
    Process p({"/usr/bin/sipp", sip, "-sf", BANKCC_SIP_SCENARIOS "/register_unregister.xml", "-key",
               "caller", "8001", "-au", "8001", "-ap", password, "-m", "1", "-i", "127.0.0.1",
               "-nostdin", "-timeout", "20", "-timeout_error"},
              dir.path() / log);
    return p.wait(30s);
  };
  EXPECT_EQ(sipp("Phone-pass-8001", "sipp-ok.log"), 0) << server.stderrText();
  EXPECT_NE(sipp("wrong-password", "sipp-wrong.log"), 0);

  // A phone that stays registered shows in the API for a user holding agents.read.
  Process stay({"/usr/bin/sipp", sip, "-sf", BANKCC_VOICE_SCENARIOS "/register_only.xml", "-key",
                "caller", "8001", "-au", "8001", "-ap", "Phone-pass-8001", "-m", "1", "-i",
                "127.0.0.1", "-nostdin", "-timeout", "20", "-timeout_error"},
               dir.path() / "sipp-stay.log");
  ASSERT_EQ(stay.wait(30s), 0) << stay.stderrText();
  Process user({"/bin/sh", "-c",
                "printf '%s\\n' 'Sup-Matrix-4471' | \"$0\" admin create-user --data-dir \"$1\" "
                "--master-key \"$2\" --username sup1 --role supervisor --password-stdin",
                bankccBinary().string(), data, key},
               dir.path() / "user.log");
  ASSERT_EQ(user.wait(30s), 0);
  const std::string http = nlohmann::json::parse(*line).value("http", "");
  testing::HttpClient client(http);
  auto login = client.request("POST", "/api/v1/auth/login", {{"Content-Type", "application/json"}},
                              R"({"username":"sup1","password":"Sup-Matrix-4471"})");
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string token = nlohmann::json::parse(login.body).value("token", "");
  auto regs = client.get("/api/v1/phones/registrations", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(regs.status, 200) << regs.body;
  auto items = nlohmann::json::parse(regs.body)["items"];
  ASSERT_EQ(items.size(), 1u) << regs.body;
  EXPECT_EQ(items[0]["extension"], "8001");
  EXPECT_EQ(items[0]["contacts"].size(), 1u);
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(20s), 0);
  EXPECT_NE(server.stderrText().find("1 phones may register"), std::string::npos);
  // The database holds no password and no HA1 in clear.
  EXPECT_EQ(server.stderrText().find("Phone-pass-8001"), std::string::npos);
}

TEST(ServeTest, CreatesTheMasterKeyAtFirstStartWithAWarning) {
  RunningServer server;
  ASSERT_FALSE(server.http.empty()) << server.log();
  EXPECT_TRUE(std::filesystem::exists(server.dir.path() / "master.key"));
  EXPECT_NE(server.log().find("created a new master key"), std::string::npos);
}

TEST(ServeTest, SighupReloadsTheLogLevelAndSaysSo) {
  testing::TempDir cfgDir{"cfg"};
  auto cfg = writeFile(cfgDir.path() / "bankcc.toml", "[log]\nlevel = \"info\"\n");
  RunningServer server({"--config", cfg.string()});
  ASSERT_FALSE(server.http.empty()) << server.log();
  writeFile(cfg, "[log]\nlevel = \"debug\"\n");
  server.process->signal(SIGHUP);
  // The reload is logged; poll the log file instead of sleeping a fixed time.
  bool seen = false;
  for (int i = 0; i < 500 && !seen; ++i) {
    seen = server.log().find("applied log.level=debug") != std::string::npos;
    if (!seen) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(seen) << server.log();
  server.process->signal(SIGINT);
  EXPECT_EQ(server.process->wait(30s), 0);
}

TEST(ServeTest, BadConfigurationExitsWithFileLineAndKey) {
  testing::TempDir dir{"badcfg"};
  auto cfg = writeFile(dir.path() / "bankcc.toml",
                       "[http]\nlisten = 8080\n\n[stroe]\nurl = \"x\"\n[log]\nlevel = \"loud\"\n");
  auto [code, out] = testing::runCommand({bankccBinary().string(), "serve", "--config",
                                          cfg.string(), "--data-dir", (dir.path() / "d").string()});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("bankcc.toml:2:"), std::string::npos) << out;
  EXPECT_NE(out.find("http.listen"), std::string::npos) << out;
  EXPECT_NE(out.find("stroe"), std::string::npos) << out;
  EXPECT_NE(out.find("log.level"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "d")) << "nothing is created on bad config";
}

TEST(ServeTest, MalformedTomlNamesTheLine) {
  testing::TempDir dir{"badtoml"};
  auto cfg = writeFile(dir.path() / "bankcc.toml", "[http]\nlisten = \"127.0.0.1:0\n");
  auto [code, out] =
      testing::runCommand({bankccBinary().string(), "serve", "--config", cfg.string()});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("bankcc.toml:2:"), std::string::npos) << out;
}

TEST(ServeTest, UnreachablePostgresIsAClearErrorNotACrash) {
  testing::TempDir dir{"nopg"};
  auto cfg = writeFile(dir.path() / "bankcc.toml",
                       "[store]\nurl = \"postgresql:host=" + (dir.path() / "nosocket").string() +
                           " port=1 dbname=x connect_timeout=2\"\n");
  auto [code, out] = testing::runCommand({bankccBinary().string(), "serve", "--config",
                                          cfg.string(), "--data-dir", (dir.path() / "d").string(),
                                          "--master-key", (dir.path() / "k").string()});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("bankcc: "), std::string::npos) << out;
}

TEST(ServeTest, RequireExistingKeyRefusesToStartWithoutOne) {
  testing::TempDir dir{"nokey"};
  auto cfg = writeFile(dir.path() / "bankcc.toml", "[keys]\nrequire_existing = true\n");
  auto [code, out] = testing::runCommand({bankccBinary().string(), "serve", "--config",
                                          cfg.string(), "--data-dir", (dir.path() / "d").string(),
                                          "--master-key", (dir.path() / "k").string()});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("bankcc admin init-keys"), std::string::npos) << out;
}

TEST(ServeTest, RunsOnPostgres) {
  auto url = testing::freshPostgresDatabase("serve");
  if (!url) {
    if (testing::requirePostgres()) FAIL() << "PostgreSQL required";
    GTEST_SKIP() << "no PostgreSQL";
  }
  testing::TempDir cfgDir{"pgcfg"};
  auto cfg = writeFile(cfgDir.path() / "bankcc.toml", "[store]\nurl = \"" + *url + "\"\n");
  RunningServer server({"--config", cfg.string()});
  ASSERT_FALSE(server.http.empty()) << server.log();
  EXPECT_EQ(testing::httpGet(server.http, "/readyz").status, 200);
  server.process->signal(SIGTERM);
  EXPECT_EQ(server.process->wait(30s), 0) << server.log();
}

/// Runs `sql` on the fixture server's maintenance database; empty on success, else the error.
std::string pgAdminExec(const std::string& sql) {
  auto url = testing::postgresUrl();
  std::string conninfo = url->substr(std::string("postgresql:").size());
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) error = PQerrorMessage(conn);
    PQclear(r);
  }
  PQfinish(conn);
  return error;
}

TEST(ServeTest, ReadinessFollowsAPostgresOutageAndTheNodeRecovers) {
  auto url = testing::freshPostgresDatabase("outage");
  if (!url) {
    if (testing::requirePostgres()) FAIL() << "PostgreSQL required";
    GTEST_SKIP() << "no PostgreSQL";
  }
  const std::string db = url->substr(url->find("dbname=") + 7);
  testing::TempDir cfgDir{"outagecfg"};
  auto cfg = writeFile(cfgDir.path() / "bankcc.toml",
                       "[store]\nurl = \"" + *url + "\"\nbusy_timeout = \"2s\"\n");
  RunningServer server({"--config", cfg.string()});
  ASSERT_FALSE(server.http.empty()) << server.log();
  ASSERT_EQ(testing::httpGet(server.http, "/readyz").status, 200);

  // The database refuses connections and drops the ones it has: not ready, but alive.
  ASSERT_EQ(pgAdminExec("ALTER DATABASE " + db + " ALLOW_CONNECTIONS false"), "");
  ASSERT_EQ(pgAdminExec("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE "
                        "datname = '" +
                        db + "'"),
            "");
  auto down = testing::httpGet(server.http, "/readyz");
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_NE(down.body.find(R"("status":"unavailable")"), std::string::npos) << down.body;
  EXPECT_EQ(testing::httpGet(server.http, "/healthz").status, 200);

  // Back again: ready again, and the node stops cleanly with its events committed.
  ASSERT_EQ(pgAdminExec("ALTER DATABASE " + db + " ALLOW_CONNECTIONS true"), "");
  int status = 0;
  for (int i = 0; i < 250 && status != 200; ++i) {
    status = testing::httpGet(server.http, "/readyz").status;
    if (status != 200) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 200);
  server.process->signal(SIGTERM);
  EXPECT_EQ(server.process->wait(60s), 0) << server.log();
}

TEST(ServeTest, DemoSeedsTheOrganisationOnceOnFirstStart) {
  const std::string seed = std::string(BANKCC_SOURCE_DIR) + "/config/seed.toml";
  RunningServer server({"--seed", seed}, "demo");
  ASSERT_FALSE(server.http.empty()) << server.log();
  server.process->signal(SIGTERM);
  ASSERT_EQ(server.process->wait(30s), 0) << server.log();
  const auto db = server.dir.path() / "data" / "bankcc.db";
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM agents"), 20);
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM teams"), 4);
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM queues"), 5);
  // The demo agent's phone got a password (its sealed HA1 only), listed with the logins.
  EXPECT_EQ(sqliteCount(db, "SELECT COUNT(*) FROM phones"), 1);
  std::ifstream logins(server.dir.path() / "data" / "demo-logins.txt");
  std::string text((std::istreambuf_iterator<char>(logins)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("phone"), std::string::npos) << text;
  EXPECT_NE(text.find("8001"), std::string::npos) << text;
}

TEST(CliTest, VersionAndHelp) {
  auto [code, out] = testing::runCommand({bankccBinary().string(), "--version"});
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("bankcc 0."), std::string::npos) << out;
  auto [hcode, help] = testing::runCommand({bankccBinary().string(), "--help"});
  EXPECT_EQ(hcode, 0);
  for (auto word : {"serve", "demo", "admin"}) {
    EXPECT_NE(help.find(word), std::string::npos) << help;
  }
  auto [acode, adminHelp] = testing::runCommand({bankccBinary().string(), "admin", "--help"});
  for (auto word : {"init-keys", "migrate", "backup", "seed", "check-config"}) {
    EXPECT_NE(adminHelp.find(word), std::string::npos) << adminHelp;
  }
  auto [ucode, unknown] = testing::runCommand({bankccBinary().string(), "frobnicate"});
  EXPECT_EQ(ucode, 2) << unknown;
}

}  // namespace
}  // namespace bankcc
