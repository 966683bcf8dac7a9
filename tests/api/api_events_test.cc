// SPDX-License-Identifier: Apache-2.0
// The /api/v1/events WebSocket over a real connection: bearer and cookie authentication, the
// Origin check, subscriptions and config.changed events, and the close codes for clients that
// misbehave.

#include <gtest/gtest.h>

#include "api/api_support.h"

namespace bankcc::apitest {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;
const std::string kEvents = "/api/v1/events";

class EventsTest : public ApiTest {};

/// The next JSON message, skipping heartbeats; discarded JSON when none came.
json nextMessage(WsClient& ws, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return json(json::value_t::discarded);
    auto text = ws.receiveText(left);
    if (!text) return json(json::value_t::discarded);
    auto message = json::parse(*text, nullptr, false);
    if (message.is_object() && message.value("type", "") == "heartbeat") continue;
    return message;
  }
}

/// A socket authenticated with a bearer token in the first message.
std::unique_ptr<WsClient> openWithToken(const std::string& http, const std::string& token) {
  auto ws = std::make_unique<WsClient>(http);
  auto hs = ws->handshake(kEvents);
  if (hs.status != 101) {
    ADD_FAILURE() << "handshake: " << hs.status << " " << hs.body;
    return nullptr;
  }
  ws->sendText(json{{"type", "auth"}, {"token", token}}.dump());
  auto welcome = nextMessage(*ws);
  if (!welcome.is_object() || welcome.value("type", "") != "welcome") {
    ADD_FAILURE() << "no welcome after auth: " << welcome.dump();
    return nullptr;
  }
  return ws;
}

TEST_P(EventsTest, BearerAndCookieClientsGetConfigEventsAndMisbehaviourClosesTheSocket) {
  auto server = startServer();
  if (!server) return;
  HttpClient client(server->http());
  auto admin = mustLogin(client, server->user("admin"));
  ASSERT_FALSE(admin.token.empty());
  const std::string origin = "http://" + server->http();

  // Opened first, so that the authentication timeout runs while the rest is tested.
  WsClient silent(server->http());
  ASSERT_EQ(silent.handshake(kEvents).status, 101);
  const auto silentSince = std::chrono::steady_clock::now();

  // Bearer: auth message, welcome, subscribe, then an event for an admin's change.
  {
    WsClient ws(server->http());
    auto hs = ws.handshake(kEvents);
    ASSERT_EQ(hs.status, 101) << hs.body;
    EXPECT_FALSE(hs.header("sec-websocket-accept").empty());
    ws.sendText(json{{"type", "auth"}, {"token", admin.token}}.dump());
    auto welcome = nextMessage(ws);
    ASSERT_EQ(welcome.value("type", ""), "welcome") << welcome;
    EXPECT_EQ(welcome["user"], server->user("admin").username) << welcome;
    ws.sendText(json{{"type", "subscribe"}, {"topics", {"config"}}}.dump());
    auto subscribed = nextMessage(ws);
    ASSERT_EQ(subscribed.value("type", ""), "subscribed") << subscribed;
    EXPECT_EQ(subscribed["topics"], json::array({"config"})) << subscribed;
    ws.sendText(R"({"type":"ping"})");
    EXPECT_EQ(nextMessage(ws).value("type", ""), "pong");
    ws.sendText(json{{"type", "subscribe"}, {"topics", {"no_such_topic"}}}.dump());
    EXPECT_EQ(nextMessage(ws).value("type", ""), "error");

    auto queue = bodyOf(client.get("/api/v1/queues/retail_zh", bearer(admin.token)));
    auto patched =
        client.request("PATCH", "/api/v1/queues/retail_zh", bearer(admin.token),
                       json{{"service_level_target", 75}, {"version", queue["version"]}}.dump());
    ASSERT_EQ(patched.status, 200) << patched.body;
    auto event = nextMessage(ws);
    ASSERT_EQ(event.value("type", ""), "event") << event;
    EXPECT_EQ(event["topic"], "config") << event;
    // The envelope of docs/asyncapi.yaml: epoch, seq, ts, type, payload.
    const json e = event.value("event", json::object());
    EXPECT_EQ(e.value("type", ""), "config.changed") << event;
    ASSERT_TRUE(e.contains("epoch") && e["epoch"].is_number_integer()) << event;
    ASSERT_TRUE(e.contains("seq") && e["seq"].is_number_integer()) << event;
    EXPECT_GT(e["seq"].get<std::int64_t>(), 0) << event;
    EXPECT_TRUE(e.contains("ts") && e["ts"].is_string()) << event;
    const json payload = e.value("payload", json::object());
    EXPECT_EQ(payload.value("kind", ""), "queue") << event;
    EXPECT_EQ(payload.value("code", ""), "retail_zh") << event;
    EXPECT_EQ(payload.value("change", ""), "updated") << event;

    // A second change: same epoch, a later seq.
    auto patchedAgain = client.request(
        "PATCH", "/api/v1/queues/retail_zh", bearer(admin.token),
        json{{"service_level_target", 80}, {"version", bodyOf(patched)["version"]}}.dump());
    ASSERT_EQ(patchedAgain.status, 200) << patchedAgain.body;
    auto second = nextMessage(ws);
    ASSERT_EQ(second.value("type", ""), "event") << second;
    const json e2 = second.value("event", json::object());
    ASSERT_TRUE(e2.contains("seq") && e2["seq"].is_number_integer()) << second;
    EXPECT_EQ(e2.value("epoch", json()), e["epoch"]) << second;
    EXPECT_GT(e2["seq"].get<std::int64_t>(), e["seq"].get<std::int64_t>()) << second;

    // Non-JSON text closes with 1007.
    ws.sendText("this is not JSON");
    EXPECT_EQ(ws.waitForClose(kWait), 1007);
  }

  // Cookie with the server's own Origin: welcome without an auth message.
  {
    WsClient ws(server->http());
    auto hs =
        ws.handshake(kEvents, {{"Origin", origin}, {"Cookie", "bankcc_session=" + admin.token}});
    ASSERT_EQ(hs.status, 101) << hs.body;
    auto welcome = nextMessage(ws);
    EXPECT_EQ(welcome.value("type", ""), "welcome") << welcome;
    ws.sendBinary(std::string("\x01\x02\x03", 3));
    EXPECT_EQ(ws.waitForClose(kWait), 1003) << "binary frames are refused";
  }
  // Cookie with a foreign Origin, or without any: refused at the upgrade.
  {
    WsClient ws(server->http());
    auto hs = ws.handshake(
        kEvents, {{"Origin", "https://evil.example"}, {"Cookie", "bankcc_session=" + admin.token}});
    EXPECT_TRUE(isError(hs, 403, "forbidden"));
    WsClient noOrigin(server->http());
    auto hs2 = noOrigin.handshake(kEvents, {{"Cookie", "bankcc_session=" + admin.token}});
    EXPECT_TRUE(isError(hs2, 403, "forbidden"));
  }
  // A message before auth closes with 1008; so does a bad token.
  {
    WsClient ws(server->http());
    ASSERT_EQ(ws.handshake(kEvents).status, 101);
    ws.sendText(json{{"type", "subscribe"}, {"topics", {"config"}}}.dump());
    EXPECT_EQ(ws.waitForClose(kWait), 1008);
    WsClient badToken(server->http());
    ASSERT_EQ(badToken.handshake(kEvents).status, 101);
    badToken.sendText(json{{"type", "auth"}, {"token", "not-a-token"}}.dump());
    EXPECT_EQ(badToken.waitForClose(kWait), 1008);
  }
  // Oversize (> 64 KiB) closes with 1009; a malformed frame (unmasked) with 1002.
  {
    auto ws = openWithToken(server->http(), admin.token);
    ASSERT_TRUE(ws);
    ws->sendText(json{{"type", "ping"}, {"pad", std::string(70 * 1024, 'x')}}.dump());
    EXPECT_EQ(ws->waitForClose(kWait), 1009);
    auto bad = openWithToken(server->http(), admin.token);
    ASSERT_TRUE(bad);
    bad->sendFrame(0x1, R"({"type":"ping"})", true, /*masked=*/false);
    EXPECT_EQ(bad->waitForClose(kWait), 1002);
    auto rsv = openWithToken(server->http(), admin.token);
    ASSERT_TRUE(rsv);
    rsv->sendFrame(0x1, R"({"type":"ping"})", true, true, /*rsv=*/4);
    EXPECT_EQ(rsv->waitForClose(kWait), 1002);
  }
  // Logout closes the session's sockets with 1008.
  {
    auto other = mustLogin(client, server->user("agent"));
    auto ws = openWithToken(server->http(), other.token);
    ASSERT_TRUE(ws);
    auto out = client.request("POST", "/api/v1/auth/logout", bearer(other.token));
    ASSERT_EQ(out.status, 204) << out.body;
    EXPECT_EQ(ws->waitForClose(kWait), 1008);
  }
  // A role without events.subscribe is refused after auth.
  {
    auto qa = mustLogin(client, server->user("qa"));
    WsClient ws(server->http());
    ASSERT_EQ(ws.handshake(kEvents).status, 101);
    ws.sendText(json{{"type", "auth"}, {"token", qa.token}}.dump());
    EXPECT_EQ(ws.waitForClose(kWait), 1008);
  }

  // The silent client: no auth within the timeout (10 s) closes with 1008.
  EXPECT_EQ(silent.waitForClose(15s), 1008) << "no auth message within the timeout";
  EXPECT_GE(std::chrono::steady_clock::now() - silentSince, 9s) << "not before the timeout";

  EXPECT_EQ(client.get("/healthz").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, EventsTest,
                         ::testing::Values(Backend::Sqlite, Backend::Postgres), backendName);

}  // namespace
}  // namespace bankcc::apitest
