// SPDX-License-Identifier: Apache-2.0
// Hostile and broken input over HTTP: every request gets a 4xx JSON error (never a 5xx, never a
// file from outside the web root) and the server keeps serving.

#include <gtest/gtest.h>

#include <thread>

#include "api/api_support.h"

namespace bankcc::apitest {
namespace {

using namespace std::chrono_literals;

class InputTest : public ApiTest {};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// A 4xx with the error shape.
::testing::AssertionResult isClientError(const HttpResponse& r) {
  if (r.status < 400 || r.status >= 500) {
    return ::testing::AssertionFailure()
           << "expected a 4xx, got " << r.status << ": " << r.body.substr(0, 300);
  }
  return hasErrorShape(r);
}

json queue(const std::string& code) {
  return json{{"code", code}, {"name_zh", "队列"}, {"name_en", "Queue"}, {"skills", {"retail"}}};
}

TEST_P(InputTest, BadRequestsGetA4xxJsonErrorAndTheServerKeepsRunning) {
  ServerOptions options;
  options.webRoot = true;
  auto server = startServer(options);
  if (!server) return;
  HttpClient client(server->http());
  auto admin = mustLogin(client, server->user("admin"));
  ASSERT_FALSE(admin.token.empty());
  const auto auth = bearer(admin.token);
  auto post = [&](const std::string& body, HeaderList extra = {}) {
    HeaderList headers = auth;
    headers.insert(headers.end(), extra.begin(), extra.end());
    return client.request("POST", "/api/v1/queues", headers, body);
  };

  // --- bodies
  EXPECT_TRUE(isError(post("{\"code\": "), 400, "bad_request")) << "malformed JSON";
  EXPECT_TRUE(isError(post("{\"code\": \"x\",}"), 400, "bad_request")) << "trailing comma";
  EXPECT_TRUE(isError(post("[1, 2, 3]"), 400, "bad_request")) << "an array is not an object";
  EXPECT_TRUE(isError(post("\"just a string\""), 400, "bad_request"));
  EXPECT_TRUE(isError(post("null"), 400, "bad_request"));
  EXPECT_TRUE(isError(client.request("POST", "/api/v1/queues", auth), 400, "bad_request"))
      << "empty body";
  EXPECT_TRUE(isError(post(std::string(100, '[') + std::string(100, ']')), 400, "bad_request"))
      << "deep nesting";
  EXPECT_TRUE(isError(post("{\"code\": \"\xff\xfe\"}"), 400, "bad_request")) << "not UTF-8";
  EXPECT_TRUE(isClientError(post(queue("ct_q").dump(), {{"Content-Type", "text/plain"}})))
      << "wrong Content-Type";

  auto wrongTypes = post(json{
      {"code", 5},
      {"name_zh", json::array()},
      {"name_en", json::object()},
      {"service_level_target", "80"},
      {"skills", "retail"}}.dump());
  EXPECT_TRUE(isError(wrongTypes, 422, "validation_failed"));
  for (const char* field : {"code", "name_zh", "name_en", "service_level_target", "skills"}) {
    auto fields = errorFields(wrongTypes);
    EXPECT_NE(std::find(fields.begin(), fields.end(), field), fields.end())
        << field << " not named in " << wrongTypes.body;
  }
  json unknown = queue("unknown_q");
  unknown["colour"] = "red";
  auto unknownField = post(unknown.dump());
  EXPECT_TRUE(isError(unknownField, 422, "validation_failed"));
  EXPECT_EQ(errorFields(unknownField), std::vector<std::string>{"colour"}) << unknownField.body;
  json outOfRange = queue("range_q");
  outOfRange["service_level_target"] = 1000;
  EXPECT_TRUE(isError(post(outOfRange.dump()), 422, "validation_failed"));
  json hugeNumber = queue("huge_q");
  hugeNumber["service_level_target"] = 1e300;
  EXPECT_TRUE(isError(post(hugeNumber.dump()), 422, "validation_failed"));
  json control = queue("control_q");
  control["name_en"] = std::string("bell\x07");
  EXPECT_TRUE(isError(post(control.dump()), 422, "validation_failed"));

  json longString = queue("long_q");
  longString["name_zh"] = std::string(100 * 1024, 'x');
  auto tooLong = post(longString.dump());
  EXPECT_TRUE(isError(tooLong, 422, "validation_failed"));
  EXPECT_EQ(errorFields(tooLong), std::vector<std::string>{"name_zh"}) << tooLong.body.size();

  // 2 MB: refused by the transport before anything reads it.
  {
    const std::string body(2 << 20, ' ');
    const std::string head =
        "POST /api/v1/queues HTTP/1.1\r\nHost: " + server->http() + "\r\nAuthorization: Bearer " +
        admin.token +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n";
    auto big = client.raw(head + body, 15s);
    ASSERT_TRUE(big.response) << "no response to a 2 MB body; got " << big.received.size()
                              << " bytes";
    EXPECT_TRUE(isError(*big.response, 413, "payload_too_large"));
  }

  // SQL metacharacters: stored verbatim where the field takes free text, refused where it does
  // not; the table survives.
  const std::vector<std::string> nasty = {"'; DROP TABLE queues; --",        "\" OR \"1\"=\"1",
                                          "Robert'); DELETE FROM queues;--", "%_\\' OR 1=1 /*",
                                          "1; SELECT pg_sleep(10); --",      "$$ || chr(39) || $$"};
  for (std::size_t i = 0; i < nasty.size(); ++i) {
    const std::string& s = nasty[i];
    const std::string code = "sql_q" + std::to_string(i);
    json asCode = queue(s);
    EXPECT_TRUE(isError(post(asCode.dump()), 422, "validation_failed")) << s;
    json asSkill = queue(code);
    asSkill["skills"] = json::array({s});
    EXPECT_TRUE(isError(post(asSkill.dump()), 422, "validation_failed")) << s;
    json asNames = queue(code);
    asNames["name_zh"] = s;
    asNames["name_en"] = s;
    auto stored = post(asNames.dump());
    if (stored.status == 201) {
      auto back = bodyOf(client.get("/api/v1/queues/" + code, auth));
      EXPECT_EQ(back["name_zh"], s) << "stored verbatim";
      EXPECT_EQ(back["name_en"], s) << "stored verbatim";
    } else {
      EXPECT_TRUE(isError(stored, 422, "validation_failed")) << s;
    }
    EXPECT_TRUE(isClientError(client.get("/api/v1/queues/" + urlEncode(s), auth))) << s;
    EXPECT_TRUE(isClientError(client.get("/api/v1/queues?cursor=" + urlEncode(s), auth))) << s;
  }
  auto all = bodyOf(client.get("/api/v1/queues?limit=500", auth));
  ASSERT_TRUE(all.contains("items")) << all;
  int seedQueues = 0;
  for (const auto& q : all["items"]) {
    for (const char* code : {"retail_zh", "retail_en", "credit_card", "corporate", "vip"}) {
      if (q["code"] == code) ++seedQueues;
    }
  }
  EXPECT_EQ(seedQueues, 5) << "the queues table is intact";

  // --- paths, methods, versions, paging
  EXPECT_TRUE(isError(client.get("/api/v1/nope", auth), 404, "not_found"));
  EXPECT_TRUE(isError(client.get("/api/v2/queues", auth), 404, "not_found"));
  auto wrongMethod = client.request("DELETE", "/api/v1/queues", auth);
  EXPECT_EQ(wrongMethod.status, 405) << wrongMethod.body;
  EXPECT_TRUE(hasErrorShape(wrongMethod));
  EXPECT_TRUE(contains(wrongMethod.header("allow"), "GET")) << wrongMethod.header("allow");
  EXPECT_TRUE(contains(wrongMethod.header("allow"), "POST")) << wrongMethod.header("allow");
  auto getLogin = client.get("/api/v1/auth/login");
  EXPECT_EQ(getLogin.status, 405) << getLogin.body;
  EXPECT_EQ(getLogin.header("allow"), "POST");

  for (const char* limit : {"0", "-1", "501", "abc", "1e3", "", "99999999999999999999"}) {
    EXPECT_TRUE(isError(client.get(std::string("/api/v1/queues?limit=") + limit, auth), 422,
                        "validation_failed"))
        << "limit=" << limit;
  }
  EXPECT_TRUE(isError(client.get("/api/v1/queues?cursor=garbage", auth), 400, "bad_request"));
  EXPECT_TRUE(isError(client.get("/api/v1/queues?cursor=%ZZ", auth), 400, "bad_request"));
  EXPECT_TRUE(isError(client.get("/api/v1/queues?active=maybe", auth), 422, "validation_failed"));

  auto current = bodyOf(client.get("/api/v1/queues/retail_zh", auth));
  const auto version = current["version"].get<std::int64_t>();
  auto patched =
      client.request("PATCH", "/api/v1/queues/retail_zh", auth,
                     json{{"name_en", "Retail (Mandarin) v2"}, {"version", version}}.dump());
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(bodyOf(patched)["version"], version + 1);
  json stale = current;
  stale.erase("created_at");
  stale.erase("updated_at");
  EXPECT_TRUE(isError(client.request("PUT", "/api/v1/queues/retail_zh", auth, stale.dump()), 409,
                      "version_mismatch"));
  EXPECT_TRUE(isError(client.request("PATCH", "/api/v1/queues/retail_zh", auth,
                                     json{{"name_en", "x"}, {"version", version}}.dump()),
                      409, "version_mismatch"));
  EXPECT_TRUE(isError(client.request("POST", "/api/v1/queues/retail_zh/disable", auth,
                                     json{{"version", version}}.dump()),
                      409, "version_mismatch"));
  EXPECT_TRUE(isError(
      client.request("PATCH", "/api/v1/queues/retail_zh", auth, json{{"name_en", "x"}}.dump()), 422,
      "validation_failed"))
      << "a patch without version";
  EXPECT_TRUE(isError(client.request("PATCH", "/api/v1/queues/no_such_queue", auth,
                                     json{{"name_en", "x"}, {"version", 1}}.dump()),
                      404, "not_found"));

  // --- static paths: nothing outside the web root.
  auto index = client.get("/");
  EXPECT_EQ(index.status, 200) << "the web root is served";
  EXPECT_TRUE(contains(index.body, "bankcc test"));
  EXPECT_EQ(client.get("/assets/app.js").status, 200);
  for (const char* path :
       {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/../../../etc/passwd",
        "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
        "/assets/..%5c..%5c..%5cetc%5cpasswd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/.env",
        "/assets/%00../../etc/passwd", "/../bankcc.toml", "/%2e%2e/bankcc.toml",
        "/%2e%2e/master.key"}) {
    auto r = client.get(path);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << path << " -> " << r.status;
    EXPECT_FALSE(contains(r.body, "root:")) << path << " served a system file";
    EXPECT_FALSE(contains(r.body, "[store]") || contains(r.body, "[auth]"))
        << path << " served the configuration";
    EXPECT_TRUE(hasErrorShape(r)) << path;
  }

  // --- the HTTP layer itself (raw bytes)
  const std::string host = "Host: " + server->http() + "\r\n";
  auto rawStatus = [&](const std::string& bytes) {
    auto ex = client.raw(bytes, 10s);
    return ex.response ? *ex.response : HttpResponse{};
  };
  {
    std::string flood = "GET /healthz HTTP/1.1\r\n" + host;
    for (int i = 0; i < 500; ++i) {
      flood += "X-Flood-" + std::to_string(i) + ": " + std::string(40, 'a') + "\r\n";
    }
    auto r = rawStatus(flood + "\r\n");
    EXPECT_TRUE(r.status == 431 || r.status == 400) << "500 header fields -> " << r.status;
    EXPECT_TRUE(hasErrorShape(r));
    auto big = rawStatus("GET /healthz HTTP/1.1\r\n" + host +
                         "X-Big: " + std::string(20 * 1024, 'b') + "\r\n\r\n");
    EXPECT_TRUE(big.status == 431 || big.status == 400) << "a 20 KB header -> " << big.status;
    EXPECT_TRUE(hasErrorShape(big));
  }
  for (const std::string& garbage :
       {std::string("GARBAGE\r\n\r\n"), std::string("GET\r\n\r\n"),
        std::string("GET / HTXP/1.1\r\n\r\n"), std::string("\x01\x02\x03 / HTTP/1.1\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n"),
        std::string("POST /api/v1/auth/login HTTP/1.1\r\n") + host +
            "Content-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
        std::string("POST /api/v1/auth/login HTTP/1.1\r\n") + host +
            "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"}) {
    auto r = rawStatus(garbage);
    EXPECT_EQ(r.status, 400) << "request: " << garbage.substr(0, 60);
    if (r.status != 0) {
      EXPECT_TRUE(hasErrorShape(r)) << garbage.substr(0, 60);
    }
  }

  // --- credentials that are garbage
  for (const std::string& value :
       {std::string("Basic Zm9vOmJhcg=="), std::string("Bearer"), std::string("Bearer "),
        std::string("Bearer ") + std::string(5000, 'A'), std::string("Bearer not-a-token"),
        std::string("Bearer ") + admin.token + "x", std::string("Token ") + admin.token,
        std::string("Bearer \xe4\xbd\xa0\xe5\xa5\xbd")}) {
    auto r = client.get("/api/v1/auth/session", {{"Authorization", value}});
    EXPECT_TRUE(isError(r, 401, "unauthenticated")) << "Authorization: " << value.substr(0, 40);
  }
  const std::string bigCookie = "bankcc_session=" + std::string(10 * 1024, 'c');
  EXPECT_TRUE(
      isError(client.get("/api/v1/auth/session", {{"Cookie", bigCookie}}), 401, "unauthenticated"));
  EXPECT_EQ(client.get("/healthz", {{"Cookie", bigCookie}}).status, 200);
  EXPECT_TRUE(isError(client.get("/api/v1/auth/session", {{"Cookie", "bankcc_session="}}), 401,
                      "unauthenticated"));
  EXPECT_TRUE(isError(
      client.get("/api/v1/auth/session", {{"Cookie", "a=b; bankcc_session=\"unterminated; ;;=="}}),
      401, "unauthenticated"));

  // Still alive and still serving the same session.
  EXPECT_EQ(client.get("/healthz").status, 200);
  HttpClient fresh(server->http());
  EXPECT_EQ(fresh.get("/healthz").status, 200);
  EXPECT_EQ(fresh.get("/api/v1/queues", auth).status, 200);
  EXPECT_FALSE(contains(server->log(), "\"level\":\"critical\"")) << server->log();
}

TEST_P(InputTest, ASlowClientIsCutOffAfterTheReadTimeout) {
  ServerOptions options;
  options.http = {"read_timeout = \"2s\""};
  auto server = startServer(options);
  ASSERT_TRUE(server);
  // Slowloris: the headers trickle in and never end. The server must drop the connection once
  // the read timeout passes since the request started, however steadily bytes arrive.
  HttpClient slow(server->http());
  ASSERT_TRUE(slow.openRaw());
  ASSERT_TRUE(slow.sendMore("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {  // up to 20 s of trickling
    std::this_thread::sleep_for(200ms);
    closed = !slow.sendMore("X-Slow: a\r\n");
  }
  std::string received;
  EXPECT_TRUE(closed || slow.waitForClose(20s, &received))
      << "the server kept a trickling client beyond its read timeout";
  HttpClient other(server->http());
  EXPECT_EQ(other.get("/healthz").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, InputTest, ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         backendName);

}  // namespace
}  // namespace bankcc::apitest
