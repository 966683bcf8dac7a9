// SPDX-License-Identifier: Apache-2.0
#include "api/event_hub.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <mutex>

namespace bankcc::api {
namespace {

using json = nlohmann::json;

/// Records what the hub sends and how it closes.
class FakeConnection final : public WsConnection {
 public:
  void send(std::string text) override {
    std::lock_guard lock(mutex_);
    if (closeCode_ == 0) sent_.push_back(std::move(text));
  }
  void close(int code, std::string reason) override {
    std::lock_guard lock(mutex_);
    if (closeCode_ == 0) {
      closeCode_ = code;
      reason_ = std::move(reason);
    }
  }
  const std::string& remoteAddress() const override { return address_; }

  std::vector<json> messages() {
    std::lock_guard lock(mutex_);
    std::vector<json> out;
    for (const auto& s : sent_) out.push_back(json::parse(s));
    return out;
  }
  int closeCode() {
    std::lock_guard lock(mutex_);
    return closeCode_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> sent_;
  int closeCode_ = 0;
  std::string reason_;
  std::string address_ = "127.0.0.1";
};

std::shared_ptr<const Principal> principalWith(std::vector<std::string> roles,
                                               std::string session = "s1") {
  auto p = std::make_shared<Principal>();
  p->username = "zhang.wei";
  p->roles = roles;
  p->permissions = permissionsOfRoles(roles);
  p->sessionId = std::move(session);
  return p;
}

class EventHubTest : public ::testing::Test {
 protected:
  base::ManualClock clock_;
  // The authenticator answers at once: "good" is accepted as an agent, anything else refused.
  EventHub hub_{[](std::string token, std::function<void(std::shared_ptr<const Principal>)> done) {
                  done(token == "good" ? principalWith({"agent"}) : nullptr);
                },
                clock_, std::chrono::seconds(20), std::chrono::seconds(10)};
};

TEST_F(EventHubTest, TokenAuthThenSubscribeThenEvents) {
  auto conn = std::make_shared<FakeConnection>();
  auto session = hub_.open(conn, nullptr);
  session->onMessage(R"({"type":"auth","token":"good"})");
  session->onMessage(R"({"type":"subscribe","topics":["config"]})");
  hub_.publish("config", R"({"seq":7,"type":"config.changed"})");
  hub_.publish("system", R"({"seq":8})");  // not subscribed
  auto m = conn->messages();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0]["type"], "welcome");
  EXPECT_EQ(m[0]["user"], "zhang.wei");
  EXPECT_EQ(m[1]["type"], "subscribed");
  EXPECT_EQ(m[1]["topics"], json::array({"config"}));
  EXPECT_EQ(m[2]["type"], "event");
  EXPECT_EQ(m[2]["topic"], "config");
  EXPECT_EQ(m[2]["event"]["seq"], 7);
  EXPECT_EQ(conn->closeCode(), 0);
  session->onClose();
  EXPECT_EQ(hub_.clientCount(), 0u);
}

TEST_F(EventHubTest, CookieAuthenticatedClientIsWelcomedAtOnce) {
  auto conn = std::make_shared<FakeConnection>();
  auto session = hub_.open(conn, principalWith({"supervisor"}));
  auto m = conn->messages();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["type"], "welcome");
}

TEST_F(EventHubTest, PendingCookieTokenIsCheckedWithoutAnAuthMessage) {
  auto conn = std::make_shared<FakeConnection>();
  auto session = hub_.open(conn, nullptr, std::string("good"));
  ASSERT_EQ(conn->messages().size(), 1u);
  EXPECT_EQ(conn->messages()[0]["type"], "welcome");
  auto refused = std::make_shared<FakeConnection>();
  auto other = hub_.open(refused, nullptr, std::string("stale"));
  EXPECT_EQ(refused->closeCode(), 1008);
}

TEST_F(EventHubTest, ProtocolViolationsClose) {
  struct Case {
    std::string first;
    int code;
  };
  for (const auto& c : std::vector<Case>{{"not json", 1007},
                                         {"[1,2]", 1007},
                                         {R"({"type":"subscribe","topics":["config"]})", 1008},
                                         {R"({"type":"auth"})", 1008},
                                         {R"({"type":"auth","token":42})", 1008},
                                         {R"({"type":"auth","token":"bad"})", 1008}}) {
    auto conn = std::make_shared<FakeConnection>();
    auto session = hub_.open(conn, nullptr);
    session->onMessage(c.first);
    EXPECT_EQ(conn->closeCode(), c.code) << c.first;
    session->onClose();
  }
}

TEST_F(EventHubTest, BadSubscriptionsAnswerErrorsAndKeepTheConnection) {
  auto conn = std::make_shared<FakeConnection>();
  auto session = hub_.open(conn, principalWith({"auditor"}));  // no events.subscribe
  EXPECT_EQ(conn->closeCode(), 1008);

  auto agentConn = std::make_shared<FakeConnection>();
  auto agent = hub_.open(agentConn, principalWith({"agent"}));
  for (const char* bad :
       {R"({"type":"subscribe","topics":"config"})", R"({"type":"subscribe","topics":[]})",
        R"({"type":"subscribe","topics":["calls_of_everyone"]})",
        R"({"type":"subscribe","topics":[1]})", R"({"type":"dance"})"}) {
    agent->onMessage(bad);
  }
  auto m = agentConn->messages();
  ASSERT_EQ(m.size(), 6u);  // welcome + five errors
  for (std::size_t i = 1; i < m.size(); ++i) EXPECT_EQ(m[i]["type"], "error") << i;
  EXPECT_EQ(agentConn->closeCode(), 0);
  agent->onMessage(R"({"type":"ping"})");
  EXPECT_EQ(agentConn->messages().back()["type"], "pong");
}

TEST_F(EventHubTest, LogoutClosesThatSessionsConnectionsOnly) {
  auto a = std::make_shared<FakeConnection>();
  auto b = std::make_shared<FakeConnection>();
  auto sa = hub_.open(a, principalWith({"agent"}, "s-a"));
  auto sb = hub_.open(b, principalWith({"agent"}, "s-b"));
  hub_.closeSession("s-a");
  EXPECT_EQ(a->closeCode(), 1008);
  EXPECT_EQ(b->closeCode(), 0);
  hub_.stop();
  EXPECT_EQ(b->closeCode(), 1001);
}

}  // namespace
}  // namespace bankcc::api
