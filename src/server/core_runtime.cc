// SPDX-License-Identifier: Apache-2.0
#include "server/core_runtime.h"

#include <future>
#include <utility>

#include "base/log.h"
#include "server/core_org.h"

namespace bankcc::server {

CoreRuntime::CoreRuntime(const base::Clock& clock, telephony::TelephonyPort& port,
                         callctl::EventSink events, callctl::CoreOptions options)
    : loop_(clock) {
  thread_ = std::thread([this] {
    base::setThreadName("core");
    loop_.run();
  });
  std::promise<void> built;
  loop_.post([&] {
    core_ = std::make_unique<callctl::CallControl>(loop_, clock, port, std::move(events),
                                                   std::move(options));
    built.set_value();
  });
  built.get_future().wait();
}

CoreRuntime::~CoreRuntime() {
  std::promise<void> gone;
  loop_.post([&] {
    core_.reset();
    gone.set_value();
  });
  gone.get_future().wait();
  loop_.stop();
  if (thread_.joinable()) thread_.join();
}

base::Status CoreRuntime::setQueue(callctl::QueueSetup queue) {
  return onCore([&](callctl::CallControl& core) { return core.setQueue(std::move(queue)); });
}

base::Status CoreRuntime::removeQueue(std::string code) {
  return onCore([&](callctl::CallControl& core) { return core.removeQueue(code); });
}

base::Status CoreRuntime::setAgent(callctl::AgentSetup agent) {
  return onCore([&](callctl::CallControl& core) { return core.setAgent(std::move(agent)); });
}

base::Status CoreRuntime::removeAgent(std::string agentNo) {
  return onCore([&](callctl::CallControl& core) { return core.removeAgent(agentNo); });
}

std::optional<callctl::OrgVeto> CoreRuntime::vetQueue(const store::Queue& after) {
  // A queue without skill needs is one the core forgets (OrgSync removes it). Business hours
  // play no part in what the core refuses.
  const std::optional<callctl::QueueSetup> setup = toQueueSetup(after);
  return onCore([&](const callctl::CallControl& core) {
    return setup ? core.vetQueue(*setup) : core.vetRemoveQueue(after.code);
  });
}

std::optional<callctl::OrgVeto> CoreRuntime::vetAgent(const store::Agent& after) {
  const callctl::AgentSetup setup = toAgentSetup(after, after.teamCode);
  return onCore([&](const callctl::CallControl& core) {
    return after.active ? core.vetAgent(setup) : core.vetRemoveAgent(after.agentNo);
  });
}

std::size_t CoreRuntime::drain(std::chrono::milliseconds limit) {
  auto liveCalls = [this](bool start) {
    std::promise<std::size_t> n;
    loop_.post([&] {
      if (start) core_->drain();
      n.set_value(core_->calls().size());
    });
    return n.get_future().get();
  };
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::size_t live = liveCalls(true);
  while (live > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    live = liveCalls(false);
  }
  return live;
}

void CoreRuntime::onTelephonyEvent(telephony::Event event) {
  // CallControl::onTelephonyEvent posts to the loop itself; core_ is set before the engine is
  // attached and reset only after it is detached.
  core_->onTelephonyEvent(std::move(event));
}

void CoreRuntime::submit(callctl::CommandRequest request,
                         std::function<void(callctl::CommandReply)> done) {
  core_->submit(std::move(request), std::move(done));
}

void CoreRuntime::liveCalls(std::function<void(std::vector<callctl::CallView>)> done) {
  loop_.post([this, done = std::move(done)] { done(core_->calls()); });
}

void CoreRuntime::agentStates(std::function<void(std::vector<callctl::AgentView>)> done) {
  loop_.post([this, done = std::move(done)] { done(core_->agents()); });
}

void CoreRuntime::snapshot(
    std::function<void(std::vector<callctl::CallView>, std::vector<callctl::AgentView>)> done) {
  // On the core thread, between two of its turns: the events published so far are exactly
  // those the snapshot includes.
  loop_.post([this, done = std::move(done)] { done(core_->calls(), core_->agents()); });
}

void CoreRuntime::desktopPresence(std::string agentNo, bool attached) {
  loop_.post([this, agentNo = std::move(agentNo), attached]() mutable {
    if (!core_) return;
    if (attached) {
      core_->desktopAttached(std::move(agentNo));
    } else {
      core_->desktopDetached(std::move(agentNo));
    }
  });
}

void CoreRuntime::sessionLocked(std::string agentNo) {
  loop_.post([this, agentNo = std::move(agentNo)]() mutable {
    if (core_) core_->sessionLocked(std::move(agentNo));
  });
}

void CoreRuntime::routingExplanation(std::string callId,
                                     std::function<void(std::optional<acd::Explanation>)> done) {
  loop_.post([this, callId = std::move(callId), done = std::move(done)] {
    done(core_->routingExplanation(callId));
  });
}

}  // namespace bankcc::server
