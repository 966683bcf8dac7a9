// SPDX-License-Identifier: Apache-2.0
#pragma once

// The call-control core inside `bankcc serve`: its own thread (an EventLoop), the
// callctl::CallControl on it, and the CTI service the API talks to. Everything that reaches the
// core from another thread is posted to its loop; views are read on the loop and handed back.

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/cti_service.h"
#include "base/clock.h"
#include "base/event_loop.h"
#include "base/result.h"
#include "callctl/call_control.h"
#include "telephony/port.h"

namespace bankcc::server {

class CoreRuntime final : public api::CtiService {
 public:
  /// Starts the core thread and builds the core on it. `clock`, `port` and whatever `events`
  /// refers to outlive the runtime. `events` is called on the core thread.
  CoreRuntime(const base::Clock& clock, telephony::TelephonyPort& port, callctl::EventSink events,
              callctl::CoreOptions options = {});
  /// Destroys the core on its thread, then stops the thread. Detach the telephony engine's
  /// events (Telephony::attachCallControl({})) first.
  ~CoreRuntime() override;
  CoreRuntime(const CoreRuntime&) = delete;
  CoreRuntime& operator=(const CoreRuntime&) = delete;

  /// Gives the core its organisation (start-up, and each change). Blocks until applied; the
  /// errors are the core's (a queue or agent it refuses). Any thread but the core's.
  base::Status setQueue(callctl::QueueSetup queue);
  base::Status removeQueue(std::string code);
  base::Status setAgent(callctl::AgentSetup agent);
  base::Status removeAgent(std::string agentNo);

  /// Shutting down: hangs up every live call (CallControl::drain) and waits until the core
  /// holds none, or `limit` passed. Returns the calls still live. Any thread but the core's.
  std::size_t drain(std::chrono::milliseconds limit);

  /// The telephony engine's sink. Thread-safe.
  void onTelephonyEvent(telephony::Event event);

  // api::CtiService. Thread-safe; `done` runs on the core thread.
  void submit(callctl::CommandRequest request,
              std::function<void(callctl::CommandReply)> done) override;
  void liveCalls(std::function<void(std::vector<callctl::CallView>)> done) override;
  void agentStates(std::function<void(std::vector<callctl::AgentView>)> done) override;
  void snapshot(std::function<void(std::vector<callctl::CallView>, std::vector<callctl::AgentView>)>
                    done) override;
  void desktopPresence(std::string agentNo, bool attached) override;
  void sessionLocked(std::string agentNo) override;
  void routingExplanation(std::string callId,
                          std::function<void(std::optional<acd::Explanation>)> done) override;
  /// The queue or agent as the core would have it (a queue without skill needs, or a disabled
  /// agent: its removal), vetted on the core thread. Blocks.
  std::optional<callctl::OrgVeto> vetQueue(const store::Queue& after) override;
  std::optional<callctl::OrgVeto> vetAgent(const store::Agent& after) override;

 private:
  /// Runs `task` on the core thread, waits for it and returns what it returned.
  template <typename Task>
  auto onCore(Task&& task) -> decltype(task(std::declval<callctl::CallControl&>())) {
    std::promise<decltype(task(std::declval<callctl::CallControl&>()))> result;
    loop_.post([&] { result.set_value(task(*core_)); });
    return result.get_future().get();
  }

  base::EventLoop loop_;
  std::unique_ptr<callctl::CallControl> core_;  ///< created and destroyed on the core thread
  std::thread thread_;
};

}  // namespace bankcc::server
