// SPDX-License-Identifier: Apache-2.0
#include "media/mixer.h"

#include <gtest/gtest.h>

#include <vector>

namespace bankcc::media {
namespace {

using telephony::MonitorMode;
using Frame = std::vector<std::int16_t>;

TEST(MixerTest, MixIntoAddsAndSaturates) {
  Frame a{100, 30000, -30000, 32767, -32768, 0};
  Frame b{-50, 10000, -10000, 1, -1, 0};
  Frame out(6);
  mixInto(out, a, b);
  EXPECT_EQ(out, (Frame{50, 32767, -32768, 32767, -32768, 0}));
}

TEST(MixerTest, MixIntoMayOverwriteAnInput) {
  Frame a{1, 2, 3};
  Frame b{10, 20, 30};
  mixInto(a, a, b);
  EXPECT_EQ(a, (Frame{11, 22, 33}));
}

TEST(MixerTest, ShortInputsCountAsSilence) {
  Frame a{1, 2, 3, 4};
  Frame b{10};
  Frame out(4, 99);
  mixInto(out, a, b);
  EXPECT_EQ(out, (Frame{11, 2, 3, 4}));
}

// Each party says a distinct constant so the output tells who is heard.
constexpr std::int16_t kCustomer = 1, kAgent = 10, kThird = 100;

struct Heard {
  int customer, agent, third;
};

Heard mix(MonitorMode mode) {
  Frame c(160, kCustomer), a(160, kAgent), t(160, kThird);
  Frame toC(160, -1), toA(160, -1), toT(160, -1);
  mixThreeWay(mode, {c, a, t}, {toC, toA, toT});
  for (std::size_t i = 1; i < 160; ++i) {
    EXPECT_EQ(toC[i], toC[0]);
    EXPECT_EQ(toA[i], toA[0]);
    EXPECT_EQ(toT[i], toT[0]);
  }
  return {toC[0], toA[0], toT[0]};
}

TEST(MixerTest, ListenSupervisorHearsBothNobodyHearsHim) {
  const Heard h = mix(MonitorMode::Listen);
  EXPECT_EQ(h.customer, kAgent);
  EXPECT_EQ(h.agent, kCustomer);
  EXPECT_EQ(h.third, kCustomer + kAgent);
}

TEST(MixerTest, WhisperOnlyTheAgentHearsTheSupervisor) {
  const Heard h = mix(MonitorMode::Whisper);
  EXPECT_EQ(h.customer, kAgent);
  EXPECT_EQ(h.agent, kCustomer + kThird);
  EXPECT_EQ(h.third, kCustomer + kAgent);
}

TEST(MixerTest, BargeEveryoneHearsTheOtherTwo) {
  const Heard h = mix(MonitorMode::Barge);
  EXPECT_EQ(h.customer, kAgent + kThird);
  EXPECT_EQ(h.agent, kCustomer + kThird);
  EXPECT_EQ(h.third, kCustomer + kAgent);
}

TEST(MixerTest, NobodyHearsThemselves) {
  for (auto mode : {MonitorMode::Listen, MonitorMode::Whisper, MonitorMode::Barge}) {
    const Heard h = mix(mode);
    EXPECT_EQ(h.customer % 10, 0);      // no customer (1) in what the customer hears
    EXPECT_EQ((h.agent / 10) % 10, 0);  // no agent (10) in what the agent hears
    EXPECT_LT(h.third, 100);            // no supervisor (100) in what he hears
  }
}

TEST(MixerTest, ThreeWaySaturates) {
  Frame c(4, 20000), a(4, 20000), t(4, 20000);
  Frame toC(4), toA(4), toT(4);
  mixThreeWay(MonitorMode::Barge, {c, a, t}, {toC, toA, toT});
  EXPECT_EQ(toC[0], 32767);
  EXPECT_EQ(toA[3], 32767);
  EXPECT_EQ(toT[2], 32767);
}

}  // namespace
}  // namespace bankcc::media
