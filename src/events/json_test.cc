// SPDX-License-Identifier: Apache-2.0
#include "events/json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

namespace bankcc::events {
namespace {

std::string jsonQuoted(std::string_view s) {
  std::string out;
  appendJsonString(out, s);
  return out;
}

TEST(EventTypeTest, NamesAreStableAndUnique) {
  EXPECT_EQ(typeName(SystemStarted{}), "system.started");
  EXPECT_EQ(typeName(SystemStopping{}), "system.stopping");
  EXPECT_EQ(typeName(AgentStateChanged{}), "agent.state_changed");
  EXPECT_EQ(typeName(ConfigChanged{}), "config.changed");
  EXPECT_EQ(typeName(CallArrived{}), "call.arrived");
  EXPECT_EQ(typeName(QueueJoined{}), "queue.joined");
  EXPECT_EQ(typeName(QueueLeft{}), "queue.left");
  EXPECT_EQ(typeName(RoutingDecided{}), "routing.decided");
  EXPECT_EQ(typeName(CallOffered{}), "call.offered");
  EXPECT_EQ(typeName(CallAnswered{}), "call.answered");
  EXPECT_EQ(typeName(CallAgentLost{}), "call.agent_lost");
  EXPECT_EQ(typeName(RecordingStarted{}), "recording.started");
  EXPECT_EQ(typeName(RecordingStopped{}), "recording.stopped");
  EXPECT_EQ(typeName(CallEnded{}), "call.ended");
  EXPECT_EQ(typeName(WrapUpCompleted{}), "wrapup.completed");
  EXPECT_EQ(typeName(WrapUpExtended{}), "wrapup.extended");
  EXPECT_EQ(typeName(AgentNextStateSet{}), "agent.next_state_set");
  EXPECT_EQ(typeName(CallHeld{}), "call.held");
  EXPECT_EQ(typeName(CallRetrieved{}), "call.retrieved");
  EXPECT_EQ(typeName(CallTransferred{}), "call.transferred");
  EXPECT_EQ(typeName(RecordingPaused{}), "recording.paused");
  EXPECT_EQ(typeName(RecordingResumed{}), "recording.resumed");
  EXPECT_EQ(typeName(SupervisorMonitorStarted{}), "supervisor.monitor_started");
  EXPECT_EQ(typeName(SupervisorMonitorEnded{}), "supervisor.monitor_ended");
  EXPECT_EQ(typeName(CallConsultStarted{}), "call.consult_started");
  EXPECT_EQ(typeName(CallConsultAnswered{}), "call.consult_answered");
  EXPECT_EQ(typeName(CallConsultEnded{}), "call.consult_ended");
  EXPECT_EQ(typeName(CallConferenced{}), "call.conferenced");
  EXPECT_EQ(typeName(CallPartyLeft{}), "call.party_left");
  EXPECT_EQ(typeName(CallMuted{}), "call.muted");
  EXPECT_EQ(typeName(CallUnmuted{}), "call.unmuted");
  std::set<std::string_view> names;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (names.insert(std::variant_alternative_t<I, Payload>::kType), ...);
  }
  (std::make_index_sequence<std::variant_size_v<Payload>>{});
  EXPECT_EQ(names.size(), std::variant_size_v<Payload>);
}

TEST(AgentStateTest, NamesRoundTrip) {
  for (auto s : {AgentState::LoggedOut, AgentState::NotReady, AgentState::Ready,
                 AgentState::Reserved, AgentState::OnCall, AgentState::WrapUp}) {
    EXPECT_EQ(parseAgentState(agentStateName(s)), s);
  }
  EXPECT_EQ(agentStateName(AgentState::WrapUp), "wrap_up");
  EXPECT_EQ(parseAgentState("Ready"), std::nullopt);
}

TEST(JsonStringTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(jsonQuoted("plain"), R"("plain")");
  EXPECT_EQ(jsonQuoted(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
  EXPECT_EQ(jsonQuoted("a\nb\tc\rd\be\ff"), R"("a\nb\tc\rd\be\ff")");
  EXPECT_EQ(jsonQuoted(std::string_view("\x01\x1f\x00", 3)), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(jsonQuoted("\x7f"), "\"\x7f\"");  // DEL is valid in JSON strings
  EXPECT_EQ(jsonQuoted(""), R"("")");
}

TEST(JsonStringTest, KeepsChineseTextAsUtf8) {
  EXPECT_EQ(jsonQuoted("示忙(小休)"), "\"示忙(小休)\"");
  EXPECT_EQ(jsonQuoted("话后整理 \"完成\""), "\"话后整理 \\\"完成\\\"\"");
  EXPECT_EQ(jsonQuoted("😀 U+1F600"), "\"😀 U+1F600\"");
}

TEST(JsonStringTest, ReplacesInvalidUtf8) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(jsonQuoted("a\xff"
                       "b"),
            "\"a" + r + "b\"");
  EXPECT_EQ(jsonQuoted("\xC0\xAF"), "\"" + r + r + "\"");                  // overlong '/'
  EXPECT_EQ(jsonQuoted("\xED\xA0\x80"), "\"" + r + r + r + "\"");          // surrogate half
  EXPECT_EQ(jsonQuoted("\xE4\xB8"), "\"" + r + r + "\"");                  // cut short
  EXPECT_EQ(jsonQuoted("\xF4\x90\x80\x80"), "\"" + r + r + r + r + "\"");  // > U+10FFFF
  // Whatever goes in, nlohmann accepts what comes out.
  const std::string all = [] {
    std::string s;
    for (int c = 0; c < 256; ++c) s += static_cast<char>(c);
    return s;
  }();
  EXPECT_TRUE(nlohmann::json::accept(jsonQuoted(all)));
}

TEST(CleanTextTest, DetectsAndRepairsBadText) {
  EXPECT_TRUE(isCleanText("agent 1001 工号"));
  EXPECT_FALSE(isCleanText(std::string_view("a\0b", 3)));
  EXPECT_FALSE(isCleanText("a\xff"));
  std::string out;
  appendCleanText(out, std::string_view("a\0b\xff中", 7));
  EXPECT_EQ(out, "ab\xEF\xBF\xBD中");
  EXPECT_TRUE(isCleanText(out));
}

TEST(PayloadJsonTest, WritesSnakeCaseFields) {
  EXPECT_EQ(payloadToJson(SystemStarted{"0.1.0", "node-1", 4242}),
            R"({"version":"0.1.0","node":"node-1","pid":4242})");
  EXPECT_EQ(payloadToJson(SystemStopping{"signal SIGTERM"}), R"({"reason":"signal SIGTERM"})");
  EXPECT_EQ(
      payloadToJson(AgentStateChanged{"1001", AgentState::Ready, AgentState::NotReady, "break"}),
      R"({"agent_no":"1001","from":"ready","to":"not_ready","reason":"break"})");
  EXPECT_EQ(payloadToJson(ConfigChanged{"queue", "retail_zh", "updated", 3, "admin"}),
            R"({"kind":"queue","code":"retail_zh","change":"updated","version":3,)"
            R"("actor":"admin"})");
  EXPECT_EQ(payloadToJson(CallArrived{"13800000000", "95588", "trunk-1"}),
            R"({"ani":"13800000000","dnis":"95588","trunk":"trunk-1"})");
  EXPECT_EQ(payloadToJson(QueueLeft{"retail_zh", "answered", 12'345}),
            R"({"queue":"retail_zh","reason":"answered","waited_ms":12345})");
  EXPECT_EQ(payloadToJson(CallEnded{"normal", "caller", 61'000}),
            R"({"cause":"normal","hung_up_by":"caller","duration_ms":61000})");
  EXPECT_EQ(payloadToJson(RecordingStopped{"r1", 1500, "/data/r1.enc", false}),
            R"({"recording_id":"r1","duration_ms":1500,"file":"/data/r1.enc","complete":false})");
  EXPECT_EQ(payloadToJson(WrapUpCompleted{"1001", "billing", 42}),
            R"({"agent_no":"1001","code":"billing","notes_length":42})");
  EXPECT_EQ(payloadToJson(CallOffered{.agentNo = "1001",
                                      .extension = "8001",
                                      .queue = "retail_zh",
                                      .ani = "13800000000",
                                      .waitMs = 3000,
                                      .tier = "vip",
                                      .priority = 10}),
            R"({"agent_no":"1001","extension":"8001","queue":"retail_zh","ani":"13800000000",)"
            R"("wait_ms":3000,"tier":"vip","priority":10,"customer_id":"","ivr_path":"",)"
            R"("collected":"","desktop_answer":false,"line":false})");
}

TEST(PayloadJsonTest, RoundTripsEveryEventIncludingChineseText) {
  const std::vector<Payload> payloads = {
      SystemStarted{"0.1.0", "节点-1 \"主\"", -1},
      SystemStopping{"管理员请求\n\tline 2 \\ end"},
      AgentStateChanged{"工号1001", AgentState::WrapUp, AgentState::NotReady, "小休"},
      ConfigChanged{"agent", "1001", "disabled", 9'000'000'000, "张伟.admin"},
      CallArrived{"13800000000", "95588", "中继-1"},
      QueueJoined{"retail_zh", 1000, 3},
      QueueLeft{"retail_zh", "abandoned", 42'000},
      RoutingDecided{"retail_zh", "1001", "longest_idle in queue retail_zh", "call_joined"},
      CallOffered{"1001", "8001", "retail_zh", "13800000000", 5'000, "vip", 10, "c-42",
                  "main>balance", "lang=zh", true},
      CallAnswered{"1001", "retail_zh", 7'000},
      CallAgentLost{"1001", "media_timeout", 93'000},
      RecordingStarted{"0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887"},
      RecordingStopped{"0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887", 60'000, "/录音/x.enc", true},
      CallEnded{"media_timeout", "agent", 120'000},
      WrapUpCompleted{"1001", "投诉", 2'000},
      WrapUpExtended{"1001", 30'000, 41'000},
      AgentNextStateSet{"1001", AgentState::NotReady, "break"},
      CallHeld{"1001"},
      CallRetrieved{"1001", 12'000},
      CallTransferred{"1001", "blind", "queue", "credit_card", 65'000},
      RecordingPaused{"0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887", "1001"},
      RecordingResumed{"0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887", "1001", 8'000},
      SupervisorMonitorStarted{"王芳.sup", "1001", "whisper", "listen", "8101"},
      SupervisorMonitorEnded{"王芳.sup", "1001", "call_ended", 30'000},
      CallConsultStarted{"0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887", "1001", "agent", "1002"},
      CallConsultAnswered{"0192f0c4-7c1e-7a3b-8f2d-3c4b5a697887", "1001", "1002", 4'000},
      CallConsultEnded{"0192f0c4-7c1e-7a3b-8f2d-3c4b5a697888", "1001", "1002", "conferenced",
                       30'000},
      CallConferenced{"1001", "0192f0c4-7c1e-7a3b-8f2d-3c4b5a697888", "number", "95566"},
      CallPartyLeft{"1001", "agent", "1002", "dropped", 61'000},
      CallMuted{"1001"},
      CallUnmuted{"1001", 4'000},
      CallIntercepted{"王芳.sup", "1001", "1009"},
      AgentLineChanged{"1001", "8001", "disconnected", "hung_up"},
  };
  for (const auto& p : payloads) {
    const std::string json = payloadToJson(p);
    auto back = parsePayload(typeName(p), json);
    ASSERT_TRUE(back.ok()) << back.error().describe();
    EXPECT_EQ(*back, p) << json;
  }
}

TEST(PayloadJsonTest, ParseKeepsDefaultsForMissingFieldsAndIgnoresUnknownOnes) {
  auto p = parsePayload("system.started", R"({"node":"n","future_field":[1,2]})");
  ASSERT_TRUE(p.ok()) << p.error().describe();
  EXPECT_EQ(std::get<SystemStarted>(*p), (SystemStarted{"", "n", 0}));
}

TEST(PayloadJsonTest, ParseErrorsNameTheProblem) {
  auto unknown = parsePayload("call.teleported", "{}");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, base::Errc::BadRequest);
  EXPECT_NE(unknown.error().message.find("call.teleported"), std::string::npos);

  auto badJson = parsePayload("system.stopping", R"({"reason": )");
  ASSERT_FALSE(badJson.ok());
  EXPECT_NE(badJson.error().message.find("not valid JSON"), std::string::npos);

  auto notObject = parsePayload("system.stopping", "[]");
  ASSERT_FALSE(notObject.ok());
  EXPECT_NE(notObject.error().message.find("not a JSON object"), std::string::npos);

  auto badState =
      parsePayload("agent.state_changed", R"({"agent_no":"1","from":"flying","to":"ready"})");
  ASSERT_FALSE(badState.ok());
  EXPECT_NE(badState.error().message.find("field 'from'"), std::string::npos);
  EXPECT_NE(badState.error().message.find("flying"), std::string::npos);

  auto badBool = parsePayload("recording.stopped", R"({"complete":"yes"})");
  ASSERT_FALSE(badBool.ok());
  EXPECT_NE(badBool.error().message.find("field 'complete' must be true or false"),
            std::string::npos);

  auto badType = parsePayload("system.started", R"({"pid":"12"})");
  ASSERT_FALSE(badType.ok());
  EXPECT_NE(badType.error().message.find("field 'pid' must be an integer"), std::string::npos);
}

}  // namespace
}  // namespace bankcc::events
