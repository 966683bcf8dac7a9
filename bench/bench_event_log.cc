// SPDX-License-Identifier: Apache-2.0
// Event log benchmarks (results in docs/performance.md):
//   Throughput/<backend>/<max_batch>: append 500,000 events as fast as one thread can, and
//     measure until the last one is committed. Target: SQLite >= 300,000 events/s,
//     PostgreSQL >= 200,000 events/s.
//   Latency/<backend>: a steady 5,000 events/s for 10 s; p50/p99/max from append() to commit
//     (seen by the commit listener). Target: p99 < 50 ms.
// SQLite runs on a file in a temporary directory; PostgreSQL on the server named by
// BANKCC_BENCH_PG_URL ("postgresql:host=... port=... user=... dbname=...", see
// bench/with-postgres.sh), in a fresh database per benchmark, dropped afterwards.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <prometheus/registry.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "store/database.h"
#include "store/event_log.h"
#include "store/migrations.h"

namespace bankcc::store {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::uint64_t kThroughputEvents = 500'000;
constexpr int kSteadyRate = 5'000;
constexpr auto kSteadyDuration = 10s;

/// A fresh, migrated database for one benchmark; removed by the destructor.
class Target {
 public:
  static std::unique_ptr<Target> open(Backend backend, std::string& error) {
    auto t = std::unique_ptr<Target>(new Target);
    char tmpl[] = "/tmp/bankcc-bench-XXXXXX";
    if (!::mkdtemp(tmpl)) {
      error = "mkdtemp failed";
      return nullptr;
    }
    t->dir_ = tmpl;
    StoreConfig config;
    if (backend == Backend::Postgres) {
      const char* url = std::getenv("BANKCC_BENCH_PG_URL");
      if (!url || !*url) {
        error = "BANKCC_BENCH_PG_URL not set (see bench/with-postgres.sh)";
        return nullptr;
      }
      t->adminConninfo_ = url;
      if (t->adminConninfo_.rfind("postgresql:", 0) == 0) t->adminConninfo_.erase(0, 11);
      static int counter = 0;
      t->pgName_ = fmt::format("bench_{}_{}", ::getpid(), counter++);
      if (!t->admin("CREATE DATABASE " + t->pgName_, error)) return nullptr;
      std::string conninfo = t->adminConninfo_;
      const auto pos = conninfo.find("dbname=");
      if (pos != std::string::npos) {
        const auto end = conninfo.find(' ', pos);
        conninfo.replace(pos, end == std::string::npos ? std::string::npos : end - pos,
                         "dbname=" + t->pgName_);
      } else {
        conninfo += " dbname=" + t->pgName_;
      }
      config.url = "postgresql:" + conninfo;
    }
    auto db = Database::open(config, t->dir_);
    if (!db.ok()) {
      error = db.error().describe();
      return nullptr;
    }
    t->db_ = std::move(*db);
    auto session = t->db_->connect();
    if (!session.ok()) {
      error = session.error().describe();
      return nullptr;
    }
    auto migrated = migrate(**session, backend);
    if (!migrated.ok()) {
      error = migrated.error().describe();
      return nullptr;
    }
    return t;
  }

  ~Target() {
    db_.reset();
    std::string ignored;
    if (!pgName_.empty()) admin("DROP DATABASE IF EXISTS " + pgName_ + " WITH (FORCE)", ignored);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  const Database& db() const { return *db_; }
  EventLogConfig config(std::size_t maxBatch) const {
    EventLogConfig c;
    c.queueCapacity = kThroughputEvents + 1000;  // a burst of 500k must fit: nothing dropped
    c.maxBatch = maxBatch;
    c.spillPath = dir_ / "spill" / "events.spill";
    c.version = "bench";
    c.node = "bench";
    return c;
  }

 private:
  Target() = default;

  bool admin(const std::string& sql, std::string& error) const {
    PGconn* c = PQconnectdb(adminConninfo_.c_str());
    bool ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
      PGresult* r = PQexec(c, sql.c_str());
      ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      if (!ok) error = PQresultErrorMessage(r);
      PQclear(r);
    } else {
      error = PQerrorMessage(c);
    }
    PQfinish(c);
    return ok;
  }

  fs::path dir_;
  std::string adminConninfo_;
  std::string pgName_;
  std::unique_ptr<Database> db_;
};

/// A typical event: an agent state change with call, agent and queue ids.
events::Event makeEvent(const std::string& callId) {
  events::Event e;
  e.callId = callId;
  e.agentId = "1001";
  e.queueId = "retail_zh";
  e.payload = events::AgentStateChanged{"1001", events::AgentState::Ready,
                                        events::AgentState::Reserved, ""};
  return e;
}

const std::string kCallId = "0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887";

/// CPU seconds used by the whole process and by the calling thread: the difference is the
/// writer's (nothing else runs), a measure that other load on the machine does not distort.
double processCpu() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
/// CPU seconds used so far by every process named "postgres" (the server, for PostgreSQL
/// runs on this machine).
double postgresCpu() {
  double total = 0;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    if (line.compare(open + 1, close - open - 1, "postgres") != 0) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    total += (utime + stime) / tick;
  }
  return total;
}

double threadCpu() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void throughput(benchmark::State& state, Backend backend) {
  std::string error;
  auto target = Target::open(backend, error);
  if (!target) {
    state.SkipWithError(error.c_str());
    return;
  }
  base::RealClock clock;
  prometheus::Registry registry;
  auto log = EventLog::start(target->db(), target->config(static_cast<std::size_t>(state.range(0))),
                             clock, registry);
  if (!log.ok()) {
    state.SkipWithError(log.error().describe().c_str());
    return;
  }
  double total = 0, appendTotal = 0, processCpuTotal = 0, emitterCpuTotal = 0, serverCpuTotal = 0;
  std::uint64_t events = 0;
  for (auto _ : state) {
    const double p0 = processCpu(), e0 = threadCpu(), s0 = postgresCpu();
    const auto t0 = Steady::now();
    events::EventId last;
    for (std::uint64_t i = 0; i < kThroughputEvents; ++i) last = (*log)->append(makeEvent(kCallId));
    const auto t1 = Steady::now();
    if (!last.accepted() || !(*log)->waitCommitted(last.seq, 600s).ok()) {
      state.SkipWithError("events were dropped or not committed");
      return;
    }
    const double seconds = std::chrono::duration<double>(Steady::now() - t0).count();
    processCpuTotal += processCpu() - p0;
    emitterCpuTotal += threadCpu() - e0;
    serverCpuTotal += postgresCpu() - s0;
    state.SetIterationTime(seconds);
    total += seconds;
    appendTotal += std::chrono::duration<double>(t1 - t0).count();
    events += kThroughputEvents;
  }
  const auto stats = (*log)->stats();
  state.counters["events_per_s"] = static_cast<double>(events) / total;
  state.counters["appends_per_s"] = static_cast<double>(events) / appendTotal;
  state.counters["emitter_us_per_event"] = emitterCpuTotal * 1e6 / static_cast<double>(events);
  state.counters["writer_us_per_event"] =
      (processCpuTotal - emitterCpuTotal) * 1e6 / static_cast<double>(events);
  if (backend == Backend::Postgres) {
    state.counters["server_us_per_event"] = serverCpuTotal * 1e6 / static_cast<double>(events);
  }
  state.counters["dropped"] = static_cast<double>(stats.droppedTotal);
  state.counters["spilled"] = static_cast<double>(stats.spilledTotal);
}

void latency(benchmark::State& state, Backend backend) {
  std::string error;
  auto target = Target::open(backend, error);
  if (!target) {
    state.SkipWithError(error.c_str());
    return;
  }
  base::RealClock clock;
  prometheus::Registry registry;
  auto log = EventLog::start(target->db(), target->config(4096), clock, registry);
  if (!log.ok()) {
    state.SkipWithError(log.error().describe().c_str());
    return;
  }
  const auto count = static_cast<std::size_t>(kSteadyRate * kSteadyDuration.count());
  const auto interval = std::chrono::nanoseconds(1'000'000'000 / kSteadyRate);
  std::vector<std::int64_t> emitted(count), committed(count);
  const std::uint64_t firstSeq = (*log)->lastCommittedSeq() + 1;
  std::uint64_t seen = firstSeq - 1;
  (*log)->onCommit([&](std::uint64_t seq) {  // writer thread
    const std::int64_t now = Steady::now().time_since_epoch().count();
    for (std::uint64_t s = seen + 1; s <= seq && s - firstSeq < count; ++s) {
      committed[s - firstSeq] = now;
    }
    seen = seq;
  });
  std::vector<double> ms;
  for (auto _ : state) {
    const auto start = Steady::now();
    std::uint64_t last = 0;
    for (std::size_t i = 0; i < count; ++i) {
      std::this_thread::sleep_until(start + i * interval);
      emitted[i] = Steady::now().time_since_epoch().count();
      last = (*log)->append(makeEvent(kCallId)).seq;
    }
    if (!(*log)->waitCommitted(last, 60s).ok() || last != firstSeq + count - 1) {
      state.SkipWithError("events were dropped or not committed");
      return;
    }
    state.SetIterationTime(std::chrono::duration<double>(Steady::now() - start).count());
  }
  (*log)->onCommit({});
  for (std::size_t i = 0; i < count; ++i) ms.push_back((committed[i] - emitted[i]) / 1e6);
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[static_cast<std::size_t>(p * (ms.size() - 1))]; };
  state.counters["p50_ms"] = pct(0.50);
  state.counters["p99_ms"] = pct(0.99);
  state.counters["p999_ms"] = pct(0.999);
  state.counters["max_ms"] = ms.back();
  state.counters["events"] = static_cast<double>(count);
}

BENCHMARK_CAPTURE(throughput, sqlite, Backend::Sqlite)
    ->ArgName("max_batch")
    ->Arg(1024)
    ->Arg(4096)
    ->Arg(16384)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(throughput, postgres, Backend::Postgres)
    ->ArgName("max_batch")
    ->Arg(1024)
    ->Arg(4096)
    ->Arg(16384)
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(latency, sqlite, Backend::Sqlite)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(latency, postgres, Backend::Postgres)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bankcc::store

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // start/stop chatter would interleave with results
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
