// SPDX-License-Identifier: Apache-2.0
// The CDR projector and its queries on a real SQLite file and on PostgreSQL (the ctest fixture's
// server): crash safety (a projector dropped between batches, a transaction that fails before
// its commit) compared with one uninterrupted fold, and the filters, paging and team scope
// (decision 0028) of the queries.

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "events/json.h"
#include "reports/cdr.h"
#include "reports/cdr_projector.h"
#include "reports/cdr_query.h"
#include "reports/cdr_test_events.h"
#include "reports/placed_call_test_events.h"
#include "store/org_agents.h"
#include "store/org_teams.h"
#include "store/org_users.h"
#include "store/store_test_support.h"

namespace bankcc::reports {
namespace {

using store::testing::isOk;

/// Appends `evs` to the events table as the event log's writer stores them.
void insertEvents(soci::session& s, const std::vector<events::Event>& evs) {
  soci::transaction tx(s);
  for (const auto& e : evs) {
    const long long seq = static_cast<long long>(e.seq);
    const long long epoch = static_cast<long long>(e.epoch);
    const long long ts = e.ts.time_since_epoch().count();
    const std::string type(events::typeName(e.payload));
    const std::string payload = events::payloadToJson(e.payload);
    soci::indicator callInd = e.callId.empty() ? soci::i_null : soci::i_ok;
    soci::indicator agentInd = e.agentId.empty() ? soci::i_null : soci::i_ok;
    s << "INSERT INTO events (seq, epoch, ts, type, call_id, agent_id, payload) VALUES "
         "(:seq, :epoch, :ts, :type, :call_id, :agent_id, :payload)",
        soci::use(seq, "seq"), soci::use(epoch, "epoch"), soci::use(ts, "ts"),
        soci::use(type, "type"), soci::use(e.callId, callInd, "call_id"),
        soci::use(e.agentId, agentInd, "agent_id"), soci::use(payload, "payload");
  }
  tx.commit();
}

struct Rows {
  std::vector<Cdr> cdrs;
  std::vector<AgentStateInterval> intervals;
};

bool byCall(const Cdr& a, const Cdr& b) {
  return a.callId < b.callId;
}
bool byStart(const AgentStateInterval& a, const AgentStateInterval& b) {
  return std::tie(a.startedAt, a.agentNo, a.startSeq) <
         std::tie(b.startedAt, b.agentNo, b.startSeq);
}

/// What one uninterrupted fold of `evs` finishes, in the order the tables are compared.
Rows expectedRows(const std::vector<events::Event>& evs) {
  CdrFold fold;
  for (const auto& e : evs) fold.apply(e);
  Rows r{fold.takeCdrs(), fold.takeIntervals()};
  std::sort(r.cdrs.begin(), r.cdrs.end(), byCall);
  std::stable_sort(r.intervals.begin(), r.intervals.end(), byStart);
  return r;
}

const base::SysTime kFrom = testing::at(-86400);
const base::SysTime kTo = testing::at(86400);

class CdrProjectorTest : public store::testing::MigratedStoreTest {
 protected:
  /// Everything in the tables, read through the queries page by page (2 per page).
  Rows stored() {
    Rows r;
    CdrQuery q{.from = kFrom, .to = kTo, .limit = 2};
    for (;;) {
      auto page = listCdrs(session(), q);
      EXPECT_TRUE(isOk(page));
      if (!page.ok()) break;
      for (auto& c : page->items) r.cdrs.push_back(std::move(c));
      if (!page->nextCursor) break;
      q.cursor = *page->nextCursor;
    }
    std::sort(r.cdrs.begin(), r.cdrs.end(), byCall);
    IntervalQuery iq{.from = kFrom, .to = kTo, .limit = 3};
    for (;;) {
      auto page = listAgentStateIntervals(session(), iq);
      EXPECT_TRUE(isOk(page));
      if (!page.ok()) break;
      for (auto& i : page->items) r.intervals.push_back(std::move(i));
      if (!page->nextCursor) break;
      iq.cursor = *page->nextCursor;
    }
    return r;
  }

  long long count(const std::string& table) {
    long long n = 0;
    session() << "SELECT count(*) FROM " + table, soci::into(n);
    return n;
  }

  void expectStored(const Rows& expected, const std::string& context) {
    const Rows got = stored();
    EXPECT_EQ(got.cdrs, expected.cdrs) << context;
    EXPECT_EQ(got.intervals, expected.intervals) << context;
    // Nothing twice, nothing missing (the lists would hide a repeated interval key).
    EXPECT_EQ(count("cdrs"), static_cast<long long>(expected.cdrs.size())) << context;
    EXPECT_EQ(count("agent_state_intervals"), static_cast<long long>(expected.intervals.size()))
        << context;
    std::size_t segments = 0;
    for (const auto& c : expected.cdrs) segments += c.segments.size();
    EXPECT_EQ(count("cdr_segments"), static_cast<long long>(segments)) << context;
  }

  void reset() {
    for (const char* t : {"cdr_segments", "cdrs", "agent_state_intervals", "projections"}) {
      session() << std::string("DELETE FROM ") + t;
    }
  }
};

TEST_P(CdrProjectorTest, AnUninterruptedRunStoresWhatTheFoldFinishes) {
  const auto evs = testing::everything();
  insertEvents(session(), evs);
  auto projector = CdrProjector::open(session());
  ASSERT_TRUE(isOk(projector));
  EXPECT_EQ(projector->lastSeq(), 0u);
  auto folded = projector->catchUp(session(), clock_, 7);
  ASSERT_TRUE(isOk(folded));
  EXPECT_EQ(*folded, evs.size());
  EXPECT_EQ(projector->lastSeq(), evs.back().seq);
  const Rows expected = expectedRows(evs);
  ASSERT_EQ(expected.cdrs.size(), 11u);
  expectStored(expected, "uninterrupted");

  // A consult keeps its parent; the consulted agent who took the customer finds both calls.
  auto consult = findCdr(session(), "cf-k");
  ASSERT_TRUE(isOk(consult));
  ASSERT_TRUE(consult->has_value());
  EXPECT_EQ((*consult)->parentCallId, "cf");
  long long parents = -1;
  session() << "SELECT count(*) FROM cdrs WHERE parent_call_id IS NOT NULL", soci::into(parents);
  EXPECT_EQ(parents, 3);  // cx-k, cf-k, tn-k
  std::vector<std::string> byB;
  auto page = listCdrs(session(), CdrQuery{.from = kFrom, .to = kTo, .agent = testing::kAgentB});
  ASSERT_TRUE(isOk(page));
  for (const auto& c : page->items) byB.push_back(c.callId);
  EXPECT_EQ(byB, (std::vector<std::string>{"cf-k", "cf", "a2"}));

  // Nothing new: a step reads nothing and writes nothing.
  auto again = projector->step(session(), clock_);
  ASSERT_TRUE(isOk(again));
  EXPECT_EQ(again->events, 0u);
  expectStored(expected, "after an empty step");
}

TEST_P(CdrProjectorTest, AProjectorDroppedBetweenBatchesResumesWithoutLossOrRepeat) {
  const auto evs = testing::everything();
  insertEvents(session(), evs);
  const Rows expected = expectedRows(evs);
  for (std::size_t steps : {1u, 2u, 5u, 9u}) {
    for (std::size_t batch : {1u, 4u, 11u}) {
      reset();
      {
        auto first = CdrProjector::open(session());
        ASSERT_TRUE(isOk(first));
        for (std::size_t i = 0; i < steps; ++i)
          ASSERT_TRUE(isOk(first->step(session(), clock_, batch)));
      }  // "killed": its memory is gone, the database holds the last commit
      auto second = CdrProjector::open(session());
      ASSERT_TRUE(isOk(second));
      EXPECT_EQ(second->lastSeq(), std::min<std::uint64_t>(steps * batch, evs.size()));
      ASSERT_TRUE(isOk(second->catchUp(session(), clock_, batch)));
      expectStored(expected, "steps " + std::to_string(steps) + " batch " + std::to_string(batch));
    }
  }
}

TEST_P(CdrProjectorTest, AFailedTransactionIsFoldedAgainFromTheCheckpoint) {
  const auto evs = testing::everything();
  insertEvents(session(), evs);
  const Rows expected = expectedRows(evs);
  for (int failAt : {1, 3, 6}) {
    reset();
    auto projector = CdrProjector::open(session());
    ASSERT_TRUE(isOk(projector));
    int commits = 0;
    projector->setBeforeCommitForTest([&]() -> base::Status {
      if (++commits == failAt) return base::err(base::Errc::Unavailable, "injected failure");
      return base::Status{};
    });
    std::uint64_t before = 0;
    for (;;) {
      before = projector->lastSeq();
      auto st = projector->step(session(), clock_, 5);
      if (!st.ok()) break;
      ASSERT_GT(st->events, 0u) << "the failure was never injected";
    }
    // The failed batch left nothing behind.
    long long seq = -1;
    session() << "SELECT last_seq FROM projections WHERE name = 'cdrs'", soci::into(seq);
    EXPECT_EQ(seq, failAt == 1 ? -1 : static_cast<long long>(before));
    EXPECT_EQ(projector->lastSeq(), before);
    // The same object carries on (it reloads the checkpoint), and so would a new one.
    ASSERT_TRUE(isOk(projector->catchUp(session(), clock_, 5)));
    expectStored(expected, "failed commit " + std::to_string(failAt));
  }
}

TEST_P(CdrProjectorTest, EventsThatArriveLaterAreFoldedWithTheOpenStateKept) {
  const auto evs = testing::everything();
  const std::size_t half = evs.size() / 2;
  insertEvents(session(), {evs.begin(), evs.begin() + static_cast<std::ptrdiff_t>(half)});
  auto projector = CdrProjector::open(session());
  ASSERT_TRUE(isOk(projector));
  ASSERT_TRUE(isOk(projector->catchUp(session(), clock_)));
  insertEvents(session(), {evs.begin() + static_cast<std::ptrdiff_t>(half), evs.end()});
  auto reopened = CdrProjector::open(session());
  ASSERT_TRUE(isOk(reopened));
  ASSERT_TRUE(isOk(reopened->catchUp(session(), clock_)));
  expectStored(expectedRows(evs), "two phases");
}

TEST_P(CdrProjectorTest, ADamagedCheckpointIsReportedNotGuessed) {
  session() << "INSERT INTO projections (name, last_seq, state, updated_at) VALUES "
               "('cdrs', 3, '{broken', 0)";
  auto projector = CdrProjector::open(session());
  ASSERT_FALSE(projector.ok());
  EXPECT_EQ(projector.error().code, base::Errc::Corrupt);
}

TEST_P(CdrProjectorTest, QueriesFilterByAgentQueueAndCaller) {
  using testing::AgentState;
  testing::Events ev;
  ev.started(0);
  testing::answeredCallWithHold(ev, "c-1001", "1001", 10);
  testing::answeredCallWithHold(ev, "c-1002", "1002", 200);
  ev.add(300, "c-ab", {}, events::CallArrived{"02155550000", "95555", "t"})
      .add(300, "c-ab", {}, events::QueueJoined{"credit_card", 0, 1})
      .add(310, "c-ab", {}, events::QueueLeft{"credit_card", "abandoned", 10000})
      .add(310, "c-ab", {}, events::CallEnded{"normal", "caller", 10000});
  insertEvents(session(), ev.all());
  auto projector = CdrProjector::open(session());
  ASSERT_TRUE(isOk(projector));
  ASSERT_TRUE(isOk(projector->catchUp(session(), clock_)));

  auto ids = [&](CdrQuery q) {
    q.from = q.from == base::SysTime{} ? kFrom : q.from;
    q.to = q.to == base::SysTime{} ? kTo : q.to;
    std::vector<std::string> out;
    auto page = listCdrs(session(), q);
    EXPECT_TRUE(isOk(page));
    if (page.ok()) {
      for (const auto& c : page->items) out.push_back(c.callId);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids({}), (V{"c-ab", "c-1002", "c-1001"}));  // newest first
  EXPECT_EQ(ids({.agent = "1001"}), (V{"c-1001"}));
  EXPECT_EQ(ids({.agent = "9999"}), V{});
  EXPECT_EQ(ids({.queue = "credit_card"}), (V{"c-ab"}));
  EXPECT_EQ(ids({.queue = "retail_zh"}), (V{"c-1002", "c-1001"}));
  EXPECT_EQ(ids({.caller = "13800138000"}), (V{"c-1002", "c-1001"}));
  EXPECT_EQ(ids({.caller = "021", .callerPrefix = true}), (V{"c-ab"}));
  EXPECT_EQ(ids({.caller = "021"}), V{});
  EXPECT_EQ(ids({.caller = "%", .callerPrefix = true}), V{});  // no wildcard
  EXPECT_EQ(ids({.from = testing::at(100), .to = testing::at(301)}), (V{"c-ab", "c-1002"}));

  auto one = findCdr(session(), "c-1001");
  ASSERT_TRUE(isOk(one));
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((*one)->segments.size(), 4u);
  auto none = findCdr(session(), "nope");
  ASSERT_TRUE(isOk(none));
  EXPECT_FALSE(none->has_value());

  auto intervals =
      listAgentStateIntervals(session(), IntervalQuery{.from = kFrom, .to = kTo, .agent = "1002"});
  ASSERT_TRUE(isOk(intervals));
  ASSERT_EQ(intervals->items.size(), 3u);  // reserved, on_call, wrap_up (ready is open)
  EXPECT_EQ(intervals->items[2].state, "wrap_up");
  EXPECT_EQ(intervals->items[2].callId, "c-1002");

  EXPECT_FALSE(listCdrs(session(), CdrQuery{.from = kFrom, .to = kTo, .cursor = "zz"}).ok());
  EXPECT_FALSE(listCdrs(session(), CdrQuery{.from = kFrom, .to = kTo, .cursor = "6173697c317c78"})
                   .ok());  // an interval cursor
  EXPECT_FALSE(listCdrs(session(), CdrQuery{.from = kFrom, .to = kTo, .limit = 0}).ok());
}

TEST_P(CdrProjectorTest, PlacedCallsKeepTheirDirectionAndAreFoundByTheAgentWhoPlacedThem) {
  using testing::AgentState;
  using testing::kAgentA;
  using testing::kAgentB;
  testing::Events ev;
  ev.started(0)
      .state(0, kAgentA, AgentState::NotReady, AgentState::Ready)
      .state(0, kAgentB, AgentState::NotReady, AgentState::Ready);
  testing::outboundAnswered(ev, "p-out", 10);
  testing::outboundUnanswered(ev, "p-missed", 100, "no_answer");
  testing::internalToColleague(ev, "p-int", 200);
  testing::answeredCallWithHold(ev, "p-in", kAgentB, 300);
  testing::consultCancelled(ev, "p-c", "p-ck", 400);
  insertEvents(session(), ev.all());
  auto projector = CdrProjector::open(session());
  ASSERT_TRUE(isOk(projector));
  ASSERT_TRUE(isOk(projector->catchUp(session(), clock_, 4)));
  const Rows expected = expectedRows(ev.all());
  ASSERT_EQ(expected.cdrs.size(), 6u);
  expectStored(expected, "placed calls");

  // The columns as stored.
  std::string direction, origin;
  session() << "SELECT direction, origin_agent FROM cdrs WHERE call_id = 'p-out'",
      soci::into(direction), soci::into(origin);
  EXPECT_EQ(direction, "outbound");
  EXPECT_EQ(origin, kAgentA);
  session() << "SELECT direction, origin_agent FROM cdrs WHERE call_id = 'p-in'",
      soci::into(direction), soci::into(origin);
  EXPECT_EQ(direction, "inbound");
  EXPECT_EQ(origin, "");
  auto missed = findCdr(session(), "p-missed");
  ASSERT_TRUE(isOk(missed));
  ASSERT_TRUE(missed->has_value());
  EXPECT_EQ((*missed)->direction, "outbound");
  EXPECT_EQ((*missed)->originAgent, kAgentA);
  EXPECT_EQ((*missed)->outcome, "unanswered");
  EXPECT_EQ((*missed)->ani, testing::kExtensionA);

  auto ids = [&](CdrQuery q) {
    q.from = kFrom;
    q.to = kTo;
    std::vector<std::string> out;
    auto page = listCdrs(session(), q);
    EXPECT_TRUE(isOk(page));
    if (page.ok()) {
      for (const auto& c : page->items) out.push_back(c.callId);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids({.direction = "outbound"}), (V{"p-missed", "p-out"}));
  EXPECT_EQ(ids({.direction = "internal"}), (V{"p-ck", "p-int"}));
  EXPECT_EQ(ids({.direction = "inbound"}), (V{"p-c", "p-in"}));
  // A's calls: answered (p-c), placed (the consult p-ck, p-int, p-missed, p-out), one of them
  // nobody answered.
  EXPECT_EQ(ids({.agent = kAgentA}), (V{"p-ck", "p-c", "p-int", "p-missed", "p-out"}));
  EXPECT_EQ(ids({.agent = kAgentA, .direction = "outbound"}), (V{"p-missed", "p-out"}));
  // B's: answered from a queue, the colleague on the internal call, the consulted agent.
  EXPECT_EQ(ids({.agent = kAgentB}), (V{"p-ck", "p-in", "p-int"}));
  EXPECT_EQ(ids({.agent = kAgentB, .direction = "internal"}), (V{"p-ck", "p-int"}));
}

TEST_P(CdrProjectorTest, ATeamScopeKeepsTheCallsAndIntervalsOfTheTeamsAgentsAsTheyAreNow) {
  using testing::AgentState;
  using testing::kAgentA;
  using testing::kAgentB;
  // team_a: 1001 (A); team_b: 1002 (B); team_c: nobody; 1004 in no team.
  for (const char* code : {"team_a", "team_b", "team_c"}) {
    store::Team team;
    team.code = code;
    team.name = "组";
    ASSERT_TRUE(isOk(store::createTeam(session(), clock_, team)));
  }
  auto addAgent = [&](const std::string& agentNo, const std::string& team) {
    store::User user;
    user.username = "u" + agentNo;
    user.displayName = "座席";
    user.roles = {"agent"};
    ASSERT_TRUE(isOk(store::createUser(session(), clock_, user)));
    store::Agent agent;
    agent.agentNo = agentNo;
    agent.name = "座席";
    agent.languages = {"zh"};
    agent.teamCode = team;
    agent.username = user.username;
    ASSERT_TRUE(isOk(store::createAgent(session(), clock_, agent)));
  };
  ASSERT_NO_FATAL_FAILURE(addAgent(kAgentA, "team_a"));
  ASSERT_NO_FATAL_FAILURE(addAgent(kAgentB, "team_b"));
  ASSERT_NO_FATAL_FAILURE(addAgent("1004", ""));

  testing::Events ev;
  ev.started(0)
      .state(0, kAgentA, AgentState::NotReady, AgentState::Ready)
      .state(0, kAgentB, AgentState::NotReady, AgentState::Ready);
  testing::answeredCallWithHold(ev, "c-a", kAgentA, 10);
  testing::answeredCallWithHold(ev, "c-b", kAgentB, 200);
  ev.add(300, "c-ab", {}, events::CallArrived{"02155550000", "95555", "t"})
      .add(300, "c-ab", {}, events::QueueJoined{"retail_zh", 0, 1})
      .add(310, "c-ab", {}, events::QueueLeft{"retail_zh", "abandoned", 10000})
      .add(310, "c-ab", {}, events::CallEnded{"normal", "caller", 10000});
  testing::outboundUnanswered(ev, "p-missed", 400, "no_answer");  // placed by A
  testing::attendedTransferToAgent(ev, "p-x", "k-x", 500);        // A, then B; consult k-x
  testing::answeredCallWithHold(ev, "c-d", "1004", 800);
  insertEvents(session(), ev.all());
  auto projector = CdrProjector::open(session());
  ASSERT_TRUE(isOk(projector));
  ASSERT_TRUE(isOk(projector->catchUp(session(), clock_)));

  using V = std::vector<std::string>;
  // Every page of the query, `limit` at a time: the scope must hold across cursors.
  auto ids = [&](CdrQuery q, int limit = 2) {
    q.from = kFrom;
    q.to = kTo;
    q.limit = limit;
    V out;
    for (int pages = 0; pages < 20; ++pages) {
      auto page = listCdrs(session(), q);
      EXPECT_TRUE(isOk(page));
      if (!page.ok()) break;
      for (const auto& c : page->items) out.push_back(c.callId);
      if (!page->nextCursor) break;
      q.cursor = *page->nextCursor;
    }
    return out;
  };
  EXPECT_EQ(ids({}), (V{"c-d", "k-x", "p-x", "p-missed", "c-ab", "c-b", "c-a"}));
  // Answered (c-a, p-x), placed and unanswered (p-missed), a consult A started (k-x); not the
  // call abandoned in the queue.
  EXPECT_EQ(ids({.teams = V{"team_a"}}), (V{"k-x", "p-x", "p-missed", "c-a"}));
  EXPECT_EQ(ids({.teams = V{"team_a"}}, 1), (V{"k-x", "p-x", "p-missed", "c-a"}));
  // B answered the consult and took the customer by the transfer.
  EXPECT_EQ(ids({.teams = V{"team_b"}}), (V{"k-x", "p-x", "c-b"}));
  EXPECT_EQ(ids({.teams = V{"team_a", "team_b"}}), (V{"k-x", "p-x", "p-missed", "c-b", "c-a"}));
  EXPECT_EQ(ids({.teams = V{}}), V{});
  EXPECT_EQ(ids({.teams = V{"team_c"}}), V{});
  EXPECT_EQ(ids({.teams = V{"no_such_team"}}), V{});
  // Filters narrow the scope: an agent outside the teams finds only calls the teams share.
  EXPECT_EQ(ids({.agent = kAgentA, .teams = V{"team_a"}}), (V{"k-x", "p-x", "p-missed", "c-a"}));
  EXPECT_EQ(ids({.agent = "1004", .teams = V{"team_a"}}), V{});
  EXPECT_EQ(ids({.agent = kAgentB, .teams = V{"team_a"}}), (V{"k-x", "p-x"}));
  EXPECT_EQ(ids({.direction = "outbound", .teams = V{"team_a"}}), V{"p-missed"});
  EXPECT_EQ(ids({.queue = "retail_zh", .teams = V{"team_b"}}), (V{"p-x", "c-b"}));
  // A bad cursor is an error whatever the scope.
  EXPECT_FALSE(
      listCdrs(session(), CdrQuery{.from = kFrom, .to = kTo, .cursor = "zz", .teams = V{}}).ok());

  auto found = [&](const std::string& callId, const TeamScope& teams) {
    auto c = findCdr(session(), callId, teams);
    EXPECT_TRUE(isOk(c));
    return c.ok() && c->has_value();
  };
  EXPECT_TRUE(found("c-b", std::nullopt));
  EXPECT_TRUE(found("c-b", V{"team_b"}));
  EXPECT_FALSE(found("c-b", V{"team_a"}));
  EXPECT_TRUE(found("p-missed", V{"team_a"}));
  EXPECT_FALSE(found("c-ab", V{"team_a", "team_b"}));
  EXPECT_FALSE(found("c-a", V{}));

  auto agentsOfIntervals = [&](IntervalQuery q) {
    q.from = kFrom;
    q.to = kTo;
    q.limit = 2;
    std::set<std::string> agents;
    std::size_t n = 0;
    for (int pages = 0; pages < 50; ++pages) {
      auto page = listAgentStateIntervals(session(), q);
      EXPECT_TRUE(isOk(page));
      if (!page.ok()) break;
      for (const auto& i : page->items) agents.insert(i.agentNo);
      n += page->items.size();
      if (!page->nextCursor) break;
      q.cursor = *page->nextCursor;
    }
    return std::pair{agents, n};
  };
  using S = std::set<std::string>;
  EXPECT_EQ(agentsOfIntervals({}).first, (S{kAgentA, kAgentB, "1004"}));
  const auto [bAgents, bCount] = agentsOfIntervals({.teams = V{"team_b"}});
  EXPECT_EQ(bAgents, S{kAgentB});
  EXPECT_EQ(bCount, agentsOfIntervals({.agent = kAgentB}).second);
  EXPECT_EQ(agentsOfIntervals({.agent = kAgentA, .teams = V{"team_b"}}).second, 0u);
  EXPECT_EQ(agentsOfIntervals({.teams = V{}}).second, 0u);
  EXPECT_EQ(agentsOfIntervals({.teams = V{"team_a", "team_b"}}).first, (S{kAgentA, kAgentB}));

  // The team as it is now: B moves to team_a, and B's history moves with them.
  auto b = store::getAgent(session(), kAgentB);
  ASSERT_TRUE(isOk(b));
  b->teamCode = "team_a";
  ASSERT_TRUE(isOk(store::updateAgent(session(), clock_, *b)));
  EXPECT_EQ(ids({.teams = V{"team_a"}}), (V{"k-x", "p-x", "p-missed", "c-b", "c-a"}));
  EXPECT_EQ(ids({.teams = V{"team_b"}}), V{});
  EXPECT_TRUE(found("c-b", V{"team_a"}));
  EXPECT_EQ(agentsOfIntervals({.teams = V{"team_b"}}).second, 0u);
  EXPECT_EQ(agentsOfIntervals({.teams = V{"team_a"}}).first, (S{kAgentA, kAgentB}));
}

BANKCC_STORE_BACKENDS(CdrProjectorTest);

}  // namespace
}  // namespace bankcc::reports
