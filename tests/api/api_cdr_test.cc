// SPDX-License-Identifier: Apache-2.0
// GET /api/v1/cdrs, /api/v1/cdrs/{call_id} and /api/v1/agent-state-intervals over real HTTP:
// events written into the server's event log (while it is stopped, as a previous run would have
// left them) come back as CDRs once the server's projector folded them; bad filters are 4xx with
// the error shape, never 500. Who may read them is in the route-by-role matrix
// (api_routes_test.cc); which rows a supervisor sees (their teams', decision 0028) is here.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "api/api_support.h"
#include "events/event.h"
#include "events/json.h"

namespace bankcc::apitest {
namespace {

using events::AgentState;

class CdrTest : public ApiTest {};

constexpr long long kT0 = 1'795'681'600'000'000;  // 2026-11-26T08:26:40Z, in microseconds

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

/// SQL that appends `payload` to the event log after its last event, in its last epoch.
std::string insertEvent(double seconds, const std::string& callId, const std::string& agent,
                        const events::Payload& payload) {
  const long long ts = kT0 + static_cast<long long>(seconds * 1'000'000);
  return "INSERT INTO events (seq, epoch, ts, type, call_id, agent_id, payload) SELECT "
         "max(seq) + 1, max(epoch), " +
         std::to_string(ts) + ", " + quoted(std::string(events::typeName(payload))) + ", " +
         (callId.empty() ? "NULL" : quoted(callId)) + ", " +
         (agent.empty() ? "NULL" : quoted(agent)) + ", " + quoted(events::payloadToJson(payload)) +
         " FROM events;";
}

/// One answered call with a hold and a wrap-up, as the core emits it, by `agent` (seed agents:
/// 1001-1006 are in team retail_1, 1007-1012 in retail_2), starting `t` seconds after kT0.
std::string answeredCall(const std::string& call, const std::string& agent = "1001", double t = 0) {
  std::string sql;
  auto add = [&](double at, const std::string& by, events::Payload p) {
    sql += insertEvent(t + at, call, by, p);
  };
  auto state = [&](double at, AgentState from, AgentState to) {
    add(at, agent, events::AgentStateChanged{agent, from, to, ""});
  };
  add(0, "", events::CallArrived{"13800138000", "95555", "trunk1"});
  add(0, "", events::QueueJoined{"retail_zh", 0, 1});
  state(2, AgentState::Ready, AgentState::Reserved);
  add(2, agent, events::CallOffered{.agentNo = agent, .queue = "retail_zh", .tier = "vip"});
  add(5, agent, events::CallAnswered{agent, "retail_zh", 5000});
  add(5, "", events::QueueLeft{"retail_zh", "answered", 5000});
  state(5, AgentState::Reserved, AgentState::OnCall);
  add(20, agent, events::CallHeld{agent});
  add(30, agent, events::CallRetrieved{agent, 10000});
  add(60, agent, events::CallEnded{"normal", "caller", 60000});
  state(60, AgentState::OnCall, AgentState::WrapUp);
  state(75, AgentState::WrapUp, AgentState::Ready);
  return sql;
}

/// A caller who hangs up in the queue: no agent took part.
std::string abandonedCall(const std::string& call, double t) {
  return insertEvent(t, call, "", events::CallArrived{"13700137000", "95555", "trunk1"}) +
         insertEvent(t, call, "", events::QueueJoined{"retail_zh", 0, 1}) +
         insertEvent(t + 10, call, "", events::QueueLeft{"retail_zh", "abandoned", 10000}) +
         insertEvent(t + 10, call, "", events::CallEnded{"normal", "caller", 10000});
}

/// A call 1001 placed to a number from the desktop that nobody answered, then one to colleague
/// 1002 who answered it (decision 0020), starting `t` seconds after kT0.
std::string placedCalls(const std::string& missed, const std::string& internal, double t) {
  std::string sql;
  auto add = [&](double at, const std::string& call, const std::string& agent, events::Payload p) {
    sql += insertEvent(t + at, call, agent, p);
  };
  auto state = [&](double at, const std::string& call, const std::string& agent, AgentState from,
                   AgentState to) {
    add(at, call, agent, events::AgentStateChanged{agent, from, to, ""});
  };
  add(0, missed, "1001",
      events::CallOriginated{"1001", "8001", "number", "13900139000", "desktop"});
  state(0, missed, "1001", AgentState::Ready, AgentState::Reserved);
  add(20, missed, "1001", events::CallEnded{"no_answer", "callee", 20000});
  state(20, missed, "1001", AgentState::Reserved, AgentState::Ready);
  add(30, internal, "1001", events::CallOriginated{"1001", "8001", "agent", "1002", "desktop"});
  state(30, internal, "1001", AgentState::Ready, AgentState::Reserved);
  add(30, internal, "1002",
      events::CallOffered{.agentNo = "1002", .extension = "8002", .ani = "8001"});
  state(30, internal, "1002", AgentState::Ready, AgentState::Reserved);
  add(34, internal, "1001", events::CallAnswered{"1001", "", 4000});
  state(34, internal, "1001", AgentState::Reserved, AgentState::OnCall);
  state(34, internal, "1002", AgentState::Reserved, AgentState::OnCall);
  add(50, internal, "1001", events::CallEnded{"normal", "agent", 20000});
  state(50, internal, "1001", AgentState::OnCall, AgentState::Ready);
  state(50, internal, "1002", AgentState::OnCall, AgentState::Ready);
  return sql;
}

const std::string kRange = "from=2026-11-26T08:00:00Z&to=2026-11-26T09:00:00Z";
const std::string kCallId = "01a21847-0000-7000-8000-00000000cd01";

TEST_P(CdrTest, EndedCallsAreListedWithTheirSegmentsAndFilters) {
  auto server = startServer();
  if (!server) return;
  ASSERT_TRUE(server->stop().has_value());
  ASSERT_EQ(server->execSql(answeredCall(kCallId)), "");
  ASSERT_TRUE(server->restart()) << server->log();
  HttpClient client(server->http());
  auto qa = mustLogin(client, server->user("qa"));  // reads every CDR (decision 0028)
  const auto auth = bearer(qa.token);

  json items;
  ASSERT_TRUE(eventually([&] {
    auto r = client.get("/api/v1/cdrs?" + kRange, auth);
    if (r.status != 200) return false;
    items = bodyOf(r)["items"];
    return items.size() == 1;
  })) << items
      << "\n"
      << server->log();
  const json& c = items[0];
  EXPECT_EQ(c["call_id"], kCallId);
  EXPECT_EQ(c["ani"], "13800138000");
  EXPECT_EQ(c["outcome"], "answered");
  EXPECT_EQ(c["answered_by"], "1001");
  EXPECT_EQ(c["answering_queue"], "retail_zh");
  EXPECT_EQ(c["tier"], "vip");
  EXPECT_EQ(c["wait_ms"], 5000);
  EXPECT_EQ(c["talk_ms"], 45000);
  EXPECT_EQ(c["hold_ms"], 10000);
  EXPECT_EQ(c["wrap_up_ms"], 15000);
  EXPECT_TRUE(c["parent_call_id"].is_null());
  EXPECT_EQ(c["arrived_at"], "2026-11-26T08:26:40.000Z");
  ASSERT_EQ(c["segments"].size(), 4u) << c;
  EXPECT_EQ(c["segments"][0]["kind"], "queue");
  EXPECT_EQ(c["segments"][0]["detail"], "answered");
  EXPECT_EQ(c["segments"][3]["kind"], "wrapup");

  auto count = [&](const std::string& filter) -> int {
    auto r = client.get("/api/v1/cdrs?" + kRange + "&" + filter, auth);
    EXPECT_EQ(r.status, 200) << filter << ": " << r.body;
    return static_cast<int>(bodyOf(r)["items"].size());
  };
  EXPECT_EQ(count("agent=1001"), 1);
  EXPECT_EQ(count("agent=1002"), 0);
  EXPECT_EQ(count("queue=retail_zh"), 1);
  EXPECT_EQ(count("queue=credit_card"), 0);
  EXPECT_EQ(count("caller=13800138000"), 1);
  EXPECT_EQ(count("caller=" + urlEncode("138*")), 1);
  EXPECT_EQ(count("caller=139"), 0);
  EXPECT_EQ(count("limit=1"), 1);
  // Outside the range: the default (the last 24 hours before now) does not reach back to it
  // unless the clock is close to the test's time, so ask for a range of its own.
  auto other = client.get("/api/v1/cdrs?from=2026-10-01T00:00:00Z&to=2026-10-02T00:00:00Z", auth);
  EXPECT_EQ(other.status, 200);
  EXPECT_TRUE(bodyOf(other)["items"].empty());

  auto one = client.get("/api/v1/cdrs/" + kCallId, auth);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(bodyOf(one)["segments"].size(), 4u);
  EXPECT_TRUE(isError(client.get("/api/v1/cdrs/no-such-call", auth), 404, "not_found"));

  auto intervals = client.get("/api/v1/agent-state-intervals?agent=1001&" + kRange, auth);
  ASSERT_EQ(intervals.status, 200) << intervals.body;
  const auto list = bodyOf(intervals)["items"];
  // reserved, on_call, wrap_up, and ready: the restart after the insert closed it.
  ASSERT_EQ(list.size(), 4u) << list;
  EXPECT_EQ(list[2]["state"], "wrap_up");
  EXPECT_EQ(list[2]["duration_ms"], 15000);
  EXPECT_EQ(list[2]["call_id"], kCallId);
  EXPECT_EQ(list[3]["state"], "ready");
  EXPECT_EQ(list[3]["end_cause"], "node_restart");

  // Agents do not read CDRs.
  auto agent = mustLogin(client, server->user("agent"));
  EXPECT_TRUE(isError(client.get("/api/v1/cdrs", bearer(agent.token)), 403, "forbidden"));
}

TEST_P(CdrTest, PlacedCallsCarryTheirDirectionAndTheAgentWhoPlacedThem) {
  auto server = startServer();
  if (!server) return;
  ASSERT_TRUE(server->stop().has_value());
  const std::string missed = "01a21847-0000-7000-8000-00000000cd02";
  const std::string internal = "01a21847-0000-7000-8000-00000000cd03";
  ASSERT_EQ(server->execSql(answeredCall(kCallId) + placedCalls(missed, internal, 100)), "");
  ASSERT_TRUE(server->restart()) << server->log();
  HttpClient client(server->http());
  auto qa = mustLogin(client, server->user("qa"));  // reads every CDR (decision 0028)
  const auto auth = bearer(qa.token);

  auto list = [&](const std::string& filter) {
    auto r = client.get("/api/v1/cdrs?" + kRange + filter, auth);
    EXPECT_EQ(r.status, 200) << filter << ": " << r.body;
    return bodyOf(r)["items"];
  };
  json items;
  ASSERT_TRUE(eventually([&] {
    items = list("");
    return items.size() == 3;
  })) << items
      << "\n"
      << server->log();
  // Newest first: the internal call, the missed one, the inbound call.
  EXPECT_EQ(items[0]["call_id"], internal);
  EXPECT_EQ(items[0]["direction"], "internal");
  EXPECT_EQ(items[0]["origin_agent"], "1001");
  EXPECT_EQ(items[0]["ani"], "8001");
  EXPECT_EQ(items[0]["dnis"], "1002");
  EXPECT_TRUE(items[0]["trunk"].is_null());
  EXPECT_EQ(items[0]["agents"], json::array({"1001", "1002"}));
  EXPECT_EQ(items[0]["outcome"], "answered");
  EXPECT_EQ(items[1]["call_id"], missed);
  EXPECT_EQ(items[1]["direction"], "outbound");
  EXPECT_EQ(items[1]["origin_agent"], "1001");
  EXPECT_EQ(items[1]["outcome"], "unanswered");
  EXPECT_EQ(items[1]["hung_up_by"], "callee");
  EXPECT_TRUE(items[1]["answered_at"].is_null());
  EXPECT_EQ(items[2]["call_id"], kCallId);
  EXPECT_EQ(items[2]["direction"], "inbound");
  EXPECT_TRUE(items[2]["origin_agent"].is_null());

  auto ids = [&](const std::string& filter) {
    std::vector<std::string> out;
    for (const auto& c : list("&" + filter)) out.push_back(c["call_id"].get<std::string>());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids("direction=outbound"), V{missed});
  EXPECT_EQ(ids("direction=internal"), V{internal});
  EXPECT_EQ(ids("direction=inbound"), V{kCallId});
  // 1001 answered the inbound call and placed the others, the missed one included.
  EXPECT_EQ(ids("agent=1001"), (V{internal, missed, kCallId}));
  EXPECT_EQ(ids("agent=1001&direction=outbound"), V{missed});
  EXPECT_EQ(ids("agent=1002"), V{internal});  // the colleague who answered

  auto one = client.get("/api/v1/cdrs/" + missed, auth);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(bodyOf(one)["direction"], "outbound");
}

TEST_P(CdrTest, BadFiltersAreClientErrorsNamingTheField) {
  auto server = startServer();
  if (!server) return;
  HttpClient client(server->http());
  auto qa = mustLogin(client, server->user("qa"));
  const auto auth = bearer(qa.token);
  EXPECT_EQ(client.get("/api/v1/cdrs", auth).status, 200) << "defaults: the last 24 hours";
  EXPECT_EQ(client.get("/api/v1/agent-state-intervals", auth).status, 200);

  struct Bad {
    std::string query;
    std::string field;
  };
  const std::vector<Bad> bad = {
      {"from=yesterday", "from"},
      {"to=2026-13-01T00:00:00Z", "to"},
      {"from=2026-11-26T09:00:00Z&to=2026-11-26T08:00:00Z", "to"},
      {"from=2026-10-01T00:00:00Z&to=2026-11-26T00:00:00Z", "to"},
      {"limit=0", "limit"},
      {"limit=501", "limit"},
      {"limit=abc", "limit"},
      {"caller=abc", "caller"},
      {"caller=*", "caller"},
      {"caller=" + urlEncode("13%"), "caller"},
      {"agent=" + urlEncode("a b"), "agent"},
      {"queue=" + std::string(65, 'q'), "queue"},
      {"queue=", "queue"},
      {"direction=sideways", "direction"},
      {"direction=", "direction"},
      {"direction=Inbound", "direction"},
      {"color=red", "color"},
  };
  for (const auto& b : bad) {
    auto r = client.get("/api/v1/cdrs?" + b.query, auth);
    EXPECT_TRUE(isError(r, 422, "validation_failed")) << b.query << ": " << r.body;
    EXPECT_EQ(errorFields(r), std::vector<std::string>{b.field}) << b.query;
  }
  for (const std::string& q :
       std::vector<std::string>{"cursor=zz", "cursor=" + std::string(2000, 'a'), "cursor=6869"}) {
    auto r = client.get("/api/v1/cdrs?" + q, auth);
    EXPECT_TRUE(isError(r, 400, "bad_request")) << q << ": " << r.body;
  }
  EXPECT_TRUE(isError(client.get("/api/v1/cdrs?from=%zz", auth), 400, "bad_request"));
  auto badInterval = client.get("/api/v1/agent-state-intervals?from=x&limit=-1", auth);
  EXPECT_TRUE(isError(badInterval, 422, "validation_failed")) << badInterval.body;
  EXPECT_EQ(errorFields(badInterval), (std::vector<std::string>{"from", "limit"}));
}

TEST_P(CdrTest, SupervisorsReadOnlyTheCallsAndIntervalsOfTheirTeams) {
  auto server = startServer();
  if (!server) return;
  ASSERT_TRUE(server->stop().has_value());
  // 1001 is in retail_1, 1007 in retail_2 (the seed); t_supervisor supervises retail_1, and
  // t_sup_none is a supervisor of no team.
  const std::string inB = "01a21847-0000-7000-8000-00000000cd11";
  const std::string abandoned = "01a21847-0000-7000-8000-00000000cd12";
  ASSERT_EQ(server->execSql(answeredCall(kCallId, "1001") + answeredCall(inB, "1007", 100) +
                            abandonedCall(abandoned, 200) +
                            "INSERT INTO team_supervisors (team_id, user_id) SELECT t.id, u.id "
                            "FROM teams t, users u WHERE t.code = 'retail_1' AND "
                            "u.username = 't_supervisor';"),
            "");
  const RoleUser none{"supervisor", "t_sup_none", "Secret-sup-none-5512"};
  auto [code, out] = server->admin({"create-user", "--username", none.username, "--role",
                                    "supervisor", "--display-name", "No team", "--password-stdin"},
                                   none.password + "\n");
  ASSERT_EQ(code, 0) << out;
  ASSERT_TRUE(server->restart()) << server->log();
  HttpClient client(server->http());
  const auto sup = bearer(mustLogin(client, server->user("supervisor")).token);
  const auto qa = bearer(mustLogin(client, server->user("qa")).token);
  const auto auditor = bearer(mustLogin(client, server->user("auditor")).token);
  const auto admin = bearer(mustLogin(client, server->user("admin")).token);
  const auto noTeam = bearer(mustLogin(client, none).token);

  using V = std::vector<std::string>;
  auto ids = [&](const HeaderList& auth, const std::string& path) {
    auto r = client.get(path, auth);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    const json body = bodyOf(r);  // the loop below must not range over a temporary's member
    V out;
    for (const auto& c : body["items"]) out.push_back(c["call_id"].get<std::string>());
    return out;
  };
  const std::string cdrs = "/api/v1/cdrs?" + kRange;
  V all;
  ASSERT_TRUE(eventually([&] {
    all = ids(qa, cdrs);
    return all.size() == 3;
  })) << ::testing::PrintToString(all)
      << "\n"
      << server->log();
  EXPECT_EQ(all, (V{abandoned, inB, kCallId}));
  // qa scores any call, auditors and admins read all.
  EXPECT_EQ(ids(auditor, cdrs), all);
  EXPECT_EQ(ids(admin, cdrs), all);
  EXPECT_EQ(ids(qa, cdrs + "&agent=1007"), V{inB});

  // The supervisor of retail_1: 1001's call, not 1007's, not the one nobody took.
  EXPECT_EQ(ids(sup, cdrs), V{kCallId});
  EXPECT_EQ(ids(sup, cdrs + "&agent=1001"), V{kCallId});
  EXPECT_EQ(ids(sup, cdrs + "&agent=1007"), V{});  // outside the teams: empty, not 403
  EXPECT_EQ(ids(sup, cdrs + "&limit=1"), V{kCallId});
  EXPECT_EQ(client.get("/api/v1/cdrs/" + kCallId, sup).status, 200);
  // Another team's CDR is as absent as one that never was.
  auto hidden = client.get("/api/v1/cdrs/" + inB, sup);
  EXPECT_TRUE(isError(hidden, 404, "not_found")) << hidden.body;
  auto missing = client.get("/api/v1/cdrs/01a21847-0000-7000-8000-00000000cdff", sup);
  EXPECT_EQ(bodyOf(hidden)["error"]["message"], bodyOf(missing)["error"]["message"]);
  EXPECT_TRUE(isError(client.get("/api/v1/cdrs/" + abandoned, sup), 404, "not_found"));
  EXPECT_EQ(client.get("/api/v1/cdrs/" + inB, qa).status, 200);
  EXPECT_EQ(client.get("/api/v1/cdrs/" + inB, auditor).status, 200);

  // A supervisor of no team sees nothing, and is not refused.
  EXPECT_EQ(ids(noTeam, cdrs), V{});
  EXPECT_TRUE(isError(client.get("/api/v1/cdrs/" + kCallId, noTeam), 404, "not_found"));

  // Agent state intervals: only the agents of the supervisor's teams.
  auto intervalAgents = [&](const HeaderList& auth, const std::string& filter) {
    auto r = client.get("/api/v1/agent-state-intervals?" + kRange + filter, auth);
    EXPECT_EQ(r.status, 200) << filter << ": " << r.body;
    const json body = bodyOf(r);
    std::set<std::string> agents;
    for (const auto& i : body["items"]) agents.insert(i["agent_no"].get<std::string>());
    return agents;
  };
  using S = std::set<std::string>;
  EXPECT_EQ(intervalAgents(qa, ""), (S{"1001", "1007"}));
  EXPECT_EQ(intervalAgents(auditor, "&agent=1007"), S{"1007"});
  EXPECT_EQ(intervalAgents(sup, ""), S{"1001"});
  EXPECT_EQ(intervalAgents(sup, "&agent=1001"), S{"1001"});
  EXPECT_EQ(intervalAgents(sup, "&agent=1007"), S{});
  EXPECT_EQ(intervalAgents(noTeam, ""), S{});
}

INSTANTIATE_TEST_SUITE_P(Backends, CdrTest, ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         backendName);

}  // namespace
}  // namespace bankcc::apitest
