// SPDX-License-Identifier: Apache-2.0
// Test helper for event_log_crash_test: starts an EventLog and appends events at a steady
// rate until it is killed. Protocol on stdout, one line each, flushed:
//   started epoch=<epoch> next=<first seq of this run>
//   committed <seq>        whenever lastCommittedSeq() moves
// Logs go to stderr.
//
//   event_log_crash_helper DATA_DIR URL RATE
//     URL: "" for SQLite under DATA_DIR, or a PostgreSQL URL; RATE: events per second.
#include <prometheus/registry.h>
#include <soci/soci.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "base/log.h"
#include "store/database.h"
#include "store/event_log.h"
#include "store/migrations.h"

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "event_log_crash_helper: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bankcc;
  if (argc != 4) return fail("usage: event_log_crash_helper DATA_DIR URL RATE");
  const std::filesystem::path dataDir = argv[1];
  const int rate = std::atoi(argv[3]);
  if (rate <= 0) return fail("RATE must be a positive number");
  base::initLogging(base::LogConfig{"info", "text"});  // stderr

  store::StoreConfig sc;
  sc.url = argv[2];
  auto db = store::Database::open(sc, dataDir);
  if (!db.ok()) return fail(db.error().describe());
  {
    auto session = (*db)->connect();
    if (!session.ok()) return fail(session.error().describe());
    auto migrated = store::migrate(**session, (*db)->backend());
    if (!migrated.ok()) return fail(migrated.error().describe());
  }
  store::EventLogConfig config;
  config.spillPath = dataDir / "spill" / "events.spill";
  config.version = "crash-test";
  base::RealClock clock;
  prometheus::Registry registry;
  auto log = store::EventLog::start(**db, config, clock, registry);
  if (!log.ok()) return fail(log.error().describe());
  std::printf("started epoch=%llu next=%llu\n", static_cast<unsigned long long>((*log)->epoch()),
              static_cast<unsigned long long>((*log)->lastCommittedSeq() + 1));
  std::fflush(stdout);

  // Every millisecond, the events due by then.
  using Steady = std::chrono::steady_clock;
  const auto start = Steady::now();
  std::uint64_t appended = 0, printed = (*log)->lastCommittedSeq();
  for (int tick = 1;; ++tick) {
    const auto due = static_cast<std::uint64_t>(rate) * static_cast<std::uint64_t>(tick) / 1000;
    for (; appended < due; ++appended) {
      events::Event e;
      e.agentId = std::to_string(1000 + appended % 50);
      e.payload = events::AgentStateChanged{e.agentId, events::AgentState::Ready,
                                            events::AgentState::Reserved, ""};
      (void)(*log)->append(std::move(e));
    }
    if (const auto seq = (*log)->lastCommittedSeq(); seq != printed) {
      std::printf("committed %llu\n", static_cast<unsigned long long>(seq));
      std::fflush(stdout);
      printed = seq;
    }
    std::this_thread::sleep_until(start + std::chrono::milliseconds(tick));
  }
}
