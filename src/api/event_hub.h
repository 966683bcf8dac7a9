// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to api: the /api/v1/events WebSocket protocol (documented in docs/asyncapi.yaml).
//   client -> server  {"type":"auth","token":"…"}            (unless the cookie authenticated)
//                     {"type":"subscribe","topics":["config"]}
//                     {"type":"unsubscribe","topics":[…]}
//                     {"type":"ping"}
//   server -> client  {"type":"welcome","user":…,"session_id":…,"heartbeat_seconds":20}
//                     {"type":"subscribed","topics":[…]}
//                     {"type":"event","topic":"config","event":{…}}
//                     {"type":"heartbeat","at":"…"}   {"type":"pong"}
//                     {"type":"error","code":"…","message":"…"}
// Close codes: 1007 a message that is not JSON; 1008 no auth in time, a refused token, a
// message before auth, or a session that ended (logout); 1009 oversize (transport); 1001 the
// server stops.
// Threads: thread-safe. Messages of one connection arrive one at a time on an io thread; the
// heartbeat runs on its own thread; publish() from any thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/call.h"
#include "api/transport.h"
#include "base/clock.h"

namespace bankcc::api {

class EventHub {
 public:
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
  /// kAgentTopic: only to those logged in as agent `agentNo`).
  void publish(std::string_view topic, const std::string& eventJson, std::string_view agentNo = {});
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

  Authenticator authenticator_;
  const base::Clock& clock_;
  const std::chrono::seconds heartbeat_;
  const std::chrono::seconds authTimeout_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Client>> clients_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bankcc::api
