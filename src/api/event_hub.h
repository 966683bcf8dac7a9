// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to api: the /api/v1/events WebSocket protocol (documented in docs/asyncapi.yaml).
//   client -> server  {"type":"auth","token":"…"}            (unless the cookie authenticated)
//                     {"type":"subscribe","topics":["config"]}
//                     {"type":"subscribe","topics":["calls"],"resume":{"epoch":7,"seq":1042}}
//                     {"type":"unsubscribe","topics":[…]}
//                     {"type":"ping"}
//   server -> client  {"type":"welcome","user":…,"session_id":…,"heartbeat_seconds":20}
//                     {"type":"subscribed","topics":[…]}
//                     {"type":"event","topic":"config","event":{…}}
//                     {"type":"snapshot","topic":"calls","epoch":…,"seq":…,"reason":…,
//                      "calls":[…],"agents":[…]}
//                     {"type":"resumed","topic":"calls","epoch":…,"from_seq":…,"replayed":…}
// The core topics (calls, agent) start with a snapshot of the live state as of event `seq`,
// then every event after it, in order, without gaps or repeats. A client that lost its
// connection subscribes with `resume` (the epoch and seq of the last event it saw): within the
// same boot epoch, while the hub still holds the events since then, it gets them again
// ("resumed", then the events), else a fresh snapshot (reason "new_epoch" or "too_old").
//                     {"type":"heartbeat","at":"…"}   {"type":"pong"}
//                     {"type":"error","code":"…","message":"…"}
// Close codes: 1007 a message that is not JSON; 1008 no auth in time, a refused token, a
// message before auth, or a session that ended (logout); 1009 oversize (transport); 1001 the
// server stops.
// Threads: thread-safe. Messages of one connection arrive one at a time on an io thread; the
// heartbeat runs on its own thread; publish() from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/call.h"
#include "api/transport.h"
#include "base/clock.h"

namespace bankcc::api {

class EventHub {
 public:
  /// The live state a core topic starts from (JSON of callctl::CallView / AgentView, as the
  /// REST routes show them). `coreRunning` false: no call control on this node (empty lists).
  struct Snapshot {
    nlohmann::json calls;
    nlohmann::json agents;
    bool coreRunning = true;
  };
  /// Produces a snapshot and calls `done` with it ON THE THREAD THAT PUBLISHES THE CORE'S
  /// EVENTS (the core thread), so that no event is published between the two; with
  /// coreRunning false from any thread when there is no core.
  using SnapshotSource = std::function<void(std::function<void(Snapshot)> done)>;
  /// Core-topic events kept for resumption.
  static constexpr std::size_t kRecentEvents = 10'000;

  /// Authenticates a bearer token (on a worker) and calls `done` with the principal, or null
  /// when refused (any thread).
  using Authenticator = std::function<void(
      std::string token, std::function<void(std::shared_ptr<const Principal>)> done)>;

  EventHub(Authenticator authenticator, const base::Clock& clock, std::chrono::seconds heartbeat,
           std::chrono::seconds authTimeout);
  ~EventHub();  ///< stop()s

  /// A new connection; `principal` when the upgrade was authenticated by cookie from the cache,
  /// else `cookieToken` when it carried a session cookie that must be checked in the database
  /// first (then no auth message is needed).
  std::shared_ptr<WsSession> open(std::shared_ptr<WsConnection> connection,
                                  std::shared_ptr<const Principal> principal,
                                  std::optional<std::string> cookieToken = std::nullopt);
  /// The topic whose subscribers see only the events of their own agent number.
  static constexpr std::string_view kAgentTopic = "agent";

  /// Sends {"type":"event","topic":topic,"event":eventJson} to subscribers of `topic` (for
  /// kAgentTopic: only to those logged in as agent `agentNo`). `epoch` and `seq` are the
  /// event's identity (0: none, e.g. in tests); events of the core topics are kept for
  /// resumption. The core topics must be published from one thread (the core's). Returns
  /// before the clients are offered the event: that happens on their io threads, in the order
  /// the events were published from one thread.
  void publish(std::string_view topic, const std::string& eventJson, std::string_view agentNo = {},
               std::uint64_t epoch = 0, std::uint64_t seq = 0);
  /// Where snapshots come from; unset: the core topics start without one (coreRunning false).
  /// Set once, before clients connect.
  void setSnapshotSource(SnapshotSource source);
  /// Told when a connection becomes an agent's desktop (it subscribes to the agent topic) and
  /// when it stops being one (unsubscribes, closes). Called on io threads, outside the hub's
  /// locks; must not block. Set once, before clients connect.
  using PresenceListener = std::function<void(const std::string& agentNo, bool attached)>;
  void setPresenceListener(PresenceListener listener);
  /// True for the topics that start with a snapshot and can be resumed.
  static bool isCoreTopic(std::string_view topic);
  /// Closes (1008) the connections of one session (logout).
  void closeSession(const std::string& sessionId);
  /// Closes every connection with 1001 and stops the heartbeat. Idempotent.
  void stop();
  std::size_t clientCount() const;

  /// The topics clients may subscribe to, and what they need.
  static const std::vector<std::pair<std::string_view, Permission>>& topics();

  class Client;

 private:
  void heartbeatLoop();
  void remove(const Client* client);
  void notifyPresence(const std::string& agentNo, bool attached);
  /// Starts a core topic for `client`: a replay after `resume` when the hub can, else a
  /// snapshot.
  void startCoreTopic(const std::shared_ptr<Client>& client, const std::string& topic,
                      std::optional<std::pair<std::uint64_t, std::uint64_t>> resume);
  void sendSnapshot(const std::shared_ptr<Client>& client, const std::string& topic,
                    std::string_view reason, Snapshot snapshot);

  /// One published event as the clients are offered it.
  struct Event {
    std::string topic;
    std::string agentNo;
    std::uint64_t seq = 0;
    std::shared_ptr<const std::string> frame;  ///< the text every client is sent
  };
  /// Offers `event` to `targets`, on their io threads (WsConnection::post), one task per thread.
  static void deliver(std::shared_ptr<const Event> event,
                      std::vector<std::shared_ptr<Client>> targets);

  struct Recent {
    std::uint64_t seq = 0;
    std::string topic;
    std::string agentNo;
    std::shared_ptr<const std::string> frame;  ///< shared: a replay copies no text
  };

  Authenticator authenticator_;
  const base::Clock& clock_;
  const std::chrono::seconds heartbeat_;
  const std::chrono::seconds authTimeout_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Client>> clients_;
  SnapshotSource snapshots_;
  PresenceListener presence_;
  std::deque<Recent> recent_;    ///< core-topic events of lastEpoch_, oldest first
  std::uint64_t lastEpoch_ = 0;  ///< of the last event published with an identity
  std::uint64_t lastSeq_ = 0;
  std::uint64_t evictedUpTo_ = 0;  ///< the newest seq no longer in recent_ (0: none)
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bankcc::api
