// SPDX-License-Identifier: Apache-2.0
#include "api/event_hub.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <deque>
#include <functional>
#include <map>
#include <mutex>

namespace bankcc::api {
namespace {

using json = nlohmann::json;

/// Records what the hub sends and how it closes. Its io thread is the caller's: post() runs
/// the task at once.
class FakeConnection final : public WsConnection {
 public:
  void send(std::string text) override {
    std::lock_guard lock(mutex_);
    if (closeCode_ == 0) sent_.push_back(std::move(text));
  }
  void send(std::shared_ptr<const std::string> frame) override {
    std::lock_guard lock(mutex_);
    if (closeCode_ == 0) {
      sent_.push_back(*frame);
      frames_.push_back(std::move(frame));
    }
  }
  std::uintptr_t ioThread() const override { return 0; }
  void post(std::function<void()> task) override { task(); }
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
  /// The frames sent as shared ones, in order.
  std::vector<std::shared_ptr<const std::string>> frames() {
    std::lock_guard lock(mutex_);
    return frames_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> sent_;
  std::vector<std::shared_ptr<const std::string>> frames_;
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

TEST(EventHubAuthTest, MessagesSentWhileTheTokenIsCheckedWaitForIt) {
  base::ManualClock clock;
  std::function<void(std::shared_ptr<const Principal>)> pending;
  EventHub hub(
      [&](std::string, std::function<void(std::shared_ptr<const Principal>)> done) {
        pending = std::move(done);
      },
      clock, std::chrono::seconds(20), std::chrono::seconds(10));
  auto conn = std::make_shared<FakeConnection>();
  auto session = hub.open(conn, nullptr);
  session->onMessage(R"({"type":"auth","token":"good"})");
  session->onMessage(R"({"type":"subscribe","topics":["config"]})");
  EXPECT_TRUE(conn->messages().empty());
  ASSERT_TRUE(pending);
  pending(principalWith({"agent"}));
  auto m = conn->messages();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["type"], "welcome");
  EXPECT_EQ(m[1]["type"], "subscribed");
  EXPECT_EQ(conn->closeCode(), 0);

  // A flood before the answer closes the connection.
  auto flood = std::make_shared<FakeConnection>();
  auto flooding = hub.open(flood, nullptr);
  flooding->onMessage(R"({"type":"auth","token":"good"})");
  for (int i = 0; i < 20; ++i) flooding->onMessage(R"({"type":"ping"})");
  EXPECT_EQ(flood->closeCode(), 1008);
  hub.stop();
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

// ---- core topics: snapshot, then deltas; resume after a reconnect ----

std::shared_ptr<const Principal> agentPrincipal(std::string agentNo) {
  auto p = principalWith({"agent"});
  auto copy = std::make_shared<Principal>(*p);
  copy->agentNo = std::move(agentNo);
  return copy;
}

std::string coreEvent(std::uint64_t epoch, std::uint64_t seq, const std::string& agentNo) {
  return json{
      {"epoch", epoch}, {"seq", seq}, {"type", "agent.state_changed"}, {"agent_id", agentNo}}
      .dump();
}

class CoreTopicsTest : public EventHubTest {
 protected:
  /// Publishes one core event as serve does: to "agent" (for its agent) and to "calls".
  void publishCore(std::uint64_t seq, const std::string& agentNo, std::uint64_t epoch = 3) {
    const std::string e = coreEvent(epoch, seq, agentNo);
    hub_.publish("agent", e, agentNo, epoch, seq);
    hub_.publish("calls", e, {}, epoch, seq);
  }
  static std::vector<std::uint64_t> eventSeqs(const std::vector<json>& messages) {
    std::vector<std::uint64_t> out;
    for (const auto& m : messages) {
      if (m["type"] == "event") out.push_back(m["event"]["seq"].get<std::uint64_t>());
    }
    return out;
  }
};

TEST_F(CoreTopicsTest, WithoutACoreTheSnapshotSaysSoAndEventsFollow) {
  publishCore(1, "1001");
  auto conn = std::make_shared<FakeConnection>();
  auto session = hub_.open(conn, principalWith({"supervisor"}));
  session->onMessage(R"({"type":"subscribe","topics":["calls"]})");
  publishCore(2, "1001");
  auto m = conn->messages();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1]["type"], "subscribed");
  EXPECT_EQ(m[2]["type"], "snapshot");
  EXPECT_EQ(m[2]["core_running"], false);
  EXPECT_EQ(m[2]["epoch"], 3);
  EXPECT_EQ(m[2]["seq"], 1);
  EXPECT_EQ(eventSeqs(m), (std::vector<std::uint64_t>{2}));
}

TEST_F(CoreTopicsTest, TheSnapshotComesFromTheCoreAndNoEventIsMissedOrRepeated) {
  // A source that answers later (as the core thread does): events published before it
  // answers are part of the snapshot, not sent again.
  std::function<void(EventHub::Snapshot)> pending;
  hub_.setSnapshotSource([&](std::function<void(EventHub::Snapshot)> done) { pending = done; });
  publishCore(1, "1001");
  auto conn = std::make_shared<FakeConnection>();
  auto session = hub_.open(conn, agentPrincipal("1001"));
  session->onMessage(R"({"type":"subscribe","topics":["agent"]})");
  publishCore(2, "1001");  // before the snapshot: inside it
  ASSERT_TRUE(pending);
  EventHub::Snapshot snap;
  snap.calls = json::array({json{{"call_id", "c1"}, {"agent_no", "1001"}},
                            json{{"call_id", "c2"}, {"agent_no", "1002"}}});
  snap.agents = json::array({json{{"agent_no", "1001"}, {"state", "on_call"}},
                             json{{"agent_no", "1002"}, {"state", "ready"}}});
  pending(snap);
  publishCore(3, "1002");  // another agent's: not for this desktop
  publishCore(4, "1001");
  auto m = conn->messages();
  ASSERT_GE(m.size(), 3u);
  EXPECT_EQ(m[2]["type"], "snapshot");
  EXPECT_EQ(m[2]["topic"], "agent");
  EXPECT_EQ(m[2]["seq"], 2);
  EXPECT_EQ(m[2]["reason"], "subscribe");
  // An agent sees only itself and its own call.
  EXPECT_EQ(m[2]["calls"].size(), 1u);
  EXPECT_EQ(m[2]["calls"][0]["call_id"], "c1");
  EXPECT_EQ(m[2]["agents"].size(), 1u);
  EXPECT_EQ(eventSeqs(m), (std::vector<std::uint64_t>{4}));
}

TEST_F(CoreTopicsTest, ResumeReplaysWhatWasMissedWithinTheEpoch) {
  for (std::uint64_t seq = 1; seq <= 5; ++seq) publishCore(seq, seq % 2 ? "1001" : "1002");
  auto conn = std::make_shared<FakeConnection>();
  auto session = hub_.open(conn, principalWith({"supervisor"}));
  session->onMessage(R"({"type":"subscribe","topics":["calls"],"resume":{"epoch":3,"seq":2}})");
  publishCore(6, "1001");
  auto m = conn->messages();
  ASSERT_GE(m.size(), 3u);
  EXPECT_EQ(m[2]["type"], "resumed");
  EXPECT_EQ(m[2]["from_seq"], 3);
  EXPECT_EQ(m[2]["replayed"], 3);
  EXPECT_EQ(eventSeqs(m), (std::vector<std::uint64_t>{3, 4, 5, 6}));

  // The agent topic replays only the agent's own events.
  auto agentConn = std::make_shared<FakeConnection>();
  auto agent = hub_.open(agentConn, agentPrincipal("1001"));
  agent->onMessage(R"({"type":"subscribe","topics":["agent"],"resume":{"epoch":3,"seq":0}})");
  EXPECT_EQ(eventSeqs(agentConn->messages()), (std::vector<std::uint64_t>{1, 3, 5, 6}));
}

/// A connection that runs `onSend` after recording each message (outside its lock).
class HookedConnection final : public WsConnection {
 public:
  void send(std::string text) override {
    inner.send(text);
    if (onSend) onSend(text);
  }
  void send(std::shared_ptr<const std::string> frame) override {
    inner.send(frame);
    if (onSend) onSend(*frame);
  }
  std::uintptr_t ioThread() const override { return 0; }
  void post(std::function<void()> task) override { task(); }
  void close(int code, std::string reason) override { inner.close(code, std::move(reason)); }
  const std::string& remoteAddress() const override { return inner.remoteAddress(); }
  FakeConnection inner;
  std::function<void(const std::string&)> onSend;
};

TEST_F(CoreTopicsTest, AnEventPublishedDuringAReplayFollowsIt) {
  for (std::uint64_t seq = 1; seq <= 3; ++seq) publishCore(seq, "1001");
  auto conn = std::make_shared<HookedConnection>();
  bool published = false;
  conn->onSend = [&](const std::string& text) {
    // The core publishes while the replay is being sent (the hub's lock is not held then).
    if (!published && json::parse(text)["type"] == "resumed") {
      published = true;
      publishCore(4, "1001");
    }
  };
  auto session = hub_.open(conn, principalWith({"supervisor"}));
  session->onMessage(R"({"type":"subscribe","topics":["calls"],"resume":{"epoch":3,"seq":1}})");
  EXPECT_TRUE(published);
  EXPECT_EQ(eventSeqs(conn->inner.messages()), (std::vector<std::uint64_t>{2, 3, 4}));
}

TEST_F(CoreTopicsTest, ResumeFromAnotherEpochOrTooFarBackGetsASnapshot) {
  publishCore(1, "1001", /*epoch=*/2);
  publishCore(1, "1001", /*epoch=*/3);  // the server restarted
  auto conn = std::make_shared<FakeConnection>();
  auto session = hub_.open(conn, principalWith({"supervisor"}));
  session->onMessage(R"({"type":"subscribe","topics":["calls"],"resume":{"epoch":2,"seq":1}})");
  auto m = conn->messages();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[2]["type"], "snapshot");
  EXPECT_EQ(m[2]["reason"], "new_epoch");
  EXPECT_EQ(m[2]["epoch"], 3);

  // More events than the hub keeps: the oldest ones are gone.
  for (std::uint64_t seq = 2; seq <= EventHub::kRecentEvents + 10; ++seq) {
    hub_.publish("calls", coreEvent(3, seq, "1001"), {}, 3, seq);
  }
  auto late = std::make_shared<FakeConnection>();
  auto again = hub_.open(late, principalWith({"supervisor"}));
  again->onMessage(R"({"type":"subscribe","topics":["calls"],"resume":{"epoch":3,"seq":1}})");
  auto lm = late->messages();
  ASSERT_EQ(lm.size(), 3u);
  EXPECT_EQ(lm[2]["type"], "snapshot");
  EXPECT_EQ(lm[2]["reason"], "too_old");
}

TEST_F(CoreTopicsTest, BadResumeIsAnErrorAndKeepsTheConnection) {
  auto conn = std::make_shared<FakeConnection>();
  auto session = hub_.open(conn, principalWith({"supervisor"}));
  session->onMessage(R"({"type":"subscribe","topics":["calls"],"resume":{"epoch":-1}})");
  session->onMessage(R"({"type":"subscribe","topics":["calls"],"resume":"yesterday"})");
  auto m = conn->messages();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[1]["type"], "error");
  EXPECT_EQ(m[2]["type"], "error");
  EXPECT_EQ(conn->closeCode(), 0);
}

// ---- fan-out: one shared frame, one task per io thread ----

/// Stands in for the transport's io threads: post() queues the task on its thread's queue until
/// the test runs them (in order, as an io thread would).
struct FakeIoThreads {
  std::map<std::uintptr_t, std::deque<std::function<void()>>> queues;
  std::size_t pending() const {
    std::size_t n = 0;
    for (const auto& [thread, queue] : queues) n += queue.size();
    return n;
  }
  void runAll() {
    for (auto& [thread, queue] : queues) {
      while (!queue.empty()) {
        auto task = std::move(queue.front());
        queue.pop_front();
        task();
      }
    }
  }
};

/// A connection served by one of the FakeIoThreads; sends are recorded at once.
class ThreadedConnection final : public WsConnection {
 public:
  ThreadedConnection(FakeIoThreads& threads, std::uintptr_t thread)
      : threads_(threads), thread_(thread) {}
  void send(std::string text) override { inner.send(std::move(text)); }
  void send(std::shared_ptr<const std::string> frame) override { inner.send(std::move(frame)); }
  std::uintptr_t ioThread() const override { return thread_; }
  void post(std::function<void()> task) override {
    threads_.queues[thread_].push_back(std::move(task));
  }
  void close(int code, std::string reason) override { inner.close(code, std::move(reason)); }
  const std::string& remoteAddress() const override { return inner.remoteAddress(); }
  FakeConnection inner;

 private:
  FakeIoThreads& threads_;
  const std::uintptr_t thread_;
};

TEST_F(CoreTopicsTest, OneEventIsOneFrameSharedByEveryClient) {
  std::vector<std::shared_ptr<FakeConnection>> conns;
  std::vector<std::shared_ptr<WsSession>> sessions;
  for (int i = 0; i < 20; ++i) {
    conns.push_back(std::make_shared<FakeConnection>());
    sessions.push_back(hub_.open(conns.back(), principalWith({"supervisor"})));
    sessions.back()->onMessage(R"({"type":"subscribe","topics":["calls"]})");
  }
  publishCore(1, "1001");
  const auto first = conns.front()->frames();
  ASSERT_EQ(first.size(), 1u);
  for (const auto& c : conns) {
    ASSERT_EQ(c->frames().size(), 1u);
    EXPECT_EQ(c->frames()[0].get(), first[0].get());  // the same text, not a copy
    EXPECT_EQ(eventSeqs(c->messages()), (std::vector<std::uint64_t>{1}));
  }
}

TEST_F(CoreTopicsTest, EachIoThreadGetsOneTaskPerEventAndEveryClientItsEventsInOrder) {
  FakeIoThreads threads;
  std::vector<std::shared_ptr<ThreadedConnection>> conns;
  std::vector<std::shared_ptr<WsSession>> sessions;
  // A supervisor who is also agent 1001 takes both topics.
  auto principal = std::make_shared<Principal>(*principalWith({"supervisor"}));
  principal->agentNo = "1001";
  for (std::uintptr_t i = 0; i < 9; ++i) {
    conns.push_back(std::make_shared<ThreadedConnection>(threads, 1 + i % 3));
    sessions.push_back(hub_.open(conns.back(), principal));
    sessions.back()->onMessage(R"({"type":"subscribe","topics":["calls","agent"]})");
  }
  for (std::uint64_t seq = 1; seq <= 5; ++seq) publishCore(seq, "1001");
  // 5 events on 2 topics, 3 io threads: 30 tasks, not 90 sends.
  EXPECT_EQ(threads.pending(), 30u);
  for (const auto& c : conns) EXPECT_TRUE(eventSeqs(c->inner.messages()).empty());
  threads.runAll();
  for (const auto& c : conns) {
    std::vector<std::uint64_t> calls;
    std::vector<std::uint64_t> agent;
    for (const auto& m : c->inner.messages()) {
      if (m["type"] != "event") continue;
      (m["topic"] == "calls" ? calls : agent).push_back(m["event"]["seq"].get<std::uint64_t>());
    }
    EXPECT_EQ(calls, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(agent, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  }
}

TEST_F(CoreTopicsTest, AnEventStillOnItsWayWhenTheSnapshotCoversItIsNotRepeated) {
  FakeIoThreads threads;
  auto conn = std::make_shared<ThreadedConnection>(threads, 7);
  auto session = hub_.open(conn, principalWith({"supervisor"}));
  auto early = std::make_shared<ThreadedConnection>(threads, 7);
  auto earlySession = hub_.open(early, principalWith({"supervisor"}));
  earlySession->onMessage(R"({"type":"subscribe","topics":["calls"]})");
  publishCore(1, "1001");  // queued for the io thread, not yet offered
  session->onMessage(R"({"type":"subscribe","topics":["calls"]})");  // snapshot as of 1
  threads.runAll();
  publishCore(2, "1001");
  threads.runAll();
  auto m = conn->inner.messages();
  ASSERT_GE(m.size(), 3u);
  EXPECT_EQ(m[2]["type"], "snapshot");
  EXPECT_EQ(m[2]["seq"], 1);
  EXPECT_EQ(eventSeqs(m), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(eventSeqs(early->inner.messages()), (std::vector<std::uint64_t>{1, 2}));
}

// ---- presence: a connection on the agent topic is the agent's desktop ----

TEST_F(CoreTopicsTest, AnAgentTopicConnectionIsTheAgentsDesktop) {
  std::vector<std::pair<std::string, bool>> seen;
  hub_.setPresenceListener(
      [&](const std::string& agentNo, bool attached) { seen.emplace_back(agentNo, attached); });
  using Seen = std::vector<std::pair<std::string, bool>>;
  auto conn = std::make_shared<FakeConnection>();
  auto desktop = hub_.open(conn, agentPrincipal("1001"));
  desktop->onMessage(R"({"type":"subscribe","topics":["agent"]})");
  desktop->onMessage(R"({"type":"subscribe","topics":["agent"]})");  // once is enough
  EXPECT_EQ(seen, (Seen{{"1001", true}}));
  desktop->onMessage(R"({"type":"unsubscribe","topics":["agent"]})");
  EXPECT_EQ(seen, (Seen{{"1001", true}, {"1001", false}}));
  desktop->onMessage(R"({"type":"subscribe","topics":["agent"]})");
  desktop->onClose();
  EXPECT_EQ(seen, (Seen{{"1001", true}, {"1001", false}, {"1001", true}, {"1001", false}}));
  desktop->onClose();  // twice: no second detach
  EXPECT_EQ(seen.size(), 4u);

  // A wallboard (no agent number, other topics) is nobody's desktop.
  seen.clear();
  auto wall = hub_.open(std::make_shared<FakeConnection>(), principalWith({"supervisor"}));
  wall->onMessage(R"({"type":"subscribe","topics":["calls"]})");
  wall->onClose();
  EXPECT_TRUE(seen.empty());
}

}  // namespace
}  // namespace bankcc::api
