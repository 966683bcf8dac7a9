// SPDX-License-Identifier: Apache-2.0
// bankcc-loadgen: places bridged calls with RTP through a server and reports set-up time,
// failures, RTP loss and one-way latency (bench/telephony_load.sh).
//
//   bankcc-loadgen --server 127.0.0.1:15060 --sip 127.0.0.1:15070 --calls 500 --rate 100
//                  --concurrent 500 --hold 30 [--server-pid PID] [--json FILE]

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "base/clock.h"
#include "loadgen/call_generator.h"

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
  return v[i];
}

/// utime + stime of a process in seconds, from /proc/PID/stat.
double cpuSeconds(int pid) {
  std::ifstream f(fmt::format("/proc/{}/stat", pid));
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in(s.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long rssKb(int pid) {
  std::ifstream f(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bankcc-loadgen: bridged calls with RTP through a bankcc server"};
  bankcc::loadgen::GeneratorOptions o;
  int serverPid = 0;
  std::string jsonOut;
  double measureFrom = 0.5;
  app.add_option("--server", o.serverSip)->required();
  app.add_option("--sip", o.sipListen);
  app.add_option("--calls", o.calls);
  app.add_option("--concurrent", o.concurrent);
  app.add_option("--rate", o.rate);
  app.add_option("--hold", o.holdSeconds);
  app.add_option("--server-pid", serverPid, "measure this process's CPU and memory");
  app.add_option("--json", jsonOut);
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  bankcc::base::RealClock clock;
  bankcc::loadgen::CallGenerator gen(o);
  if (auto st = gen.start(clock); !st) {
    std::fprintf(stderr, "loadgen: %s\n", st.error().describe().c_str());
    return 1;
  }
  std::fprintf(stderr, "loadgen: %zu calls at %.0f/s, up to %zu at once, %.0f s each\n", o.calls,
               o.rate, o.concurrent, o.holdSeconds);

  // Steady-state CPU of the server: sampled while all calls are up (from the moment the peak
  // is reached until the first call ends), reported per call-second.
  double cpuAtPeak = 0, tAtPeak = 0, cpuPerCallSecondMs = 0;
  long rssIdle = serverPid ? rssKb(serverPid) : 0, rssPeak = 0;
  std::size_t measuredCalls = 0;
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    auto start = std::chrono::steady_clock::now();
    bool sampling = false;
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      if (!serverPid) continue;
      std::size_t up = gen.upNow();
      double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      rssPeak = std::max(rssPeak, rssKb(serverPid));
      if (!sampling && up >= static_cast<std::size_t>(
                                 static_cast<double>(std::min(o.calls, o.concurrent)) * 0.999)) {
        sampling = true;
        cpuAtPeak = cpuSeconds(serverPid);
        tAtPeak = t;
        measuredCalls = up;
        (void)measureFrom;
      } else if (sampling && up < measuredCalls) {
        double cpu = cpuSeconds(serverPid) - cpuAtPeak;
        double wall = t - tAtPeak;
        if (wall > 1) cpuPerCallSecondMs = cpu / (wall * static_cast<double>(measuredCalls)) * 1000;
        sampling = false;
        measuredCalls = SIZE_MAX;  // measure once
      }
    }
  });
  auto report = gen.run(o.holdSeconds + static_cast<double>(o.calls) / o.rate + 60);
  done = true;
  sampler.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // late packets
  auto pump = gen.pumpStats();

  double loss = pump.received + pump.lost ? static_cast<double>(pump.lost) /
                                                static_cast<double>(pump.received + pump.lost)
                                          : 0;
  nlohmann::json j = {
      {"calls", o.calls},
      {"rate", o.rate},
      {"concurrent", o.concurrent},
      {"hold_s", o.holdSeconds},
      {"placed", report.placed},
      {"established", report.established},
      {"media_flowing", report.mediaFlowing},
      {"completed", report.completed},
      {"failed", report.failed},
      {"peak_concurrent", report.peakConcurrent},
      {"setup_ms_p50", percentile(report.setupMs, 50)},
      {"setup_ms_p99", percentile(report.setupMs, 99)},
      {"media_ms_p50", percentile(report.mediaMs, 50)},
      {"media_ms_p99", percentile(report.mediaMs, 99)},
      {"rtp_sent", pump.sent},
      {"rtp_received", pump.received},
      {"rtp_lost", pump.lost},
      {"rtp_loss_pct", loss * 100},
      {"latency_us_p50", pump.latencyPercentileUs(50)},
      {"latency_us_p99", pump.latencyPercentileUs(99)},
      {"latency_us_p999", pump.latencyPercentileUs(99.9)},
      {"generator_late_ticks", pump.lateTicks},
      {"server_cpu_ms_per_call_second", cpuPerCallSecondMs},
      {"server_rss_kb_idle", rssIdle},
      {"server_rss_kb_peak", rssPeak},
      {"elapsed_s", report.elapsedSeconds},
  };
  for (auto& [status, n] : report.failuresByStatus) j["failures"][std::to_string(status)] = n;
  std::printf("%s\n", j.dump().c_str());
  if (!jsonOut.empty()) std::ofstream(jsonOut) << j.dump(2) << "\n";
  return report.failed == 0 && report.completed == o.calls ? 0 : 2;
}
