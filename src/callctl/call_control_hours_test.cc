// SPDX-License-Identifier: Apache-2.0
// Business hours in the core (decision 0021): a queue with a calendar opens and closes at its
// local wall-clock boundaries in the center's zone, turns callers away while closed, keeps
// those already waiting, and says so with queue.open_changed; an organisation change that
// moves the state says so too. Virtual time: the bench starts 2026-01-01T00:00Z, a Thursday,
// 08:00 in Asia/Shanghai.
#include <gtest/gtest.h>

#include "callctl/call_control.h"
#include "callctl/callctl_test_support.h"

namespace bankcc::callctl {
namespace {

using namespace testing;

CoreOptions shanghai() {
  CoreOptions o;
  auto tz = base::TimeZone::load("Asia/Shanghai");
  EXPECT_TRUE(tz.ok());
  if (tz.ok()) o.timeZone = *tz;
  return o;
}

/// Monday to Friday 09:00-18:00; Friday 2026-01-02 is a holiday.
acd::BusinessHours officeHours() {
  acd::BusinessHours h;
  for (int day = 0; day < 5; ++day) h.weekly[day] = {{9 * 60, 18 * 60}};
  h.exceptions.push_back(
      {date::year_month_day{date::year{2026}, date::month{1}, date::day{2}}, {}, "元旦"});
  return h;
}

class HoursTest : public ::testing::Test {
 protected:
  HoursTest() : b(shanghai()) {
    QueueSetup q = queueSetup("retail", "95588", "retail");
    q.hours = officeHours();
    EXPECT_TRUE(b.core().setQueue(q).ok());
  }

  std::vector<const events::QueueOpenChanged*> changes() {
    return b.eventsOf<events::QueueOpenChanged>();
  }
  std::string lastLeftReason() {
    auto left = b.eventsOf<events::QueueLeft>();
    return left.empty() ? std::string() : left.back()->reason;
  }

  CoreBench b;
};

TEST_F(HoursTest, AQueueOpensAndClosesWithItsHours) {
  // 08:00 on Thursday: closed. The first load says nothing; a caller is turned away.
  EXPECT_TRUE(changes().empty());
  b.sim().incomingCall("13800000001", "95588");
  b.run(0ms);
  EXPECT_EQ(lastLeftReason(), "closed");
  b.run(10s);
  EXPECT_TRUE(b.core().calls().empty());

  // 09:00: open until 18:00 (10:00Z).
  b.run(1h - 10s);
  ASSERT_EQ(changes().size(), 1u);
  EXPECT_TRUE(changes()[0]->open);
  EXPECT_EQ(changes()[0]->queue, "retail");
  EXPECT_EQ(changes()[0]->nextChange, "2026-01-01T10:00:00.000+00:00");
  const auto* opened = b.lastEvent<events::QueueOpenChanged>();
  EXPECT_EQ(opened->queueId, "retail");
  EXPECT_EQ(opened->ts, base::SysTime{std::chrono::seconds{1'767'225'600}} + 1h);

  // A caller now waits (nobody is logged in).
  const LegId waiting = b.sim().incomingCall("13800000002", "95588");
  b.run(1s);
  ASSERT_EQ(b.core().calls().size(), 1u);
  EXPECT_EQ(b.core().calls()[0].phase, CallView::Phase::Queued);

  // 18:00: closed until Monday 09:00 (Friday is a holiday): 2026-01-05T01:00Z. The caller who
  // waits stays; a new one is turned away.
  b.run(9h);
  ASSERT_EQ(changes().size(), 2u);
  EXPECT_FALSE(changes()[1]->open);
  EXPECT_EQ(changes()[1]->nextChange, "2026-01-05T01:00:00.000+00:00");
  ASSERT_EQ(b.core().calls().size(), 1u);
  EXPECT_EQ(b.core().calls()[0].phase, CallView::Phase::Queued);
  b.sim().incomingCall("13800000003", "95588");
  b.run(0ms);
  EXPECT_EQ(lastLeftReason(), "closed");
  b.sim().farHangup(waiting);
  b.run(10s);

  // Through the holiday and the weekend: no change until Monday 09:00.
  b.run(std::chrono::hours(24 * 3 + 14) + 50min);
  EXPECT_EQ(changes().size(), 2u);
  b.run(20min);
  ASSERT_EQ(changes().size(), 3u);
  EXPECT_TRUE(changes()[2]->open);
}

TEST_F(HoursTest, AnOrganisationChangeThatMovesTheStateSaysSo) {
  // Closed at 08:00; the calendar is taken off the queue: open now.
  QueueSetup q = queueSetup("retail", "95588", "retail");
  ASSERT_TRUE(b.core().setQueue(q).ok());
  ASSERT_EQ(changes().size(), 1u);
  EXPECT_TRUE(changes()[0]->open);
  EXPECT_EQ(changes()[0]->nextChange, "");
  // Without hours the queue never changes by itself.
  b.run(24h);
  EXPECT_EQ(changes().size(), 1u);
  // A disabled queue is closed whatever its hours say.
  q.acd.open = false;
  q.hours = officeHours();
  ASSERT_TRUE(b.core().setQueue(q).ok());
  ASSERT_EQ(changes().size(), 2u);
  EXPECT_FALSE(changes()[1]->open);
  b.run(48h);
  EXPECT_EQ(changes().size(), 2u);
}

TEST_F(HoursTest, InvalidHoursAreRefused) {
  QueueSetup q = queueSetup("cards", "95599", "cards");
  acd::BusinessHours bad;
  bad.weekly[0] = {{18 * 60, 9 * 60}};
  q.hours = bad;
  const base::Status st = b.core().setQueue(q);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, base::Errc::ValidationFailed);
  EXPECT_NE(st.error().message.find("weekly.monday[0]"), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace bankcc::callctl
