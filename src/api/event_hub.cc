// SPDX-License-Identifier: Apache-2.0
#include "api/event_hub.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "api/json_io.h"
#include "base/log.h"

namespace bankcc::api {

using json = nlohmann::json;

/// One WebSocket client. Its state changes under its own mutex: messages arrive on an io
/// thread, authentication completes on a worker, publish() and the heartbeat run elsewhere.
class EventHub::Client final : public WsSession, public std::enable_shared_from_this<Client> {
 public:
  Client(EventHub& hub, std::shared_ptr<WsConnection> connection,
         std::shared_ptr<const Principal> principal, std::chrono::steady_clock::time_point opened)
      : hub_(hub),
        connection_(std::move(connection)),
        principal_(std::move(principal)),
        opened_(opened) {}

  void welcome() {
    std::shared_ptr<const Principal> p;
    {
      std::lock_guard lock(mutex_);
      p = principal_;
    }
    if (!p->has(Permission::EventsSubscribe)) {
      sendError("forbidden", "this needs the permission 'events.subscribe'");
      connection_->close(1008, "forbidden");
      return;
    }
    send(json{{"type", "welcome"},
              {"user", p->username},
              {"session_id", p->sessionId},
              {"heartbeat_seconds", hub_.heartbeat_.count()}});
  }

  void onMessage(std::string text) override {
    json message = json::parse(text, nullptr, false);
    if (message.is_discarded() || !message.is_object()) {
      connection_->close(1007, "messages must be JSON objects");
      return;
    }
    const auto type = message.value("type", json()).is_string() ? message["type"].get<std::string>()
                                                                : std::string();
    std::shared_ptr<const Principal> p;
    bool authenticating = false;
    {
      std::lock_guard lock(mutex_);
      p = principal_;
      authenticating = authenticating_;
    }
    if (!p) {
      if (type != "auth" || authenticating) {
        connection_->close(1008, "authenticate first");
        return;
      }
      const auto& token = message.value("token", json());
      if (!token.is_string() || token.get_ref<const std::string&>().empty() ||
          token.get_ref<const std::string&>().size() > 128) {
        connection_->close(1008, "missing or malformed token");
        return;
      }
      startAuth(token.get<std::string>());
      return;
    }
    if (type == "ping") {
      send(json{{"type", "pong"}});
    } else if (type == "subscribe" || type == "unsubscribe") {
      changeTopics(*p, message, type == "subscribe");
    } else if (type == "auth") {
      sendError("bad_request", "already authenticated");
    } else {
      sendError("bad_request", "unknown message type");
    }
  }

  void onClose() override { hub_.remove(this); }

  /// Checks `token` on a worker; welcome on success, close 1008 on refusal.
  void startAuth(std::string token) {
    {
      std::lock_guard lock(mutex_);
      authenticating_ = true;
    }
    std::weak_ptr<Client> weak = shared_from_this();
    hub_.authenticator_(std::move(token), [weak](std::shared_ptr<const Principal> principal) {
      auto self = weak.lock();
      if (!self) return;
      if (!principal) {
        self->connection_->close(1008, "token refused");
        return;
      }
      {
        std::lock_guard lock(self->mutex_);
        self->principal_ = std::move(principal);
      }
      self->welcome();
    });
  }

  void changeTopics(const Principal& p, const json& message, bool add) {
    const auto& list = message.value("topics", json());
    if (!list.is_array() || list.empty() || list.size() > 32) {
      sendError("bad_request", "topics must be a non-empty array of topic names");
      return;
    }
    std::vector<std::string> wanted;
    for (const auto& t : list) {
      if (!t.is_string()) {
        sendError("bad_request", "topics must be strings");
        return;
      }
      const auto& name = t.get_ref<const std::string&>();
      const auto& known = EventHub::topics();
      auto it =
          std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.first == name; });
      if (it == known.end()) {
        sendError("bad_request", "unknown topic");
        return;
      }
      if (!p.has(it->second)) {
        sendError("forbidden", fmt::format("topic '{}' needs the permission '{}'", name,
                                           permissionName(it->second)));
        return;
      }
      wanted.push_back(name);
    }
    json now = json::array();
    {
      std::lock_guard lock(mutex_);
      for (auto& w : wanted) {
        if (add) {
          topics_.insert(std::move(w));
        } else {
          topics_.erase(w);
        }
      }
      for (const auto& t : topics_) now.push_back(t);
    }
    send(json{{"type", "subscribed"}, {"topics", std::move(now)}});
  }

  bool wants(std::string_view topic) {
    std::lock_guard lock(mutex_);
    return principal_ && topics_.count(std::string(topic)) > 0;
  }
  /// True when this client is logged in as agent `agentNo` (the "agent" topic).
  bool isAgent(std::string_view agentNo) {
    std::lock_guard lock(mutex_);
    return principal_ && !agentNo.empty() && principal_->agentNo == agentNo;
  }
  bool authenticated() {
    std::lock_guard lock(mutex_);
    return principal_ != nullptr;
  }
  std::string sessionId() {
    std::lock_guard lock(mutex_);
    return principal_ ? principal_->sessionId : std::string();
  }
  void sendText(std::string text) { connection_->send(std::move(text)); }
  void send(const json& message) { connection_->send(dumpJson(message)); }
  void sendError(std::string_view code, std::string_view message) {
    send(json{{"type", "error"}, {"code", code}, {"message", message}});
  }
  WsConnection& connection() { return *connection_; }
  std::chrono::steady_clock::time_point opened() const { return opened_; }

 private:
  EventHub& hub_;
  std::shared_ptr<WsConnection> connection_;
  std::mutex mutex_;
  std::shared_ptr<const Principal> principal_;
  bool authenticating_ = false;
  std::set<std::string, std::less<>> topics_;
  const std::chrono::steady_clock::time_point opened_;
};

const std::vector<std::pair<std::string_view, Permission>>& EventHub::topics() {
  static const std::vector<std::pair<std::string_view, Permission>> known{
      {"config", Permission::OrgRead},  // config.changed: organisation data changed
      {"system", Permission::EventsSubscribe},
      {"calls", Permission::CallsRead},       // every call, queue and agent event of this node
      {kAgentTopic, Permission::CtiControl},  // the events of the subscriber's own agent
  };
  return known;
}

EventHub::EventHub(Authenticator authenticator, const base::Clock& clock,
                   std::chrono::seconds heartbeat, std::chrono::seconds authTimeout)
    : authenticator_(std::move(authenticator)),
      clock_(clock),
      heartbeat_(heartbeat),
      authTimeout_(authTimeout) {
  thread_ = std::thread([this] {
    base::setThreadName("ws-heartbeat");
    heartbeatLoop();
  });
}

EventHub::~EventHub() {
  stop();
}

std::shared_ptr<WsSession> EventHub::open(std::shared_ptr<WsConnection> connection,
                                          std::shared_ptr<const Principal> principal,
                                          std::optional<std::string> cookieToken) {
  const bool preAuthenticated = principal != nullptr;
  auto client = std::make_shared<Client>(*this, std::move(connection), std::move(principal),
                                         std::chrono::steady_clock::now());
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      client->connection().close(1001, "server stopping");
      return client;
    }
    clients_.push_back(client);
  }
  if (preAuthenticated) {
    client->welcome();
  } else if (cookieToken) {
    client->startAuth(std::move(*cookieToken));
  }
  return client;
}

void EventHub::publish(std::string_view topic, const std::string& eventJson,
                       std::string_view agentNo) {
  std::vector<std::shared_ptr<Client>> targets;
  {
    std::lock_guard lock(mutex_);
    targets = clients_;
  }
  std::string frame;
  for (auto& c : targets) {
    if (!c->wants(topic)) continue;
    if (topic == kAgentTopic && !c->isAgent(agentNo)) continue;
    if (frame.empty()) {
      // The event is already JSON: splice it in rather than parse and re-serialise.
      frame = fmt::format(R"({{"type":"event","topic":{},"event":{}}})",
                          dumpJson(json(std::string(topic))), eventJson);
    }
    c->sendText(frame);
  }
}

void EventHub::closeSession(const std::string& sessionId) {
  std::vector<std::shared_ptr<Client>> targets;
  {
    std::lock_guard lock(mutex_);
    targets = clients_;
  }
  for (auto& c : targets) {
    if (c->sessionId() == sessionId) c->connection().close(1008, "session ended");
  }
}

void EventHub::remove(const Client* client) {
  std::lock_guard lock(mutex_);
  clients_.erase(std::remove_if(clients_.begin(), clients_.end(),
                                [client](const auto& c) { return c.get() == client; }),
                 clients_.end());
}

std::size_t EventHub::clientCount() const {
  std::lock_guard lock(mutex_);
  return clients_.size();
}

void EventHub::heartbeatLoop() {
  auto nextBeat = std::chrono::steady_clock::now() + heartbeat_;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // Wake every second to close clients that did not authenticate in time.
    wake_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    auto targets = clients_;
    lock.unlock();
    const auto now = std::chrono::steady_clock::now();
    const bool beat = now >= nextBeat;
    if (beat) nextBeat = now + heartbeat_;
    std::string frame;
    for (auto& c : targets) {
      if (!c->authenticated()) {
        if (now - c->opened() > authTimeout_) c->connection().close(1008, "authenticate first");
        continue;
      }
      if (!beat) continue;
      if (frame.empty()) {
        frame = dumpJson(json{{"type", "heartbeat"}, {"at", formatTimestamp(clock_.now())}});
      }
      c->sendText(frame);
    }
    lock.lock();
  }
}

void EventHub::stop() {
  std::vector<std::shared_ptr<Client>> targets;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    targets = clients_;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& c : targets) c->connection().close(1001, "server stopping");
}

}  // namespace bankcc::api
