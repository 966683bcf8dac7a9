// SPDX-License-Identifier: Apache-2.0
#pragma once

// Shared by the API integration tests: a `bankcc serve` with its own data directory, master
// key, the demo organisation and one user per built-in role, on SQLite or PostgreSQL; logging
// in; and checks of the error shape of CONVENTIONS.md.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/http_client.h"
#include "support/process.h"
#include "support/test_env.h"

namespace bankcc::apitest {

using json = nlohmann::json;
using testing::HeaderList;
using testing::HttpClient;
using testing::HttpResponse;
using testing::WsClient;

enum class Backend { Sqlite, Postgres };

/// "Sqlite" / "Postgres", for test names.
std::string backendName(const ::testing::TestParamInfo<Backend>& info);

struct ServerOptions {
  /// Lines for the [auth] section ("idle_lock = \"2s\"").
  std::vector<std::string> auth;
  /// Lines for the [http] section.
  std::vector<std::string> http;
  /// Whether to create a web root with an index.html and serve it.
  bool webRoot = false;
};

/// A user the fixture created with `bankcc admin create-user`.
struct RoleUser {
  std::string role;
  std::string username;  ///< "t_<role>"
  std::string password;  ///< current password (tests that change it update this)
};

class TestServer {
 public:
  /// Prepares keys, database, seed and users, then starts `bankcc serve`. Null when the backend
  /// is unavailable (the test is then skipped, or failed when BANKCC_REQUIRE_PG=1) or the
  /// server did not start (the test failed).
  static std::unique_ptr<TestServer> start(Backend backend, const ServerOptions& options = {});
  ~TestServer();

  const std::string& http() const { return http_; }
  Backend backend() const { return backend_; }
  /// The server's stderr so far.
  std::string log() const;
  /// The built-in roles in permissions.h order, each with its user.
  const std::vector<RoleUser>& users() const { return users_; }
  RoleUser& user(std::string_view role);

  /// Stops the server with SIGTERM; its exit code (nullopt on timeout).
  std::optional<int> stop();
  bool running() const { return process_ != nullptr; }
  /// Starts it again on the same database (after stop()). False when it did not start.
  bool restart();

  /// Runs `bankcc admin <args>` with this server's --config, --data-dir and (when `withKey`)
  /// --master-key; {exit code, output}.
  std::pair<int, std::string> admin(std::vector<std::string> args, const std::string& input = {},
                                    bool withKey = true) const;

  /// Runs SQL on the server's database directly (SQLite file or libpq); empty on success, else
  /// the error.
  std::string execSql(const std::string& sql) const;

  const std::filesystem::path& dir() const { return dir_.path(); }
  const std::filesystem::path& webRootDir() const { return webRoot_; }

 private:
  TestServer(Backend backend);
  bool launch();

  Backend backend_;
  testing::TempDir dir_{"api"};
  std::optional<std::string> pgUrl_;
  std::filesystem::path config_;
  std::filesystem::path data_;
  std::filesystem::path key_;
  std::filesystem::path webRoot_;
  std::unique_ptr<testing::Process> process_;
  std::string http_;
  std::vector<RoleUser> users_;
  int launches_ = 0;
};

/// Runs argv with `input` on stdin; {exit code, stdout + stderr}.
std::pair<int, std::string> runWithInput(const std::vector<std::string>& argv,
                                         const std::string& input);

/// Percent-encodes everything but unreserved characters (for query values).
std::string urlEncode(std::string_view s);

/// The body as JSON (discarded when not JSON).
json bodyOf(const HttpResponse& response);

/// `Authorization: Bearer <token>`.
HeaderList bearer(const std::string& token);

/// A successful login: the token, the CSRF token and the whole response.
struct Login {
  std::string token;
  std::string csrf;
  json body;
  HttpResponse response;
};

/// Logs in; nullopt (with the response in `failed`) unless 200 with a token.
std::optional<Login> login(HttpClient& client, const std::string& username,
                           const std::string& password, HttpResponse* failed = nullptr);
/// Logs in and records a test failure when that does not work.
Login mustLogin(HttpClient& client, const RoleUser& user);

/// The body follows CONVENTIONS.md's error shape: {"error":{"code","message"[,"fields"]}}
/// with a known code.
::testing::AssertionResult hasErrorShape(const HttpResponse& response);
/// hasErrorShape and the given status and code.
::testing::AssertionResult isError(const HttpResponse& response, int status,
                                   const std::string& code);
/// A 2xx status.
::testing::AssertionResult isSuccess(const HttpResponse& response);
/// The fields named in a 422 body.
std::vector<std::string> errorFields(const HttpResponse& response);

/// Audit records matching `query` (e.g. "action=auth."), read page by page as `auditor`.
std::vector<json> auditRecords(HttpClient& client, const std::string& auditorToken,
                               const std::string& query);
/// True when some record in `records` has `action`.
bool hasAction(const std::vector<json>& records, const std::string& action);

/// Repeats `check` every 50 ms until it is true or `timeout` passed.
bool eventually(const std::function<bool()>& check,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// A fixture whose tests run once on each backend.
class ApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  /// Starts a server on GetParam(); null when skipped or failed (return from the test then).
  std::unique_ptr<TestServer> startServer(const ServerOptions& options = {});
};

}  // namespace bankcc::apitest
