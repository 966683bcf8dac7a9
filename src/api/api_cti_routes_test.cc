// SPDX-License-Identifier: Apache-2.0
// The CTI routes against a fake core: what reaches the core, and how its replies become HTTP.
#include "api/api_cti_routes.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "api/call.h"
#include "api/permissions.h"
#include "base/clock.h"

namespace bankcc::api {
namespace {

using callctl::CommandReply;
using json = nlohmann::json;

class FakeCore final : public CtiService {
 public:
  void submit(callctl::CommandRequest request, std::function<void(CommandReply)> done) override {
    requests.push_back(std::move(request));
    done(reply);
  }
  void liveCalls(std::function<void(std::vector<callctl::CallView>)> done) override { done(calls); }
  void agentStates(std::function<void(std::vector<callctl::AgentView>)> done) override {
    done(agents);
  }
  void snapshot(std::function<void(std::vector<callctl::CallView>, std::vector<callctl::AgentView>)>
                    done) override {
    done(calls, agents);
  }
  void routingExplanation(std::string callId,
                          std::function<void(std::optional<acd::Explanation>)> done) override {
    if (callId == "c1") return done(explanation);
    done(std::nullopt);
  }

  void desktopPresence(std::string agentNo, bool attached) override {
    presence.emplace_back(std::move(agentNo), attached);
  }
  void sessionLocked(std::string agentNo) override { locked.push_back(std::move(agentNo)); }

  CommandReply reply;
  std::vector<callctl::CommandRequest> requests;
  std::vector<std::pair<std::string, bool>> presence;
  std::vector<std::string> locked;
  std::vector<callctl::CallView> calls;
  std::vector<callctl::AgentView> agents;
  acd::Explanation explanation;
};

class CtiRoutesTest : public ::testing::Test {
 protected:
  CtiRoutesTest() {
    registerCtiRoutes(router_, &cti_);
    cti_.store(&core_);
    principal_.username = "li.na";
    principal_.agentNo = "1001";
    principal_.roles = {"agent"};
    services_.clock = &clock_;
  }

  /// Runs `method path` with `body` and returns the answer.
  Response call(const std::string& method, const std::string& path, const std::string& body = {}) {
    Request request;
    request.method = method;
    request.path = path;
    request.body = body;
    if (!body.empty()) request.headers.emplace_back("content-type", "application/json");
    auto matched = router_.match(method, path);
    auto* match = std::get_if<RouteMatch>(&matched);
    EXPECT_NE(match, nullptr) << method << " " << path;
    if (match == nullptr) return {};
    EXPECT_TRUE(match->route->asyncHandler) << path;
    Call c(request, *match->route, match->params, &principal_, nullptr, services_, "req-1");
    std::optional<Response> answer;
    match->route->asyncHandler(c, [&](Response r) { answer = std::move(r); });
    EXPECT_TRUE(answer.has_value()) << "no answer for " << path;
    return answer.value_or(Response{});
  }

  static json bodyOf(const Response& r) { return json::parse(r.body); }

  base::ManualClock clock_;
  FakeCore core_;
  std::atomic<CtiService*> cti_{nullptr};
  Router router_;
  Principal principal_;
  CallServices services_;
};

TEST_F(CtiRoutesTest, LoginReachesTheCoreWithTheActorAndTheClientsRequestId) {
  auto r =
      call("POST", "/api/v1/agents/1001/session", R"({"extension":"8001","request_id":"desk-42"})");
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(bodyOf(r)["request_id"], "desk-42");
  EXPECT_EQ(bodyOf(r)["replay"], false);
  ASSERT_EQ(core_.requests.size(), 1u);
  const auto& sent = core_.requests[0];
  EXPECT_EQ(sent.requestId, "desk-42");
  EXPECT_EQ(sent.actor.username, "li.na");
  EXPECT_EQ(sent.actor.agentNo, "1001");
  EXPECT_FALSE(sent.actor.supervisor);
  const auto* login = std::get_if<callctl::Login>(&sent.command);
  ASSERT_NE(login, nullptr);
  EXPECT_EQ(login->agentNo, "1001");
  EXPECT_EQ(login->extension, "8001");
}

TEST_F(CtiRoutesTest, ALoginMayAskForAPersistentLineAndTheLineHasItsOwnCommands) {
  EXPECT_EQ(
      call("POST", "/api/v1/agents/1001/session", R"({"extension":"8001","persistent":"yes"})")
          .status,
      422);
  ASSERT_EQ(call("POST", "/api/v1/agents/1001/session", R"({"extension":"8001","persistent":true})")
                .status,
            202);
  ASSERT_EQ(core_.requests.size(), 1u);
  EXPECT_TRUE(std::get<callctl::Login>(core_.requests[0].command).persistent);
  ASSERT_EQ(call("POST", "/api/v1/agents/1001/session", R"({"extension":"8001"})").status, 202);
  EXPECT_FALSE(std::get<callctl::Login>(core_.requests[1].command).persistent);

  ASSERT_EQ(call("POST", "/api/v1/agents/1001/line").status, 202);
  ASSERT_EQ(call("DELETE", "/api/v1/agents/1001/line").status, 202);
  ASSERT_EQ(core_.requests.size(), 4u);
  const auto& up = std::get<callctl::SetLine>(core_.requests[2].command);
  EXPECT_EQ(up.agentNo, "1001");
  EXPECT_TRUE(up.up);
  EXPECT_FALSE(std::get<callctl::SetLine>(core_.requests[3].command).up);
}

TEST_F(CtiRoutesTest, ACommandWithoutARequestIdGetsOneFromTheServer) {
  auto r = call("DELETE", "/api/v1/agents/1001/session");
  EXPECT_EQ(r.status, 202) << r.body;
  ASSERT_EQ(core_.requests.size(), 1u);
  EXPECT_EQ(bodyOf(r)["request_id"], core_.requests[0].requestId);
  EXPECT_FALSE(core_.requests[0].requestId.empty());
  EXPECT_TRUE(std::holds_alternative<callctl::Logout>(core_.requests[0].command));
}

TEST_F(CtiRoutesTest, StateNeedsAReasonForNotReadyAndNoneForReady) {
  auto r = call("PUT", "/api/v1/agents/1001/state", R"({"state":"not_ready"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(bodyOf(r)["error"]["fields"][0]["field"], "reason");
  r = call("PUT", "/api/v1/agents/1001/state", R"({"state":"ready","reason":"break"})");
  EXPECT_EQ(r.status, 422) << r.body;
  r = call("PUT", "/api/v1/agents/1001/state", R"({"state":"sleeping"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(core_.requests.empty());

  r = call("PUT", "/api/v1/agents/1001/state", R"({"state":"not_ready","reason":"break"})");
  EXPECT_EQ(r.status, 202) << r.body;
  ASSERT_EQ(core_.requests.size(), 1u);
  const auto* set = std::get_if<callctl::SetState>(&core_.requests[0].command);
  ASSERT_NE(set, nullptr);
  EXPECT_FALSE(set->ready);
  EXPECT_EQ(set->reason, "break");
}

TEST_F(CtiRoutesTest, BadBodiesAreRefusedBeforeTheCore) {
  EXPECT_EQ(call("POST", "/api/v1/agents/1001/session", "{").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/agents/1001/session", "[]").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/agents/1001/session", R"({"extension":8001})").status, 422);
  EXPECT_EQ(call("POST", "/api/v1/agents/1001/session",
                 R"({"extension":"8001","request_id":"has space"})")
                .status,
            422);
  EXPECT_EQ(
      call("POST", "/api/v1/agents/1001/session", R"({"extension":"8001","unknown":1})").status,
      422);
  EXPECT_EQ(call("POST", "/api/v1/agents/1001/wrapup/extend", R"({"seconds":100000})").status, 422);
  EXPECT_TRUE(core_.requests.empty());
}

TEST_F(CtiRoutesTest, TheCoresRefusalsBecomeHttpErrorsWithItsReason) {
  struct Case {
    CommandReply::Status status;
    int http;
    const char* code;
  };
  for (const auto& c : {Case{CommandReply::Status::Forbidden, 403, "forbidden"},
                        Case{CommandReply::Status::NotFound, 404, "not_found"},
                        Case{CommandReply::Status::Conflict, 409, "conflict"},
                        Case{CommandReply::Status::Invalid, 422, "validation_failed"}}) {
    core_.reply = CommandReply{c.status, "wrong_state", "the agent is on a call", false};
    auto r = call("POST", "/api/v1/calls/c9/hangup", R"({"request_id":"r-7"})");
    EXPECT_EQ(r.status, c.http);
    const auto body = bodyOf(r);
    EXPECT_EQ(body["error"]["code"], c.code);
    EXPECT_EQ(body["error"]["reason"], "wrong_state");
    EXPECT_EQ(body["error"]["request_id"], "r-7");
  }
}

TEST_F(CtiRoutesTest, AReplayedRequestSaysSo) {
  core_.reply.replay = true;
  auto r = call("POST", "/api/v1/calls/c9/answer", R"({"request_id":"r-8"})");
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(bodyOf(r)["replay"], true);
}

TEST_F(CtiRoutesTest, MuteAndUnmuteBuildOneCommand) {
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/mute").status, 202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/unmute", "{}").status, 202);
  ASSERT_EQ(core_.requests.size(), 2u);
  const auto& mute = std::get<callctl::MuteCall>(core_.requests[0].command);
  EXPECT_EQ(mute.callId, "c9");
  EXPECT_TRUE(mute.muted);
  EXPECT_FALSE(std::get<callctl::MuteCall>(core_.requests[1].command).muted);
}

TEST_F(CtiRoutesTest, CallVerbsBuildTheirCommands) {
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/hold").status, 202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/retrieve", "{}").status, 202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/pause_recording").status, 202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/resume_recording").status, 202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/send_dtmf", R"({"digits":"123#"})").status, 202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/blind_transfer",
                 R"({"target_type":"number","target":"4008200588"})")
                .status,
            202);
  EXPECT_EQ(
      call("POST", "/api/v1/agents/1002/monitor", R"({"mode":"barge","extension":"8101"})").status,
      202);
  EXPECT_EQ(call("DELETE", "/api/v1/agents/1002/monitor").status, 202);
  EXPECT_EQ(
      call("POST", "/api/v1/calls/c9/blind_transfer", R"({"target_type":"agent","target":"1002"})")
          .status,
      202);
  ASSERT_EQ(core_.requests.size(), 9u);
  const auto& toAgent = std::get<callctl::BlindTransfer>(core_.requests[8].command);
  EXPECT_EQ(toAgent.targetType, callctl::BlindTransfer::Target::Agent);
  EXPECT_EQ(toAgent.target, "1002");
  EXPECT_EQ(std::get<callctl::HoldCall>(core_.requests[0].command).callId, "c9");
  EXPECT_TRUE(std::holds_alternative<callctl::RetrieveCall>(core_.requests[1].command));
  EXPECT_TRUE(std::holds_alternative<callctl::PauseCallRecording>(core_.requests[2].command));
  EXPECT_TRUE(std::holds_alternative<callctl::ResumeCallRecording>(core_.requests[3].command));
  EXPECT_EQ(std::get<callctl::SendDigits>(core_.requests[4].command).digits, "123#");
  const auto& xfer = std::get<callctl::BlindTransfer>(core_.requests[5].command);
  EXPECT_EQ(xfer.targetType, callctl::BlindTransfer::Target::Number);
  EXPECT_EQ(xfer.target, "4008200588");
  const auto& mon = std::get<callctl::MonitorCall>(core_.requests[6].command);
  EXPECT_EQ(mon.agentNo, "1002");
  EXPECT_EQ(mon.mode, telephony::MonitorMode::Barge);
  EXPECT_EQ(mon.extension, "8101");
  EXPECT_EQ(std::get<callctl::StopMonitoring>(core_.requests[7].command).agentNo, "1002");
}

TEST_F(CtiRoutesTest, BadVerbBodiesAreRefusedBeforeTheCore) {
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/send_dtmf", "{}").status, 422);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/send_dtmf", R"({"digits":12})").status, 422);
  EXPECT_EQ(
      call("POST", "/api/v1/calls/c9/blind_transfer", R"({"target_type":"team","target":"a"})")
          .status,
      422);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/blind_transfer", R"({"target_type":"queue"})").status,
            422);
  EXPECT_EQ(call("POST", "/api/v1/agents/1002/monitor", R"({"mode":"spy"})").status, 422);
  EXPECT_EQ(call("POST", "/api/v1/agents/1002/monitor", "").status, 400);  // a body is needed
  EXPECT_TRUE(core_.requests.empty());
}

TEST_F(CtiRoutesTest, InterceptTakesTheCallForTheActorsOwnAgentUnlessNamed) {
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/intercept").status, 202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/intercept", R"({"agent_no":"1002"})").status, 202);
  ASSERT_EQ(core_.requests.size(), 2u);
  const auto& mine = std::get<callctl::InterceptCall>(core_.requests[0].command);
  EXPECT_EQ(mine.callId, "c9");
  EXPECT_EQ(mine.agentNo, "1001");
  EXPECT_EQ(std::get<callctl::InterceptCall>(core_.requests[1].command).agentNo, "1002");
  // A user who is no agent names who takes the call.
  principal_.agentNo.clear();
  const Response r = call("POST", "/api/v1/calls/c9/intercept", "{}");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("agent_no"), std::string::npos);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/intercept", R"({"agent_no":7})").status, 422);
  EXPECT_EQ(core_.requests.size(), 2u);
}

TEST_F(CtiRoutesTest, ConsultAndConferenceVerbsBuildTheirCommands) {
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/consult",
                 R"({"target_type":"agent","target":"1002","request_id":"desk-7"})")
                .status,
            202);
  EXPECT_EQ(
      call("POST", "/api/v1/calls/c9/consult", R"({"target_type":"number","target":"4008200588"})")
          .status,
      202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/cancel_consult").status, 202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/transfer_complete", "{}").status, 202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/conference").status, 202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/alternate").status, 202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/drop_party", R"({"request_id":"desk-8"})").status, 202);
  ASSERT_EQ(core_.requests.size(), 7u);
  const auto& toAgent = std::get<callctl::Consult>(core_.requests[0].command);
  EXPECT_EQ(toAgent.callId, "c9");
  EXPECT_EQ(toAgent.targetType, callctl::Consult::Target::Agent);
  EXPECT_EQ(toAgent.target, "1002");
  EXPECT_EQ(core_.requests[0].requestId, "desk-7");
  EXPECT_EQ(core_.requests[0].actor.agentNo, "1001");
  const auto& toNumber = std::get<callctl::Consult>(core_.requests[1].command);
  EXPECT_EQ(toNumber.targetType, callctl::Consult::Target::Number);
  EXPECT_EQ(toNumber.target, "4008200588");
  EXPECT_EQ(std::get<callctl::CancelConsult>(core_.requests[2].command).callId, "c9");
  EXPECT_EQ(std::get<callctl::CompleteTransfer>(core_.requests[3].command).callId, "c9");
  EXPECT_EQ(std::get<callctl::Conference>(core_.requests[4].command).callId, "c9");
  EXPECT_EQ(std::get<callctl::Alternate>(core_.requests[5].command).callId, "c9");
  EXPECT_EQ(std::get<callctl::DropParty>(core_.requests[6].command).callId, "c9");
  EXPECT_EQ(core_.requests[6].requestId, "desk-8");
  EXPECT_EQ(
      call("POST", "/api/v1/calls/c9/consult", R"({"target_type":"queue","target":"cards_zh"})")
          .status,
      202);
  const auto* queued = std::get_if<callctl::Consult>(&core_.requests.back().command);
  ASSERT_NE(queued, nullptr);
  EXPECT_EQ(queued->targetType, callctl::Consult::Target::Queue);
  EXPECT_EQ(queued->target, "cards_zh");
}

TEST_F(CtiRoutesTest, MakeCallBuildsItsCommandAndAnswersWithTheNewCall) {
  core_.reply.callId = "c-new";
  auto r = call("POST", "/api/v1/agents/1001/calls",
                R"({"request_id":"mk-1","target_type":"number","target":"13900000000"})");
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(bodyOf(r)["call_id"], "c-new");
  EXPECT_EQ(bodyOf(r)["request_id"], "mk-1");
  EXPECT_EQ(call("POST", "/api/v1/agents/1001/calls", R"({"target_type":"agent","target":"1002"})")
                .status,
            202);
  EXPECT_EQ(
      call("POST", "/api/v1/agents/1001/calls", R"({"target_type":"extension","target":"8101"})")
          .status,
      202);
  ASSERT_EQ(core_.requests.size(), 3u);
  const auto& number = std::get<callctl::MakeCall>(core_.requests[0].command);
  EXPECT_EQ(number.agentNo, "1001");
  EXPECT_EQ(number.targetType, callctl::MakeCall::Target::Number);
  EXPECT_EQ(number.target, "13900000000");
  EXPECT_EQ(std::get<callctl::MakeCall>(core_.requests[1].command).targetType,
            callctl::MakeCall::Target::Agent);
  EXPECT_EQ(std::get<callctl::MakeCall>(core_.requests[2].command).targetType,
            callctl::MakeCall::Target::Extension);

  // Other commands' replies carry no call id.
  core_.reply.callId.clear();
  EXPECT_FALSE(bodyOf(call("POST", "/api/v1/calls/c9/hold")).contains("call_id"));

  // Bad bodies never reach the core.
  for (const char* body :
       {R"({"target_type":"queue","target":"retail"})", R"({"target_type":"number"})",
        R"({"target":"139"})", R"({"target_type":"number","target":123})", "[]", "not json", ""}) {
    const auto bad = call("POST", "/api/v1/agents/1001/calls", body);
    EXPECT_TRUE(bad.status == 400 || bad.status == 422) << body << " -> " << bad.status;
  }
  EXPECT_EQ(core_.requests.size(), 4u);  // the hold
}

TEST_F(CtiRoutesTest, SetCallDataBuildsItsCommand) {
  auto r = call("POST", "/api/v1/calls/c9/set_call_data",
                R"({"request_id":"d-1","data":{"case_no":"A-1","topic":"","branch":"杭州"}})");
  EXPECT_EQ(r.status, 202) << r.body;
  ASSERT_EQ(core_.requests.size(), 1u);
  const auto& set = std::get<callctl::SetCallData>(core_.requests[0].command);
  EXPECT_EQ(set.callId, "c9");
  EXPECT_EQ(set.data, (std::map<std::string, std::string>{
                          {"branch", "杭州"}, {"case_no", "A-1"}, {"topic", ""}}));
  for (const char* body : {R"({"data":{}})", R"({"data":[]})", R"({"data":{"k":1}})",
                           R"({"data":"x"})", R"({})", R"({"data":{"k":null}})", "nope"}) {
    const auto bad = call("POST", "/api/v1/calls/c9/set_call_data", body);
    EXPECT_TRUE(bad.status == 400 || bad.status == 422) << body << " -> " << bad.status;
  }
  EXPECT_EQ(core_.requests.size(), 1u);
}

TEST_F(CtiRoutesTest, BadConsultBodiesAreRefusedBeforeTheCore) {
  auto r = call("POST", "/api/v1/calls/c9/consult", R"({"target_type":"agent"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(bodyOf(r)["error"]["code"], "validation_failed");
  EXPECT_EQ(bodyOf(r)["error"]["fields"][0]["field"], "target");
  r = call("POST", "/api/v1/calls/c9/consult", R"({"target_type":"agent","target":""})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(bodyOf(r)["error"]["fields"][0]["field"], "target");
  r = call("POST", "/api/v1/calls/c9/consult", R"({"target_type":"team","target":"retail_zh"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(bodyOf(r)["error"]["fields"][0]["field"], "target_type");
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/consult", R"({"target":"1002"})").status, 422);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/consult", "not json").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/consult", "").status, 400);  // a body is needed
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/conference", R"({"target":"1002"})").status, 422);
  EXPECT_TRUE(core_.requests.empty());
}

TEST_F(CtiRoutesTest, ConsultAndConferenceVerbsNeedCtiControl) {
  for (const char* verb : {"consult", "cancel_consult", "transfer_complete", "conference",
                           "alternate", "drop_party"}) {
    const std::string path = std::string("/api/v1/calls/c9/") + verb;
    auto matched = router_.match("POST", path);
    auto* match = std::get_if<RouteMatch>(&matched);
    ASSERT_NE(match, nullptr) << path;
    EXPECT_EQ(match->route->permission, Permission::CtiControl) << path;
  }
  // Who lacks it gets 403 from the server before the handler runs (auditors, QA, planners).
  EXPECT_TRUE(permissionsOfRole("agent").test(static_cast<std::size_t>(Permission::CtiControl)));
  EXPECT_FALSE(permissionsOfRole("auditor").test(static_cast<std::size_t>(Permission::CtiControl)));
}

TEST_F(CtiRoutesTest, ConsultVerbsAreAuditedOnlyAsInterventions) {
  std::vector<std::function<void(soci::session*)>> jobs;
  services_.runOnWorker = [&](std::function<void(soci::session*)> job) {
    jobs.push_back(std::move(job));
    return true;
  };
  store::AuditKey key{};
  services_.auditKey = &key;
  // The agent on their own call: answered at once, nothing audited.
  EXPECT_EQ(
      call("POST", "/api/v1/calls/c9/consult", R"({"target_type":"agent","target":"1002"})").status,
      202);
  EXPECT_EQ(call("POST", "/api/v1/calls/c9/drop_party").status, 202);
  EXPECT_TRUE(jobs.empty());
  // A supervisor's consult on an agent's call: the answer waits for the audit record.
  core_.reply.intervention = true;
  Request request;
  request.method = "POST";
  request.path = "/api/v1/calls/c9/consult";
  request.body = R"({"target_type":"number","target":"4008200588"})";
  auto matched = router_.match(request.method, request.path);
  auto& match = std::get<RouteMatch>(matched);
  Call c(request, *match.route, match.params, &principal_, nullptr, services_, "req-1");
  std::optional<Response> answer;
  match.route->asyncHandler(c, [&](Response r) { answer = std::move(r); });
  EXPECT_FALSE(answer.has_value());
  ASSERT_EQ(jobs.size(), 1u);
  jobs[0](nullptr);  // the database is down: logged, and the answer still goes out
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 202);
}

TEST_F(CtiRoutesTest, InterventionsAndRecordingPausesGoToTheAuditWorkerBeforeTheAnswer) {
  std::vector<std::function<void(soci::session*)>> jobs;
  services_.runOnWorker = [&](std::function<void(soci::session*)> job) {
    jobs.push_back(std::move(job));
    return true;
  };
  store::AuditKey key{};
  services_.auditKey = &key;
  auto pending = [&](const std::string& method, const std::string& path, const std::string& body) {
    Request request;
    request.method = method;
    request.path = path;
    request.body = body;
    auto matched = router_.match(method, path);
    auto& match = std::get<RouteMatch>(matched);
    Call c(request, *match.route, match.params, &principal_, nullptr, services_, "req-1");
    auto answer = std::make_shared<std::optional<Response>>();
    match.route->asyncHandler(c, [answer](Response r) { *answer = std::move(r); });
    return answer;
  };
  // The agent on their own call: no audit, answered at once.
  auto own = pending("POST", "/api/v1/calls/c9/hold", "");
  EXPECT_TRUE(own->has_value());
  EXPECT_TRUE(jobs.empty());
  // A recording pause is audited whoever asks: the answer waits for the audit job.
  auto pause = pending("POST", "/api/v1/calls/c9/pause_recording", "");
  EXPECT_FALSE(pause->has_value());
  ASSERT_EQ(jobs.size(), 1u);
  jobs[0](nullptr);  // the database is down: logged, and the answer still goes out
  ASSERT_TRUE(pause->has_value());
  EXPECT_EQ((*pause)->status, 202);
  // The core says it was an intervention (a supervisor's hold of an agent's call).
  core_.reply.intervention = true;
  auto forced = pending("POST", "/api/v1/calls/c9/hold", "");
  EXPECT_FALSE(forced->has_value());
  ASSERT_EQ(jobs.size(), 2u);
  jobs[1](nullptr);
  EXPECT_TRUE(forced->has_value());
  // An intercept is audited even when the core does not call it an intervention.
  core_.reply.intervention = false;
  auto intercept = pending("POST", "/api/v1/calls/c9/intercept", "");
  EXPECT_FALSE(intercept->has_value());
  ASSERT_EQ(jobs.size(), 3u);
  jobs[2](nullptr);
  EXPECT_TRUE(intercept->has_value());
  // A replay is not audited again.
  core_.reply.replay = true;
  auto replay = pending("POST", "/api/v1/calls/c9/hold", "");
  EXPECT_TRUE(replay->has_value());
  EXPECT_EQ(jobs.size(), 3u);
}

TEST_F(CtiRoutesTest, LiveViewsAndExplanations) {
  callctl::CallView c;
  c.callId = "c1";
  c.ani = "13800000000";
  c.dnis = "95588";
  c.queue = "retail_zh";
  c.phase = callctl::CallView::Phase::Offered;
  c.agentNo = "1001";
  core_.calls = {c};
  auto r = call("GET", "/api/v1/calls");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(bodyOf(r)["items"][0]["phase"], "offered");
  EXPECT_EQ(bodyOf(r)["items"][0]["answered_at"], nullptr);
  EXPECT_EQ(bodyOf(r)["items"][0]["consult_call_id"], nullptr);
  EXPECT_EQ(bodyOf(r)["items"][0]["party_stage"], nullptr);
  EXPECT_EQ(bodyOf(r)["items"][0]["party_held"], nullptr);
  EXPECT_EQ(bodyOf(r)["items"][0]["party_queue"], nullptr);

  c.phase = callctl::CallView::Phase::Connected;
  c.held = true;
  c.consultCallId = "c1-consult";
  c.partyType = "agent";
  c.party = "1002";
  c.partyStage = "consulting";
  c.partyHeld = false;
  c.partyQueue = "cards";
  core_.calls = {c};
  r = call("GET", "/api/v1/calls");
  ASSERT_EQ(r.status, 200);
  const json item = bodyOf(r)["items"][0];
  EXPECT_EQ(item["consult_call_id"], "c1-consult");
  EXPECT_EQ(item["party_type"], "agent");
  EXPECT_EQ(item["party"], "1002");
  EXPECT_EQ(item["party_stage"], "consulting");
  EXPECT_EQ(item["party_held"], false);
  EXPECT_EQ(item["party_queue"], "cards");
  EXPECT_EQ(item["held"], true);
  EXPECT_EQ(item["muted"], false);

  callctl::AgentView a;
  a.agentNo = "1001";
  a.state = events::AgentState::NotReady;
  a.reason = "break";
  core_.agents = {a};
  r = call("GET", "/api/v1/agent-states");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(bodyOf(r)["items"][0]["state"], "not_ready");
  EXPECT_EQ(bodyOf(r)["items"][0]["reason"], "break");

  core_.explanation.rule = "longest_idle in queue retail_zh";
  core_.explanation.candidates.push_back({"1001", "retail_zh", true, true, "idle 42 s"});
  r = call("GET", "/api/v1/routing/decisions/c1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(bodyOf(r)["rule"], "longest_idle in queue retail_zh");
  EXPECT_EQ(bodyOf(r)["candidates"][0]["chosen"], true);
  EXPECT_EQ(call("GET", "/api/v1/routing/decisions/c2").status, 404);
}

TEST_F(CtiRoutesTest, WithoutACoreEveryRouteAnswers503) {
  cti_.store(nullptr);
  EXPECT_EQ(call("POST", "/api/v1/agents/1001/session", R"({"extension":"8001"})").status, 503);
  EXPECT_EQ(call("GET", "/api/v1/calls").status, 503);
  EXPECT_EQ(call("GET", "/api/v1/routing/decisions/c1").status, 503);
}

}  // namespace
}  // namespace bankcc::api
