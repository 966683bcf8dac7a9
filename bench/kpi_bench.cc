// SPDX-License-Identifier: Apache-2.0
// The KPI fold (reports/kpi.h) over a busy day: 20 queues, 500 agents, each call the full walk
// of events the core emits (queue.joined, agent reserved, call.offered, call.answered,
// queue.left, agent on_call, a hold and retrieve on every third call, call.ended, wrap-up and
// ready again), about 13 events a call, one timestamp every 50 ms on average, spread over
// the day in Asia/Shanghai so that interval and day boundaries are crossed as in production.
//
//   cmake --build build-el --target bench_kpi && build-el/bench/bench_kpi
//
// Counter: events_per_s (events folded per second, one fold fed the whole stream).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "reports/kpi.h"

namespace bankcc::reports {
namespace {

using events::AgentState;
using namespace std::chrono_literals;

constexpr int kQueues = 20;
constexpr int kAgents = 500;
constexpr int kCalls = 100'000;

std::vector<events::Event> busyDay() {
  std::vector<events::Event> out;
  out.reserve(kCalls * 14);
  base::SysTime t{std::chrono::seconds{1'795'622'400}};  // 2026-11-26 00:00 in Shanghai
  auto add = [&](events::Payload p, std::string call, std::string agent, std::string queue) {
    events::Event e;
    e.seq = out.size() + 1;
    e.ts = t;
    e.callId = std::move(call);
    e.agentId = std::move(agent);
    e.queueId = std::move(queue);
    e.payload = std::move(p);
    out.push_back(std::move(e));
    t += 50ms;
  };
  for (int a = 0; a < kAgents; ++a) {
    add(
        events::AgentStateChanged{
            "a" + std::to_string(a), AgentState::NotReady, AgentState::Ready, {}},
        {}, "a" + std::to_string(a), {});
  }
  for (int i = 0; i < kCalls; ++i) {
    const std::string call = "c" + std::to_string(i);
    const std::string agent = "a" + std::to_string(i % kAgents);
    const std::string queue = "q" + std::to_string(i % kQueues);
    add(events::QueueJoined{queue, 0, 1}, call, {}, queue);
    add(events::AgentStateChanged{agent, AgentState::Ready, AgentState::Reserved, {}}, call, agent,
        queue);
    add(events::CallOffered{.agentNo = agent, .queue = queue}, call, agent, queue);
    add(events::CallAnswered{agent, queue, 12'000}, call, agent, queue);
    add(events::QueueLeft{queue, "answered", 12'000}, call, {}, queue);
    add(events::AgentStateChanged{agent, AgentState::Reserved, AgentState::OnCall, {}}, call, agent,
        queue);
    if (i % 3 == 0) {
      add(events::CallHeld{agent}, call, agent, queue);
      add(events::CallRetrieved{agent, 50}, call, agent, queue);
    }
    add(events::CallEnded{"normal", "caller", 60'000}, call, {}, queue);
    add(events::AgentStateChanged{agent, AgentState::OnCall, AgentState::WrapUp, {}}, {}, agent,
        {});
    add(events::WrapUpCompleted{agent, "done", 0}, {}, agent, {});
    add(events::AgentStateChanged{agent, AgentState::WrapUp, AgentState::Ready, {}}, {}, agent, {});
  }
  return out;
}

void BM_KpiFold(benchmark::State& state) {
  const auto events = busyDay();
  auto tz = base::TimeZone::load("Asia/Shanghai");
  KpiOptions options;
  if (tz.ok()) options.timeZone = *tz;
  std::int64_t folded = 0;
  for (auto _ : state) {
    KpiFold fold(options);
    for (const auto& e : events) fold.apply(e);
    benchmark::DoNotOptimize(fold.applied());
    folded += static_cast<std::int64_t>(events.size());
  }
  state.SetItemsProcessed(folded);
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(folded), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_KpiFold)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace bankcc::reports

BENCHMARK_MAIN();
