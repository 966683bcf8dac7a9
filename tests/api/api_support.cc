// SPDX-License-Identifier: Apache-2.0
#include "api/api_support.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>

#include "api/permissions.h"

namespace bankcc::apitest {

using namespace std::chrono_literals;

namespace {

std::string seedFile() {
  return std::string(BANKCC_SOURCE_DIR) + "/config/seed.toml";
}

void skipTest(const std::string& why) {
  GTEST_SKIP() << why;
}

std::string tomlString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

std::string backendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::Sqlite ? "Sqlite" : "Postgres";
}

std::pair<int, std::string> runWithInput(const std::vector<std::string>& argv,
                                         const std::string& input) {
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (auto& a : copy) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  // The input is small (a password): it fits the pipe, so writing first cannot dead-lock.
  std::string_view left = input;
  while (!left.empty()) {
    const ssize_t n = ::write(in[1], left.data(), left.size());
    if (n <= 0) break;
    left.remove_prefix(static_cast<std::size_t>(n));
  }
  ::close(in[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), text};
}

// --- TestServer ------------------------------------------------------------------------------

TestServer::TestServer(Backend backend) : backend_(backend) {}

TestServer::~TestServer() {
  if (process_) {
    process_->signal(SIGTERM);
    if (!process_->wait(20s)) process_.reset();  // SIGKILLs
  }
}

std::unique_ptr<TestServer> TestServer::start(Backend backend, const ServerOptions& options) {
  std::unique_ptr<TestServer> server(new TestServer(backend));
  TestServer& s = *server;
  if (backend == Backend::Postgres) {
    try {
      s.pgUrl_ = testing::freshPostgresDatabase("api");
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
      return nullptr;
    }
    if (!s.pgUrl_) {
      if (testing::requirePostgres()) {
        ADD_FAILURE() << "PostgreSQL required (BANKCC_REQUIRE_PG=1) but not available";
      } else {
        skipTest("no PostgreSQL");
      }
      return nullptr;
    }
  }
  s.config_ = s.dir() / "bankcc.toml";
  s.data_ = s.dir() / "data";
  s.key_ = s.dir() / "master.key";
  std::ofstream cfg(s.config_);
  cfg << "[log]\nlevel = \"info\"\n";
  if (s.pgUrl_) cfg << "[store]\nurl = " << tomlString(*s.pgUrl_) << "\n";
  cfg << "[auth]\n";
  for (const auto& line : options.auth) cfg << line << "\n";
  cfg << "[http]\n";
  for (const auto& line : options.http) cfg << line << "\n";
  if (options.webRoot) {
    s.webRoot_ = s.dir() / "web";
    std::filesystem::create_directories(s.webRoot_ / "assets");
    std::ofstream(s.webRoot_ / "index.html") << "<!doctype html><title>bankcc test</title>\n";
    std::ofstream(s.webRoot_ / "assets" / "app.js") << "console.log('bankcc');\n";
    cfg << "web_root = " << tomlString(s.webRoot_.string()) << "\n";
  }
  cfg.close();

  auto [keyCode, keyOut] = s.admin({"init-keys"});
  if (keyCode != 0) {
    ADD_FAILURE() << "admin init-keys: " << keyOut;
    return nullptr;
  }
  auto [seedCode, seedOut] = s.admin({"seed", "--file", seedFile()}, {}, false);
  if (seedCode != 0) {
    ADD_FAILURE() << "admin seed: " << seedOut;
    return nullptr;
  }
  for (auto role : api::builtInRoles()) {
    RoleUser u{std::string(role), "t_" + std::string(role),
               "Secret-" + std::string(role) + "-9931"};
    auto [code, out] = s.admin({"create-user", "--username", u.username, "--role", u.role,
                                "--display-name", "Test " + u.role, "--password-stdin"},
                               u.password + "\n");
    if (code != 0) {
      ADD_FAILURE() << "admin create-user " << u.username << ": " << out;
      return nullptr;
    }
    s.users_.push_back(std::move(u));
  }
  if (!s.launch()) return nullptr;
  return server;
}

bool TestServer::launch() {
  std::vector<std::string> argv = {testing::bankccBinary().string(),
                                   "serve",
                                   "--config",
                                   config_.string(),
                                   "--data-dir",
                                   data_.string(),
                                   "--http",
                                   "127.0.0.1:0",
                                   "--sip",
                                   "127.0.0.1:0",
                                   "--master-key",
                                   key_.string()};
  process_ = std::make_unique<testing::Process>(
      argv, dir() / ("stderr-" + std::to_string(launches_++) + ".log"));
  http_.clear();
  auto line = process_->readLine(60s);
  if (line) {
    auto j = json::parse(*line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "listening") http_ = j.value("http", "");
  }
  if (http_.empty()) {
    ADD_FAILURE() << "bankcc serve did not start; stdout: " << line.value_or("(none)")
                  << "\nstderr:\n"
                  << process_->stderrText();
    return false;
  }
  return true;
}

bool TestServer::restart() {
  if (process_) return false;
  return launch();
}

std::string TestServer::log() const {
  return process_ ? process_->stderrText() : std::string();
}

RoleUser& TestServer::user(std::string_view role) {
  for (auto& u : users_) {
    if (u.role == role) return u;
  }
  throw std::logic_error("no user for role " + std::string(role));
}

std::optional<int> TestServer::stop() {
  if (!process_) return std::nullopt;
  process_->signal(SIGTERM);
  auto code = process_->wait(30s);
  process_.reset();
  return code;
}

std::pair<int, std::string> TestServer::admin(std::vector<std::string> args,
                                              const std::string& input, bool withKey) const {
  std::vector<std::string> argv = {testing::bankccBinary().string(),
                                   "admin",
                                   args.at(0),
                                   "--config",
                                   config_.string(),
                                   "--data-dir",
                                   data_.string()};
  if (withKey) {
    argv.push_back("--master-key");
    argv.push_back(key_.string());
  }
  argv.insert(argv.end(), args.begin() + 1, args.end());
  return runWithInput(argv, input);
}

std::string TestServer::execSql(const std::string& sql) const {
  if (pgUrl_) {
    const std::string prefix = "postgresql:";
    const std::string conninfo =
        pgUrl_->rfind(prefix, 0) == 0 ? pgUrl_->substr(prefix.size()) : *pgUrl_;
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
  sqlite3* conn = nullptr;
  std::string error;
  if (sqlite3_open((data_ / "bankcc.db").c_str(), &conn) != SQLITE_OK) {
    error = conn ? sqlite3_errmsg(conn) : "cannot open";
  } else {
    char* message = nullptr;
    if (sqlite3_exec(conn, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      error = message ? message : "failed";
    }
    sqlite3_free(message);
  }
  sqlite3_close(conn);
  return error;
}

// --- HTTP helpers -----------------------------------------------------------------------------

std::string urlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

json bodyOf(const HttpResponse& response) {
  return json::parse(response.body, nullptr, false);
}

HeaderList bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

std::optional<Login> login(HttpClient& client, const std::string& username,
                           const std::string& password, HttpResponse* failed) {
  auto r = client.request("POST", "/api/v1/auth/login", {},
                          json{{"username", username}, {"password", password}}.dump());
  auto body = bodyOf(r);
  if (r.status != 200 || !body.is_object() || !body.contains("token")) {
    if (failed) *failed = r;
    return std::nullopt;
  }
  Login out;
  out.token = body.value("token", "");
  out.csrf = body.value("csrf_token", "");
  out.body = body;
  out.response = r;
  return out;
}

Login mustLogin(HttpClient& client, const RoleUser& user) {
  HttpResponse failed;
  auto in = login(client, user.username, user.password, &failed);
  if (!in) {
    ADD_FAILURE() << "login as " << user.username << " failed: " << failed.status << " "
                  << failed.body;
    return {};
  }
  return *in;
}

::testing::AssertionResult hasErrorShape(const HttpResponse& response) {
  static const std::set<std::string> kCodes = {
      "bad_request",    "validation_failed", "unauthenticated",
      "session_locked", "password_expired",  "must_change_password",
      "account_locked", "forbidden",         "not_found",
      "conflict",       "version_mismatch",  "payload_too_large",
      "rate_limited",   "unavailable"};
  auto body = bodyOf(response);
  auto fail = [&](const std::string& why) {
    return ::testing::AssertionFailure() << why << " (status " << response.status
                                         << ", body: " << response.body.substr(0, 500) << ")";
  };
  if (!body.is_object()) return fail("body is not a JSON object");
  if (body.size() != 1 || !body.contains("error")) return fail("body must be {\"error\": …}");
  const auto& e = body["error"];
  if (!e.is_object()) return fail("error is not an object");
  if (!e.contains("code") || !e["code"].is_string()) return fail("error.code missing");
  if (!kCodes.count(e["code"].get<std::string>())) return fail("error.code is not a known code");
  if (!e.contains("message") || !e["message"].is_string() ||
      e["message"].get<std::string>().empty()) {
    return fail("error.message missing");
  }
  for (const auto& [k, v] : e.items()) {
    if (k != "code" && k != "message" && k != "fields") return fail("unexpected key error." + k);
  }
  if (e.contains("fields")) {
    if (!e["fields"].is_array()) return fail("error.fields is not an array");
    for (const auto& f : e["fields"]) {
      if (!f.is_object() || !f.contains("field") || !f["field"].is_string() ||
          !f.contains("message") || !f["message"].is_string()) {
        return fail("error.fields items must be {field, message}");
      }
    }
  }
  if (response.header("content-type").rfind("application/json", 0) != 0) {
    return fail("Content-Type is not application/json");
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult isError(const HttpResponse& response, int status,
                                   const std::string& code) {
  if (response.status != status) {
    return ::testing::AssertionFailure()
           << "expected status " << status << " (" << code << "), got " << response.status << ": "
           << response.body.substr(0, 500);
  }
  auto shape = hasErrorShape(response);
  if (!shape) return shape;
  const auto got = bodyOf(response)["error"]["code"].get<std::string>();
  if (got != code) {
    return ::testing::AssertionFailure()
           << "expected code " << code << ", got " << got << ": " << response.body;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult isSuccess(const HttpResponse& response) {
  if (response.status >= 200 && response.status < 300) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected 2xx, got " << response.status << ": " << response.body.substr(0, 500);
}

std::vector<std::string> errorFields(const HttpResponse& response) {
  std::vector<std::string> out;
  auto body = bodyOf(response);
  if (!body.is_object() || !body.contains("error") || !body["error"].contains("fields")) return out;
  for (const auto& f : body["error"]["fields"]) out.push_back(f.value("field", ""));
  return out;
}

std::vector<json> auditRecords(HttpClient& client, const std::string& auditorToken,
                               const std::string& query) {
  std::vector<json> out;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    std::string path = "/api/v1/audit?limit=500";
    if (!query.empty()) path += "&" + query;
    if (!cursor.empty()) path += "&cursor=" + urlEncode(cursor);
    auto r = client.get(path, bearer(auditorToken));
    auto body = bodyOf(r);
    if (r.status != 200 || !body.is_object()) {
      ADD_FAILURE() << "GET " << path << ": " << r.status << " " << r.body;
      return out;
    }
    for (auto& item : body["items"]) out.push_back(item);
    if (!body["next_cursor"].is_string()) break;
    cursor = body["next_cursor"].get<std::string>();
  }
  return out;
}

bool hasAction(const std::vector<json>& records, const std::string& action) {
  for (const auto& r : records) {
    if (r.value("action", "") == action) return true;
  }
  return false;
}

bool eventually(const std::function<bool()>& check, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (check()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
}

std::unique_ptr<TestServer> ApiTest::startServer(const ServerOptions& options) {
  return TestServer::start(GetParam(), options);
}

}  // namespace bankcc::apitest
