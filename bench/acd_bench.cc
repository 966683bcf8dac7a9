// SPDX-License-Identifier: Apache-2.0
// The ACD's routing decisions at the size of a large center: 10,000 agents, 200 queues,
// 100 skills, 1,000 calls waiting in every queue. Target: at least 200,000 decisions per
// second on one core, p99 decision latency under 100 µs.
//
//   ninja -C build bench_acd && build/bench/bench_acd
//
// Counters: decisions_per_s (per iteration, one decision each; cycle: one enqueue, decision,
// offer, remove and setAvailable), p50_us / p99_us / max_us (every iteration timed on its own
// with steady_clock, which adds ~0.03 µs), member_queues (queues an agent serves, average).
#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "acd/acd.h"

namespace bankcc::acd {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kAgents = 10'000;
constexpr int kQueues = 200;
constexpr int kSkills = 100;
constexpr int kCallsPerQueue = 1'000;

/// splitmix64: the same world on every machine.
class Random {
 public:
  explicit Random(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int uniform(int lo, int hi) { return lo + static_cast<int>(next() % (hi - lo + 1)); }
  double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
  bool chance(double p) { return unit() < p; }
  /// Skills are not equally common: low numbers (retail, cards) far more than high ones.
  int skill() { return static_cast<int>(kSkills * unit() * unit()); }

 private:
  std::uint64_t s_;
};

std::string skillName(int i) {
  return fmt::format("s{:02}", i);
}

struct World {
  Acd acd;
  std::vector<std::string> agents;
  std::vector<std::string> queues;
  SysTime now{std::chrono::seconds{1'767'225'600}};
  double memberQueues = 0;
};

/// Every agent available; `callsPerQueue` calls waiting in every queue, joined over the last
/// minute (so the widen steps of some have applied), 10% VIP, 1% with a preferred agent.
std::unique_ptr<World> buildWorld(int callsPerQueue) {
  auto w = std::make_unique<World>();
  Random rnd(42);
  const SysTime start = w->now;
  for (int q = 0; q < kQueues; ++q) {
    QueueConfig c;
    c.code = fmt::format("q{:03}", q);
    const int needs = rnd.uniform(1, 3);
    while (static_cast<int>(c.needs.size()) < needs) {
      const std::string s = skillName(rnd.skill());
      if (std::none_of(c.needs.begin(), c.needs.end(), [&](auto& n) { return n.skill == s; })) {
        const int r = rnd.uniform(0, 19);
        c.needs.push_back({s, r < 12 ? 1 : r < 17 ? rnd.uniform(2, 3) : 4});
      }
    }
    const int lang = rnd.uniform(0, 19);
    c.language = lang < 17 ? "zh" : lang < 19 ? "en" : "";
    c.policy = static_cast<RoutingPolicy>(q % 3);
    if (rnd.chance(0.5)) c.steps.push_back({30s, OverflowStep::Kind::Widen, 1, ""});
    if (rnd.chance(0.2)) {
      c.steps.push_back(
          {120s, OverflowStep::Kind::MoveTo, 1, fmt::format("q{:03}", (q + 1) % kQueues)});
    }
    c.fallback = "voicemail";
    w->queues.push_back(c.code);
    if (!w->acd.setQueue(std::move(c)).ok()) std::abort();
  }
  for (int a = 0; a < kAgents; ++a) {
    AgentConfig c;
    c.agentNo = fmt::format("{}", 10'000 + a);
    const int skills = rnd.uniform(3, 8);
    while (static_cast<int>(c.skills.size()) < skills) {
      const std::string s = skillName(rnd.skill());
      if (std::none_of(c.skills.begin(), c.skills.end(), [&](auto& x) { return x.skill == s; })) {
        c.skills.push_back({s, rnd.uniform(1, 5)});
      }
    }
    c.languages = {"zh"};
    if (rnd.chance(0.3)) c.languages.push_back("en");
    w->agents.push_back(c.agentNo);
    if (!w->acd.setAgent(std::move(c)).ok()) std::abort();
    if (!w->acd.setAvailable(w->agents.back(), start - std::chrono::seconds(rnd.uniform(0, 600)))
             .ok()) {
      std::abort();
    }
  }
  int call = 0;
  for (int q = 0; q < kQueues; ++q) {
    for (int i = 0; i < callsPerQueue; ++i) {
      CallEntry e;
      e.callId = fmt::format("w{}", call++);
      e.queue = w->queues[q];
      e.priority = rnd.chance(0.1) ? rnd.uniform(1, 3) : 0;
      const SysTime joined = start + std::chrono::milliseconds(rnd.uniform(0, 59'999));
      e.arrived = joined - std::chrono::seconds(rnd.uniform(0, 120));
      if (rnd.chance(0.01)) {
        e.preferredAgent = w->agents[rnd.uniform(0, kAgents - 1)];
        e.preferredUntil = joined + 60s;
      }
      if (!w->acd.enqueue(e, joined).ok()) std::abort();
    }
  }
  w->now = start + 60s;
  (void)w->acd.advance(w->now);
  double members = 0;
  for (const auto& q : w->queues) members += w->acd.queueSnapshot(q, w->now)->membersLoggedIn;
  w->memberQueues = members / kAgents;
  return w;
}

World& sharedWorld() {
  static std::unique_ptr<World> w = buildWorld(kCallsPerQueue);
  return *w;
}

/// Times each iteration of `decide` and reports the rate and the latency percentiles.
template <typename Decide>
void measure(benchmark::State& state, const World& w, Decide decide) {
  std::vector<std::int64_t> ns;
  ns.reserve(200'000);
  std::int64_t found = 0;
  std::uint64_t i = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    const bool matched = decide(i++);
    const auto t1 = Clock::now();
    found += matched ? 1 : 0;
    if (ns.size() < ns.capacity()) ns.push_back((t1 - t0).count());
  }
  std::sort(ns.begin(), ns.end());
  auto pct = [&](double p) {
    return ns.empty() ? 0.0 : ns[static_cast<std::size_t>(p * (ns.size() - 1))] / 1000.0;
  };
  state.counters["decisions_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.counters["max_us"] = pct(1.0);
  state.counters["matched_pct"] =
      100.0 * static_cast<double>(found) / std::max<double>(1, static_cast<double>(i));
  state.counters["member_queues"] = w.memberQueues;
}

/// (a) A new call joins a queue while many agents are available: routeCall.
void BM_RouteCallManyAgentsAvailable(benchmark::State& state) {
  World& w = sharedWorld();
  std::vector<std::string> ids;
  for (int q = 0; q < kQueues; ++q) {
    CallEntry e;
    e.callId = fmt::format("new{}", q);
    e.queue = w.queues[q];
    e.arrived = w.now;
    if (!w.acd.knowsCall(e.callId) && !w.acd.enqueue(e, w.now).ok()) std::abort();
    ids.push_back(e.callId);
  }
  measure(state, w, [&](std::uint64_t i) {
    auto m = w.acd.routeCall(ids[i % ids.size()], w.now);
    benchmark::DoNotOptimize(m);
    return m.has_value();
  });
}
BENCHMARK(BM_RouteCallManyAgentsAvailable);

/// (b) An agent becomes available while the queues they serve hold 1,000 calls each:
/// routeAgent across every queue the agent serves.
void BM_RouteAgentFullQueues(benchmark::State& state) {
  World& w = sharedWorld();
  measure(state, w, [&](std::uint64_t i) {
    // A stride through the agents, so consecutive decisions touch different memory.
    auto m = w.acd.routeAgent(w.agents[(i * 7919) % kAgents], w.now);
    benchmark::DoNotOptimize(m);
    return m.has_value();
  });
}
BENCHMARK(BM_RouteAgentFullQueues);

/// (c) The whole cycle of one call: enqueue, routeCall, offer, remove (answered) and the
/// agent's setAvailable after the call, with 1,000 calls waiting in every queue.
void BM_FullCycle(benchmark::State& state) {
  static std::unique_ptr<World> own = buildWorld(kCallsPerQueue);
  World& w = *own;
  static std::uint64_t serial = 0;
  measure(state, w, [&](std::uint64_t i) {
    w.now += 1ms;
    CallEntry e;
    e.callId = fmt::format("cycle{}", serial++);
    e.queue = w.queues[(i * 37) % kQueues];
    e.arrived = w.now;
    if (!w.acd.enqueue(e, w.now).ok()) std::abort();
    auto m = w.acd.routeCall(e.callId, w.now);
    if (m) {
      if (!w.acd.offer(m->callId, m->agentNo).ok()) std::abort();
      w.acd.remove(m->callId);
      if (!w.acd.setAvailable(m->agentNo, w.now).ok()) std::abort();
    } else {
      w.acd.remove(e.callId);
    }
    return m.has_value();
  });
}
BENCHMARK(BM_FullCycle);

}  // namespace
}  // namespace bankcc::acd

BENCHMARK_MAIN();
