// SPDX-License-Identifier: Apache-2.0
#include "api/event_hub.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
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
      if (authenticating) {
        // A client may subscribe right after its auth message, before the welcome: keep a
        // few messages for when the token has been checked.
        std::lock_guard lock(mutex_);
        if (early_.size() < kMaxEarlyMessages) {
          early_.push_back(std::move(text));
          return;
        }
      }
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

  void onClose() override {
    std::string desktop;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      desktop = std::exchange(desktop_, {});
    }
    if (!desktop.empty()) hub_.notifyPresence(desktop, false);
    hub_.remove(this);
  }

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
      std::vector<std::string> early;
      {
        std::lock_guard lock(self->mutex_);
        self->principal_ = std::move(principal);
        self->authenticating_ = false;
        early.swap(self->early_);
      }
      self->welcome();
      for (auto& message : early) self->onMessage(std::move(message));
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
    std::optional<std::pair<std::uint64_t, std::uint64_t>> resume;
    if (add && message.contains("resume")) {
      const auto& r = message["resume"];
      const auto valid = [&](const char* key) {
        return r.is_object() && r.contains(key) && r[key].is_number_unsigned();
      };
      if (!valid("epoch") || !valid("seq")) {
        sendError("bad_request", "resume must be {\"epoch\": n, \"seq\": n}");
        return;
      }
      resume.emplace(r["epoch"].get<std::uint64_t>(), r["seq"].get<std::uint64_t>());
    }
    // Core topics become active only with their snapshot or replay (EventHub::startCoreTopic).
    std::vector<std::string> starting;
    json now = json::array();
    std::string attached;
    std::string detached;
    {
      std::lock_guard lock(mutex_);
      for (auto& w : wanted) {
        if (!add) {
          topics_.erase(w);
          floors_.erase(w);
        } else if (topics_.contains(w) || starting_.contains(w)) {
          continue;
        } else if (EventHub::isCoreTopic(w)) {
          starting_.insert(w);
          starting.push_back(std::move(w));
        } else {
          topics_.insert(std::move(w));
        }
      }
      std::set<std::string, std::less<>> all = topics_;
      all.insert(starting_.begin(), starting_.end());
      for (const auto& t : all) now.push_back(t);
      // A connection on the agent topic is the agent's desktop (the core watches for none).
      const bool desktop = all.contains(kAgentTopic) && !p.agentNo.empty();
      if (desktop && desktop_.empty() && !closed_) {
        desktop_ = p.agentNo;
        attached = desktop_;
      } else if (!desktop && !desktop_.empty()) {
        detached = std::exchange(desktop_, {});
      }
    }
    if (!attached.empty()) hub_.notifyPresence(attached, true);
    if (!detached.empty()) hub_.notifyPresence(detached, false);
    send(json{{"type", "subscribed"}, {"topics", std::move(now)}});
    for (const auto& topic : starting) hub_.startCoreTopic(shared_from_this(), topic, resume);
  }

  /// Sends the event's frame when this client takes events of its topic (for the agent topic:
  /// of its own agent) and has not seen its seq yet (a snapshot or replay may have covered it).
  void offer(const Event& event) {
    std::lock_guard lock(mutex_);
    if (!principal_ || !topics_.contains(event.topic)) return;
    if (event.topic == kAgentTopic &&
        (event.agentNo.empty() || principal_->agentNo != event.agentNo)) {
      return;
    }
    if (event.seq != 0) {
      auto floor = floors_.find(event.topic);
      if (floor != floors_.end()) {
        if (event.seq <= floor->second) return;
        floor->second = event.seq;
      }
    }
    if (replaying_) {
      held_.push_back(event.frame);  // after the replay, in order
      return;
    }
    connection_->send(event.frame);
  }
  /// A replay is being sent (outside the hub's lock, so that the core thread never waits for
  /// it): events offered meanwhile are held back and sent after it by endReplay().
  void beginReplay() {
    std::lock_guard lock(mutex_);
    replaying_ = true;
  }
  void endReplay() {
    std::lock_guard lock(mutex_);
    replaying_ = false;
    for (auto& frame : held_) connection_->send(std::move(frame));
    held_.clear();
  }
  /// A core topic starts: events after `floor` (the snapshot's or replay's last seq) follow.
  /// Call with the hub's lock held.
  void activate(const std::string& topic, std::uint64_t floor) {
    std::lock_guard lock(mutex_);
    if (!starting_.erase(topic)) return;  // unsubscribed meanwhile
    topics_.insert(topic);
    floors_[topic] = floor;
  }
  std::string agentNo() {
    std::lock_guard lock(mutex_);
    return principal_ ? principal_->agentNo : std::string();
  }
  bool authenticated() {
    std::lock_guard lock(mutex_);
    return principal_ != nullptr;
  }
  std::string sessionId() {
    std::lock_guard lock(mutex_);
    return principal_ ? principal_->sessionId : std::string();
  }
  void sendFrame(std::shared_ptr<const std::string> frame) { connection_->send(std::move(frame)); }
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
  static constexpr std::size_t kMaxEarlyMessages = 8;
  std::vector<std::string> early_;  ///< received while the token was being checked
  std::set<std::string, std::less<>> topics_;
  std::set<std::string, std::less<>> starting_;  ///< core topics waiting for their start
  std::map<std::string, std::uint64_t, std::less<>> floors_;  ///< core topic -> last seq sent
  bool replaying_ = false;
  std::vector<std::shared_ptr<const std::string>> held_;  ///< offered while a replay is sent
  std::string desktop_;  ///< the agent this connection is the desktop of
  bool closed_ = false;
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

bool EventHub::isCoreTopic(std::string_view topic) {
  return topic == "calls" || topic == kAgentTopic;
}

void EventHub::setSnapshotSource(SnapshotSource source) {
  std::lock_guard lock(mutex_);
  snapshots_ = std::move(source);
}

void EventHub::publish(std::string_view topic, const std::string& eventJson,
                       std::string_view agentNo, std::uint64_t epoch, std::uint64_t seq) {
  // The event is already JSON: splice it in rather than parse and re-serialise. Every client
  // gets this one frame; none copies it.
  auto frame = std::make_shared<const std::string>(
      fmt::format(R"({{"type":"event","topic":{},"event":{}}})", dumpJson(json(std::string(topic))),
                  eventJson));
  std::vector<std::shared_ptr<Client>> targets;
  {
    std::lock_guard lock(mutex_);
    if (seq != 0) {
      if (epoch != lastEpoch_) {
        recent_.clear();
        evictedUpTo_ = 0;
        lastEpoch_ = epoch;
        lastSeq_ = 0;
      }
      lastSeq_ = std::max(lastSeq_, seq);
      if (isCoreTopic(topic)) {
        recent_.push_back(Recent{seq, std::string(topic), std::string(agentNo), frame});
        if (recent_.size() > kRecentEvents) {
          evictedUpTo_ = recent_.front().seq;
          recent_.pop_front();
        }
      }
    }
    targets = clients_;
  }
  deliver(std::make_shared<const Event>(
              Event{std::string(topic), std::string(agentNo), seq, std::move(frame)}),
          std::move(targets));
}

void EventHub::deliver(std::shared_ptr<const Event> event,
                       std::vector<std::shared_ptr<Client>> targets) {
  // One task per io thread rather than one hop per client: each io thread offers the event
  // to all of its clients in one go, and their sends queue without further hops. A client's
  // events keep their order: one publishing thread posts its tasks to an io thread in order.
  struct Batch {
    std::uintptr_t ioThread;
    std::vector<std::shared_ptr<Client>> clients;
  };
  std::vector<Batch> batches;  // as many as there are io threads
  for (auto& c : targets) {
    const auto ioThread = c->connection().ioThread();
    auto it = std::find_if(batches.begin(), batches.end(),
                           [&](const Batch& b) { return b.ioThread == ioThread; });
    if (it == batches.end()) it = batches.insert(batches.end(), Batch{ioThread, {}});
    it->clients.push_back(std::move(c));
  }
  for (auto& batch : batches) {
    // The task holds the clients, so the connection it is posted through outlives the call.
    const auto anchor = batch.clients.front();
    anchor->connection().post([clients = std::move(batch.clients), event] {
      for (const auto& c : clients) c->offer(*event);
    });
  }
}

void EventHub::startCoreTopic(const std::shared_ptr<Client>& client, const std::string& topic,
                              std::optional<std::pair<std::uint64_t, std::uint64_t>> resume) {
  std::string reason = "subscribe";
  std::vector<std::shared_ptr<const std::string>> frames;
  std::optional<std::uint64_t> replayFrom;
  std::uint64_t replayEpoch = 0;
  if (resume) {
    std::lock_guard lock(mutex_);
    const auto [epoch, seq] = *resume;
    if (epoch != lastEpoch_ || lastEpoch_ == 0) {
      reason = "new_epoch";
    } else if (seq < evictedUpTo_ || seq > lastSeq_) {
      reason = "too_old";  // (a seq from the future is as useless as one too old)
    } else {
      // Under the hub's lock only the choice of frames (shared, no copies) and the start: the
      // frames go out after it, while events offered meanwhile wait in the client.
      const std::string agentNo = topic == kAgentTopic ? client->agentNo() : std::string();
      for (const auto& r : recent_) {
        if (r.seq <= seq || r.topic != topic) continue;
        if (topic == kAgentTopic && (agentNo.empty() || r.agentNo != agentNo)) continue;
        frames.push_back(r.frame);
      }
      client->beginReplay();
      client->activate(topic, lastSeq_);
      replayFrom = seq + 1;
      replayEpoch = lastEpoch_;
    }
  }
  if (replayFrom) {
    client->send(json{{"type", "resumed"},
                      {"topic", topic},
                      {"epoch", replayEpoch},
                      {"from_seq", *replayFrom},
                      {"replayed", frames.size()}});
    for (auto& f : frames) client->sendFrame(std::move(f));
    client->endReplay();
    return;
  }
  SnapshotSource source;
  {
    std::lock_guard lock(mutex_);
    source = snapshots_;
  }
  if (!source) {
    sendSnapshot(client, topic, reason, Snapshot{json::array(), json::array(), false});
    return;
  }
  std::weak_ptr<Client> weak = client;
  source([this, weak, topic, reason](Snapshot snapshot) {
    if (auto self = weak.lock()) sendSnapshot(self, topic, reason, std::move(snapshot));
  });
}

void EventHub::sendSnapshot(const std::shared_ptr<Client>& client, const std::string& topic,
                            std::string_view reason, Snapshot snapshot) {
  if (topic == kAgentTopic) {
    // An agent's desktop sees its own agent and its own call only.
    const std::string agentNo = client->agentNo();
    const auto mine = [&](const json& item) {
      return item.is_object() && item.value("agent_no", json()) == json(agentNo);
    };
    json calls = json::array();
    json agents = json::array();
    for (auto& c : snapshot.calls) {
      if (mine(c)) calls.push_back(std::move(c));
    }
    for (auto& a : snapshot.agents) {
      if (mine(a)) agents.push_back(std::move(a));
    }
    snapshot.calls = std::move(calls);
    snapshot.agents = std::move(agents);
  }
  // Under the hub's lock: the snapshot is as of lastSeq_ (the source answers on the thread
  // that publishes the core's events, so none is half-way published now).
  std::lock_guard lock(mutex_);
  client->activate(topic, lastSeq_);
  client->send(json{{"type", "snapshot"},
                    {"topic", topic},
                    {"epoch", lastEpoch_},
                    {"seq", lastSeq_},
                    {"reason", reason},
                    {"core_running", snapshot.coreRunning},
                    {"calls", std::move(snapshot.calls)},
                    {"agents", std::move(snapshot.agents)}});
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

void EventHub::setPresenceListener(PresenceListener listener) {
  presence_ = std::move(listener);
}

void EventHub::notifyPresence(const std::string& agentNo, bool attached) {
  if (presence_) presence_(agentNo, attached);
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
    std::shared_ptr<const std::string> frame;
    for (auto& c : targets) {
      if (!c->authenticated()) {
        if (now - c->opened() > authTimeout_) c->connection().close(1008, "authenticate first");
        continue;
      }
      if (!beat) continue;
      if (!frame) {
        frame = std::make_shared<const std::string>(
            dumpJson(json{{"type", "heartbeat"}, {"at", formatTimestamp(clock_.now())}}));
      }
      c->sendFrame(frame);
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
