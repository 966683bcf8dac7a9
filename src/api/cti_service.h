// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the API asks of the call-control core (CTI): commands and live views. The composition
// root implements it over callctl::CallControl (posting to the core thread); unit tests use a
// fake.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "acd/acd.h"
#include "callctl/call_control.h"
#include "store/org_agents.h"
#include "store/org_queues.h"

namespace bankcc::api {

class CtiService {
 public:
  virtual ~CtiService() = default;
  /// Runs a command on the core. Thread-safe; `done` runs once, on any thread.
  virtual void submit(callctl::CommandRequest request,
                      std::function<void(callctl::CommandReply)> done) = 0;
  /// The live calls. Thread-safe; `done` runs once, on any thread.
  virtual void liveCalls(std::function<void(std::vector<callctl::CallView>)> done) = 0;
  /// Every agent the core knows (logged in or not) with their state. Thread-safe.
  virtual void agentStates(std::function<void(std::vector<callctl::AgentView>)> done) = 0;
  /// The live calls and agents together, with `done` called ON THE CORE THREAD (the thread
  /// that publishes the core's events), so that the WebSocket hub can start a subscription
  /// exactly after the last event the snapshot includes. Thread-safe.
  virtual void snapshot(
      std::function<void(std::vector<callctl::CallView>, std::vector<callctl::AgentView>)>
          done) = 0;
  /// An agent's desktop (a WebSocket on the agent topic) connected or went away; after 60 s
  /// without one the core makes the agent not_ready{desktop_lost}. Thread-safe, no answer.
  virtual void desktopPresence(std::string agentNo, bool attached) = 0;
  /// An agent's web session locked after inactivity: not_ready{session_locked}. Thread-safe.
  virtual void sessionLocked(std::string agentNo) = 0;
  /// Why the last routing decision for `callId` came out as it did. Thread-safe.
  virtual void routingExplanation(std::string callId,
                                  std::function<void(std::optional<acd::Explanation>)> done) = 0;
  /// Would the core take this organisation change (decision 0023)? The organisation routes ask
  /// inside the change's transaction, before it commits: a veto is answered 409 and nothing is
  /// written. nullopt: go ahead. Blocks until the core answers. Thread-safe; never call it on
  /// the core thread.
  virtual std::optional<callctl::OrgVeto> vetQueue(const store::Queue& /*after*/) {
    return std::nullopt;
  }
  virtual std::optional<callctl::OrgVeto> vetAgent(const store::Agent& /*after*/) {
    return std::nullopt;
  }
};

}  // namespace bankcc::api
