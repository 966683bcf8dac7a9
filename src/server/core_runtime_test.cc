// SPDX-License-Identifier: Apache-2.0
// The core on its own thread (CoreRuntime): an organisation change read from the store is vetted
// on the core thread as the core would take it (decision 0023) — a queue without skill needs is
// a removal, a disabled agent a removal — with a telephony port that accepts every command.
#include "server/core_runtime.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "server/core_org.h"

namespace bankcc::server {
namespace {

using namespace std::chrono_literals;

class AcceptingPort final : public telephony::TelephonyPort {
 public:
  void execute(telephony::Command) override {}
};

store::Queue retailQueue() {
  store::Queue q;
  q.code = "retail";
  q.nameZh = "零售";
  q.nameEn = "Retail";
  q.skillNeeds = {{"retail", 1}};
  q.dnis = {"95588"};
  return q;
}

store::Agent agent1001(bool active) {
  store::Agent a;
  a.agentNo = "1001";
  a.name = "座席 1001";
  a.skills = {{"retail", 3}};
  a.extensions = {{"8001", false}};
  a.active = active;
  return a;
}

TEST(CoreRuntimeTest, ChangesAreVettedAsTheCoreWouldTakeThem) {
  base::RealClock clock;
  AcceptingPort port;
  CoreRuntime core(clock, port, [](events::Event) {});
  ASSERT_TRUE(core.setQueue(*toQueueSetup(retailQueue())).ok());
  ASSERT_TRUE(core.setAgent(toAgentSetup(agent1001(true), "")).ok());
  EXPECT_FALSE(core.vetQueue(retailQueue()).has_value());
  EXPECT_FALSE(core.vetAgent(agent1001(false)).has_value());  // logged out: nothing to refuse

  // A caller waits (nobody is logged in). Emptying the queue's skill needs removes it.
  core.onTelephonyEvent(
      telephony::LegArrived{telephony::LegId{"leg-1"}, "13800000000", "95588", "trunk", "", {}});
  store::Queue bare = retailQueue();
  bare.skillNeeds.clear();
  std::optional<callctl::OrgVeto> veto;
  for (int i = 0; i < 200 && !veto; ++i) {  // the event reaches the core thread meanwhile
    veto = core.vetQueue(bare);
    if (!veto) std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(veto.has_value());
  EXPECT_EQ(veto->code, "calls_waiting");
  EXPECT_NE(veto->message.find("retail"), std::string::npos) << veto->message;
  core.drain(100ms);
}

}  // namespace
}  // namespace bankcc::server
