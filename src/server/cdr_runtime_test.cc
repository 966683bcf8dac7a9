// SPDX-License-Identifier: Apache-2.0
// The CDR runtime on a real SQLite file: it folds what the event log holds on its own thread,
// and stop() runs it once more, so events committed just before the shutdown reach the tables.

#include "server/cdr_runtime.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <chrono>
#include <thread>
#include <vector>

#include "events/json.h"
#include "reports/cdr_test_events.h"
#include "store/store_test_support.h"

namespace bankcc::server {
namespace {

using namespace std::chrono_literals;

void insertEvents(soci::session& s, const std::vector<events::Event>& evs) {
  soci::transaction tx(s);
  for (const auto& e : evs) {
    const long long seq = static_cast<long long>(e.seq);
    const long long epoch = static_cast<long long>(e.epoch);
    const long long ts = e.ts.time_since_epoch().count();
    const std::string type(events::typeName(e.payload));
    const std::string payload = events::payloadToJson(e.payload);
    soci::indicator callInd = e.callId.empty() ? soci::i_null : soci::i_ok;
    s << "INSERT INTO events (seq, epoch, ts, type, call_id, payload) VALUES "
         "(:seq, :epoch, :ts, :type, :call_id, :payload)",
        soci::use(seq, "seq"), soci::use(epoch, "epoch"), soci::use(ts, "ts"),
        soci::use(type, "type"), soci::use(e.callId, callInd, "call_id"),
        soci::use(payload, "payload");
  }
  tx.commit();
}

/// Polls `done` until it holds or 10 s passed (the runtime's thread is real).
bool eventually(const std::function<bool()>& done) {
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(10ms)) {
    if (done()) return true;
  }
  return done();
}

class CdrRuntimeTest : public store::testing::MigratedStoreTest {
 protected:
  long long cdrCount() {
    long long n = 0;
    session() << "SELECT count(*) FROM cdrs", soci::into(n);
    return n;
  }
};

TEST_P(CdrRuntimeTest, FoldsTheLogOnItsThreadAndOnceMoreAtStop) {
  reports::testing::Events ev;
  ev.started(0);
  reports::testing::answeredCallWithHold(ev, "c1", "1001", 10);
  const auto first = ev.all();
  reports::testing::answeredCallWithHold(ev, "c2", "1002", 100);
  const std::vector<events::Event> second(ev.all().begin() + first.size(), ev.all().end());

  insertEvents(session(), first);
  // A period longer than the test: after the first run, only stop() runs it again.
  CdrRuntime runtime(*db_, clock_, std::chrono::hours(1));
  ASSERT_TRUE(eventually([&] { return runtime.lastSeq() == first.back().seq; }))
      << runtime.lastSeq();
  EXPECT_EQ(cdrCount(), 1);

  insertEvents(session(), second);  // committed "just before the shutdown"
  runtime.stop();
  EXPECT_EQ(runtime.lastSeq(), second.back().seq);
  EXPECT_EQ(cdrCount(), 2);
  runtime.stop();  // idempotent
}

TEST_P(CdrRuntimeTest, RunsEveryPeriod) {
  CdrRuntime runtime(*db_, clock_, 10ms);
  reports::testing::Events ev;
  ev.started(0);
  reports::testing::answeredCallWithHold(ev, "c1", "1001", 10);
  insertEvents(session(), ev.all());
  EXPECT_TRUE(eventually([&] { return runtime.lastSeq() == ev.all().back().seq; }));
  EXPECT_EQ(cdrCount(), 1);
}

// SQLite only: this binary is a unit test, run without the PostgreSQL fixture; the projector's
// PostgreSQL path is tested in reports_integration_test.
INSTANTIATE_TEST_SUITE_P(Sqlite, CdrRuntimeTest, ::testing::Values(store::Backend::Sqlite),
                         store::testing::backendName);

}  // namespace
}  // namespace bankcc::server
