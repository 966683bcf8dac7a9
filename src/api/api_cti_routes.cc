// SPDX-License-Identifier: Apache-2.0
// CTI: agents log in, change state and control their calls through the call-control core;
// supervisors read live calls, agent states and routing explanations. Commands are answered
// 202 with their request id (the outcome arrives as events carrying it), or 4xx with the
// core's reason. Every route answers 503 while no core runs on this node.
#include "api/api_cti_routes.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <type_traits>
#include <utility>

#include "api/call.h"
#include "api/json_io.h"
#include "base/ids.h"
#include "events/event.h"

namespace bankcc::api {

namespace {

using json = nlohmann::json;
using callctl::CommandReply;
using callctl::CommandRequest;
using Respond = std::function<void(Response)>;

constexpr std::size_t kMaxRequestIdBytes = 64;
constexpr std::size_t kMaxNotesBytes = 2000 * 4;  // 2,000 characters of UTF-8 at most

Response noCore() {
  auto r = errorResponse(503, "unavailable", "call control is not running on this node");
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

/// Letters, digits and "-_.:": a request id goes into events and logs as it is.
bool validRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

callctl::Actor actorOf(const Principal& p) {
  return callctl::Actor{.username = p.username,
                        .agentNo = p.agentNo,
                        .supervisor = p.hasRole("supervisor"),
                        .admin = p.hasRole("admin"),
                        .supervisedTeams = p.supervisedTeams};
}

Response replyResponse(const CommandReply& reply, const std::string& requestId) {
  using S = CommandReply::Status;
  int status = 202;
  std::string_view code;
  switch (reply.status) {
    case S::Accepted: {
      json body{{"request_id", requestId}, {"replay", reply.replay}};
      if (!reply.callId.empty()) body["call_id"] = reply.callId;  // the call make_call placed
      return jsonResponse(202, body.dump());
    }
    case S::Forbidden:
      status = 403;
      code = "forbidden";
      break;
    case S::NotFound:
      status = 404;
      code = "not_found";
      break;
    case S::Conflict:
      status = 409;
      code = "conflict";
      break;
    case S::Invalid:
      status = 422;
      code = "validation_failed";
      break;
  }
  // The error shape of CONVENTIONS.md, plus the core's machine reason ("wrong_state", ...).
  json body{{"error",
             {{"code", code},
              {"message", reply.message},
              {"reason", reply.code},
              {"request_id", requestId}}}};
  return jsonResponse(status, dumpJson(body));
}

/// Reads the optional JSON body of a command route: its request id and the fields `read`
/// wants. A command without a body (DELETE) gets a server-chosen request id.
struct CommandBody {
  std::string requestId;
  std::optional<Response> refusal;
};
template <typename Read>
CommandBody readCommandBody(Call& call, bool bodyRequired, Read&& read) {
  CommandBody out;
  const auto& body = call.request().body;
  const bool empty = body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (empty && !bodyRequired) {
    out.requestId = base::newUuidV7(call.clock());
    json none = json::object();
    FieldReader reader(none);
    read(reader);
    out.refusal = reader.finish();
    return out;
  }
  auto parsed = parseJsonObject(call.request());
  if (auto* refused = std::get_if<Response>(&parsed)) {
    out.refusal = std::move(*refused);
    return out;
  }
  FieldReader reader(std::get<json>(parsed));
  auto id = reader.string("request_id", Need::Optional, kMaxRequestIdBytes);
  if (id && !validRequestId(*id)) {
    reader.fail("request_id", "use 1 to 64 letters, digits, '-', '_', '.' or ':'");
  }
  read(reader);
  out.refusal = reader.finish();
  out.requestId = id ? *id : base::newUuidV7(call.clock());
  return out;
}

/// How a command is written to the audit log (CONVENTIONS.md "Audit"): interventions (an
/// actor acting on another agent or their call, or refused one: CommandReply::intervention)
/// always; `always` commands (pausing a recording, monitoring) whoever sends them.
struct AuditSpec {
  std::string_view action;      ///< "cti.hold", ...
  std::string_view targetType;  ///< "agent" or "call"
  std::string_view param;       ///< the path parameter naming the target
  bool always = false;
};

std::string_view makeCallTargetName(callctl::MakeCall::Target t) {
  switch (t) {
    case callctl::MakeCall::Target::Number:
      return "number";
    case callctl::MakeCall::Target::Agent:
      return "agent";
    case callctl::MakeCall::Target::Extension:
      return "extension";
  }
  return "number";
}

/// What the audit record says about a command besides its target: never digits or notes.
json auditDetails(const callctl::Command& command) {
  return std::visit(
      [](const auto& c) -> json {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, callctl::SetState>) {
          return json{{"state", c.ready ? "ready" : "not_ready"}, {"reason", c.reason}};
        } else if constexpr (std::is_same_v<T, callctl::BlindTransfer>) {
          using Target = callctl::BlindTransfer::Target;
          return json{{"target_type", c.targetType == Target::Queue   ? "queue"
                                      : c.targetType == Target::Agent ? "agent"
                                                                      : "number"},
                      {"target", c.target}};
        } else if constexpr (std::is_same_v<T, callctl::InterceptCall>) {
          return json{{"agent_no", c.agentNo}};
        } else if constexpr (std::is_same_v<T, callctl::Consult>) {
          using Target = callctl::Consult::Target;
          return json{{"target_type", c.targetType == Target::Queue   ? "queue"
                                      : c.targetType == Target::Agent ? "agent"
                                                                      : "number"},
                      {"target", c.target}};
        } else if constexpr (std::is_same_v<T, callctl::MakeCall>) {
          return json{{"target_type", makeCallTargetName(c.targetType)}, {"target", c.target}};
        } else if constexpr (std::is_same_v<T, callctl::MonitorCall>) {
          return json{{"mode", telephony::monitorModeName(c.mode)}, {"extension", c.extension}};
        } else if constexpr (std::is_same_v<T, callctl::SendDigits>) {
          return json{{"digit_count", c.digits.size()}};
        } else {
          return json::object();
        }
      },
      command);
}

std::string_view auditOutcome(const CommandReply& reply) {
  switch (reply.status) {
    case CommandReply::Status::Accepted:
      return "success";
    case CommandReply::Status::Forbidden:
      return "denied";
    default:
      return "failure";
  }
}

/// The route table's async handler for one command: reads the body, builds the command,
/// submits it, writes the audit record when `audit` says so, answers with the core's reply.
template <typename Build>
AsyncHandler commandRoute(const std::atomic<CtiService*>* cti, bool bodyRequired, Build build,
                          AuditSpec audit) {
  return [cti, bodyRequired, build, audit](Call& call, Respond respond) {
    CtiService* core = cti->load();
    if (core == nullptr) return respond(noCore());
    std::optional<callctl::Command> command;
    auto body =
        readCommandBody(call, bodyRequired, [&](FieldReader& in) { command = build(call, in); });
    if (body.refusal) return respond(std::move(*body.refusal));
    if (!command) return respond(errorResponse(400, "bad_request", "no command"));
    // What the audit record needs, copied: the Call is gone when the core answers.
    store::AuditRecord record;
    record.actor = call.principal().username;
    record.sourceAddress = call.request().remoteAddress;
    record.action = std::string(audit.action);
    record.targetType = std::string(audit.targetType);
    record.targetId = call.param(audit.param);
    record.requestId = call.requestId();
    json details = auditDetails(*command);
    details["cti_request_id"] = body.requestId;
    const CallServices* services = &call.services();
    CommandRequest request{body.requestId, actorOf(call.principal()), std::move(*command)};
    core->submit(std::move(request), [respond = std::move(respond), id = body.requestId, audit,
                                      services, record = std::move(record),
                                      details = std::move(details)](CommandReply reply) mutable {
      Response response = replyResponse(reply, id);
      if (reply.replay || !(audit.always || reply.intervention) || !services->runOnWorker ||
          services->auditKey == nullptr) {
        return respond(std::move(response));
      }
      // The answer waits for the audit record, so that a client never sees an intervention
      // the audit log does not hold yet (unless the database is down: logged loudly).
      record.at = services->clock->now();
      record.outcome = std::string(auditOutcome(reply));
      if (!reply.code.empty()) details["reason"] = reply.code;
      record.details = details.dump(-1, ' ', false, json::error_handler_t::replace);
      auto shared = std::make_shared<Respond>(std::move(respond));
      auto answer = std::make_shared<Response>(std::move(response));
      const bool queued = services->runOnWorker([services, record = std::move(record), shared,
                                                 answer](soci::session* db) mutable {
        const std::string action = record.action;
        const std::string target = record.targetId;
        if (db == nullptr) {
          spdlog::error("audit record of {} on {} not written: no database", action, target);
        } else if (auto stored = store::appendAudit(*db, *services->auditKey, std::move(record));
                   !stored.ok()) {
          spdlog::error("audit record of {} on {} not written: {}", action, target,
                        stored.error().describe());
        }
        (*shared)(std::move(*answer));
      });
      if (!queued) {
        spdlog::error("audit record of {} not written: the worker queue is full", audit.action);
        (*shared)(std::move(*answer));
      }
    });
  };
}

std::string_view phaseName(callctl::CallView::Phase p) {
  switch (p) {
    case callctl::CallView::Phase::Queued:
      return "queued";
    case callctl::CallView::Phase::Offered:
      return "offered";
    case callctl::CallView::Phase::Connected:
      return "connected";
    case callctl::CallView::Phase::Ending:
      return "ending";
    case callctl::CallView::Phase::Dialing:
      return "dialing";
  }
  return "unknown";
}

json explanationJson(const acd::Explanation& e) {
  json candidates = json::array();
  for (const auto& c : e.candidates) {
    candidates.push_back({{"id", c.id},
                          {"queue", c.queue},
                          {"chosen", c.chosen},
                          {"eligible", c.eligible},
                          {"note", c.note}});
  }
  return json{{"trigger", e.trigger}, {"rule", e.rule}, {"candidates", std::move(candidates)}};
}

}  // namespace

json agentViewJson(const callctl::AgentView& a) {
  return json{{"agent_no", a.agentNo},
              {"state", events::agentStateName(a.state)},
              {"reason", a.reason.empty() ? json(nullptr) : json(a.reason)},
              {"extension", a.extension.empty() ? json(nullptr) : json(a.extension)},
              {"since", formatTimestamp(a.since)},
              {"call_id", a.callId.empty() ? json(nullptr) : json(a.callId)},
              {"line", a.line.empty() ? json(nullptr) : json(a.line)},
              {"persistent", a.persistent}};
}

json callViewJson(const callctl::CallView& c) {
  // The consult or conference party (decision 0018): null while there is none.
  const bool party = !c.partyStage.empty();
  return json{{"call_id", c.callId},
              {"ani", c.ani},
              {"dnis", c.dnis},
              {"queue", c.queue.empty() ? json(nullptr) : json(c.queue)},
              {"phase", phaseName(c.phase)},
              {"direction", c.direction},
              {"peer_agent", c.peerAgent.empty() ? json(nullptr) : json(c.peerAgent)},
              {"data", c.data.empty() ? json::object() : json(c.data)},
              {"agent_no", c.agentNo.empty() ? json(nullptr) : json(c.agentNo)},
              {"arrived_at", formatTimestamp(c.arrived)},
              {"answered_at",
               c.answered == base::SysTime{} ? json(nullptr) : json(formatTimestamp(c.answered))},
              {"held", c.held},
              {"muted", c.muted},
              {"recording_paused", c.recordingPaused},
              {"monitored_by", c.monitoredBy.empty() ? json(nullptr) : json(c.monitoredBy)},
              {"transferred_to", c.transferredTo.empty() ? json(nullptr) : json(c.transferredTo)},
              {"consult_call_id", c.consultCallId.empty() ? json(nullptr) : json(c.consultCallId)},
              {"party_type", party ? json(c.partyType) : json(nullptr)},
              {"party", party ? json(c.party) : json(nullptr)},
              {"party_stage", party ? json(c.partyStage) : json(nullptr)},
              {"party_held", party ? json(c.partyHeld) : json(nullptr)},
              {"party_queue", c.partyQueue.empty() ? json(nullptr) : json(c.partyQueue)}};
}

void registerCtiRoutes(Router& router, const std::atomic<CtiService*>* cti) {
  auto add = [&](const char* method, std::string pattern, Permission permission,
                 AsyncHandler handler, std::string summary) {
    router.add(Route{.method = method,
                     .pattern = std::move(pattern),
                     .permission = permission,
                     .flags = kNoFlags,
                     .handler = {},
                     .summary = std::move(summary),
                     .asyncHandler = std::move(handler)});
  };

  add("POST", "/api/v1/agents/{agent_no}/session", Permission::CtiControl,
      commandRoute(
          cti, true,
          [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
            auto extension = in.string("extension", Need::Required, 32);
            auto persistent = in.boolean("persistent", Need::Optional);
            if (!extension) return std::nullopt;
            return callctl::Login{call.param("agent_no"), *extension, persistent.value_or(false)};
          },
          {"cti.login", "agent", "agent_no"}),
      "Log an agent in with one of their extensions (command)");
  add("POST", "/api/v1/agents/{agent_no}/line", Permission::CtiControl,
      commandRoute(cti, false,
                   [](Call& call, FieldReader&) -> std::optional<callctl::Command> {
                     return callctl::SetLine{call.param("agent_no"), true};
                   },
                   {"cti.line_connect", "agent", "agent_no"}),
      "Connect the agent's persistent line: call their phone now (command)");
  add("DELETE", "/api/v1/agents/{agent_no}/line", Permission::CtiControl,
      commandRoute(cti, false,
                   [](Call& call, FieldReader&) -> std::optional<callctl::Command> {
                     return callctl::SetLine{call.param("agent_no"), false};
                   },
                   {"cti.line_disconnect", "agent", "agent_no"}),
      "Hang up the agent's persistent line (command)");
  add("DELETE", "/api/v1/agents/{agent_no}/session", Permission::CtiControl,
      commandRoute(cti, false,
                   [](Call& call, FieldReader&) -> std::optional<callctl::Command> {
                     return callctl::Logout{call.param("agent_no")};
                   },
                   {"cti.logout", "agent", "agent_no"}),
      "Log an agent out (command)");
  add("PUT", "/api/v1/agents/{agent_no}/state", Permission::CtiControl,
      commandRoute(cti, true,
                   [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
                     auto state = in.string("state", Need::Required, 16);
                     auto reason = in.string("reason", Need::Optional, 32);
                     if (!state) return std::nullopt;
                     if (*state == "ready") {
                       if (reason) in.fail("reason", "only not_ready takes a reason");
                       return callctl::SetState{call.param("agent_no"), true, {}};
                     }
                     if (*state == "not_ready") {
                       if (!reason) in.fail("reason", "not_ready needs a reason code");
                       return callctl::SetState{call.param("agent_no"), false, reason.value_or("")};
                     }
                     in.fail("state", "must be \"ready\" or \"not_ready\"");
                     return std::nullopt;
                   },
                   {"cti.set_state", "agent", "agent_no"}),
      "Set an agent ready or not ready with a reason (command)");
  add("POST", "/api/v1/agents/{agent_no}/wrapup", Permission::CtiControl,
      commandRoute(cti, false,
                   [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
                     auto code = in.string("code", Need::Optional, 32);
                     auto notes = in.string("notes", Need::Optional, kMaxNotesBytes, true);
                     return callctl::CompleteWrapUp{call.param("agent_no"), code.value_or(""),
                                                    notes.value_or("")};
                   },
                   {"cti.complete_wrapup", "agent", "agent_no"}),
      "End an agent's wrap-up with a wrap-up code and notes (command)");
  add("POST", "/api/v1/agents/{agent_no}/wrapup/extend", Permission::CtiControl,
      commandRoute(cti, false,
                   [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
                     auto seconds = in.integer("seconds", Need::Optional, 1, 600);
                     return callctl::ExtendWrapUp{call.param("agent_no"),
                                                  std::chrono::seconds(seconds.value_or(30))};
                   },
                   {"cti.extend_wrapup", "agent", "agent_no"}),
      "Extend an agent's wrap-up (command)");
  // Decision 0020: the agent places a call; the reply names it.
  add("POST", "/api/v1/agents/{agent_no}/calls", Permission::CtiControl,
      commandRoute(
          cti, true,
          [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
            auto type = in.string("target_type", Need::Required, 16);
            auto target = in.string("target", Need::Required, 32);
            if (!type || !target) return std::nullopt;
            callctl::MakeCall m{call.param("agent_no"), callctl::MakeCall::Target::Number, *target};
            if (*type == "agent") {
              m.targetType = callctl::MakeCall::Target::Agent;
            } else if (*type == "extension") {
              m.targetType = callctl::MakeCall::Target::Extension;
            } else if (*type != "number") {
              in.fail("target_type", "must be \"number\", \"agent\" or \"extension\"");
              return std::nullopt;
            }
            return m;
          },
          {"cti.make_call", "agent", "agent_no"}),
      "Place a call from the agent's phone to a number, a colleague or an extension (command)");
  add("POST", "/api/v1/calls/{call_id}/answer", Permission::CtiControl,
      commandRoute(cti, false,
                   [](Call& call, FieldReader&) -> std::optional<callctl::Command> {
                     return callctl::AnswerCall{call.param("call_id")};
                   },
                   {"cti.answer", "call", "call_id"}),
      "Answer an offered call from the desktop (auto-answer phones; command)");
  add("POST", "/api/v1/calls/{call_id}/hangup", Permission::CtiControl,
      commandRoute(cti, false,
                   [](Call& call, FieldReader&) -> std::optional<callctl::Command> {
                     return callctl::HangupCall{call.param("call_id")};
                   },
                   {"cti.hangup", "call", "call_id"}),
      "Hang up a call (command)");

  // A call-control verb on a connected call that takes no body besides the request id.
  auto callVerb = [&](const char* verb, std::string_view action, bool alwaysAudit,
                      callctl::Command (*make)(std::string callId), std::string summary) {
    add("POST", fmt::format("/api/v1/calls/{{call_id}}/{}", verb), Permission::CtiControl,
        commandRoute(cti, false,
                     [make](Call& call, FieldReader&) -> std::optional<callctl::Command> {
                       return make(call.param("call_id"));
                     },
                     {action, "call", "call_id", alwaysAudit}),
        std::move(summary));
  };
  callVerb(
      "hold", "cti.hold", false,
      [](std::string id) -> callctl::Command { return callctl::HoldCall{std::move(id)}; },
      "Put the customer on hold: they hear music (command)");
  callVerb(
      "retrieve", "cti.retrieve", false,
      [](std::string id) -> callctl::Command { return callctl::RetrieveCall{std::move(id)}; },
      "Take the customer off hold (command)");
  callVerb(
      "mute", "cti.mute", false,
      [](std::string id) -> callctl::Command {
        return callctl::MuteCall{std::move(id), true};
      },
      "Mute the agent's microphone: the customer no longer hears the agent (command)");
  callVerb(
      "unmute", "cti.unmute", false,
      [](std::string id) -> callctl::Command {
        return callctl::MuteCall{std::move(id), false};
      },
      "Unmute the agent's microphone (command)");
  // Pausing a recording leaves a gap an auditor must be able to explain: always audited.
  callVerb(
      "pause_recording", "cti.pause_recording", true,
      [](std::string id) -> callctl::Command { return callctl::PauseCallRecording{std::move(id)}; },
      "Pause the call's recording (command; audited)");
  callVerb(
      "resume_recording", "cti.resume_recording", true,
      [](std::string id) -> callctl::Command {
        return callctl::ResumeCallRecording{std::move(id)};
      },
      "Resume the call's recording (command; audited)");
  add("POST", "/api/v1/calls/{call_id}/send_dtmf", Permission::CtiControl,
      commandRoute(cti, true,
                   [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
                     auto digits = in.string("digits", Need::Required, 32);
                     if (!digits) return std::nullopt;
                     return callctl::SendDigits{call.param("call_id"), *digits};
                   },
                   {"cti.send_dtmf", "call", "call_id"}),
      "Send DTMF digits to the far party (command; the digits are never logged)");
  add("POST", "/api/v1/calls/{call_id}/blind_transfer", Permission::CtiControl,
      commandRoute(cti, true,
                   [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
                     auto type = in.string("target_type", Need::Required, 16);
                     auto target = in.string("target", Need::Required, 64);
                     if (!type || !target) return std::nullopt;
                     callctl::BlindTransfer t{call.param("call_id"),
                                              callctl::BlindTransfer::Target::Queue, *target};
                     if (*type == "number") {
                       t.targetType = callctl::BlindTransfer::Target::Number;
                     } else if (*type == "agent") {
                       t.targetType = callctl::BlindTransfer::Target::Agent;
                     } else if (*type != "queue") {
                       in.fail("target_type", "must be \"queue\", \"agent\" or \"number\"");
                       return std::nullopt;
                     }
                     return t;
                   },
                   {"cti.blind_transfer", "call", "call_id"}),
      "Transfer the customer to a queue, a ready colleague or an allowed number without a "
      "consult (command)");
  add("POST", "/api/v1/calls/{call_id}/set_call_data", Permission::CtiControl,
      commandRoute(cti, true,
                   [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
                     const nlohmann::json* data = in.raw("data");
                     if (data == nullptr || !data->is_object() || data->empty()) {
                       in.fail("data",
                               "an object of 1 to 16 keys with string values (\"\" removes)");
                       return std::nullopt;
                     }
                     if (data->size() > 16) {
                       in.fail("data", "at most 16 keys");
                       return std::nullopt;
                     }
                     callctl::SetCallData set{call.param("call_id"), {}};
                     for (const auto& [key, value] : data->items()) {
                       if (!value.is_string()) {
                         in.fail("data." + key, "must be a string");
                         return std::nullopt;
                       }
                       set.data[key] = value.get<std::string>();
                     }
                     return set;
                   },
                   {"cti.set_call_data", "call", "call_id"}),
      "Attach data to the call for the agents who handle it next (command)");
  // Consult, attended transfer and conference (decision 0018).
  add("POST", "/api/v1/calls/{call_id}/consult", Permission::CtiControl,
      commandRoute(
          cti, true,
          [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
            auto type = in.string("target_type", Need::Required, 16);
            auto target = in.string("target", Need::Required, 64);
            if (!type || !target) return std::nullopt;
            callctl::Consult c{call.param("call_id"), callctl::Consult::Target::Agent, *target};
            if (*type == "number") {
              c.targetType = callctl::Consult::Target::Number;
            } else if (*type == "queue") {
              c.targetType = callctl::Consult::Target::Queue;
            } else if (*type != "agent") {
              in.fail("target_type", "must be \"agent\", \"queue\" or \"number\"");
              return std::nullopt;
            }
            return c;
          },
          {"cti.consult", "call", "call_id"}),
      "Consult a colleague, a queue or an allowed number while the customer waits on hold "
      "(command)");
  callVerb(
      "cancel_consult", "cti.cancel_consult", false,
      [](std::string id) -> callctl::Command { return callctl::CancelConsult{std::move(id)}; },
      "End the consult and take the customer off hold (command)");
  callVerb(
      "transfer_complete", "cti.transfer_complete", false,
      [](std::string id) -> callctl::Command { return callctl::CompleteTransfer{std::move(id)}; },
      "Hand the customer to the consulted party and leave the call (command)");
  callVerb(
      "conference", "cti.conference", false,
      [](std::string id) -> callctl::Command { return callctl::Conference{std::move(id)}; },
      "Join the consulted party to the customer's call: all three talk (command)");
  callVerb(
      "alternate", "cti.alternate", false,
      [](std::string id) -> callctl::Command { return callctl::Alternate{std::move(id)}; },
      "Switch between the customer and the consulted party (command)");
  callVerb(
      "drop_party", "cti.drop_party", false,
      [](std::string id) -> callctl::Command { return callctl::DropParty{std::move(id)}; },
      "Drop the conference party; the agent and the customer talk on (command)");
  // A supervisor takes a waiting or ringing call for themselves or an agent of their team
  // (decision 0022): always audited.
  add("POST", "/api/v1/calls/{call_id}/intercept", Permission::CallsSupervise,
      commandRoute(cti, false,
                   [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
                     auto agent = in.string("agent_no", Need::Optional, 32);
                     std::string agentNo = agent ? *agent : call.principal().agentNo;
                     if (agentNo.empty()) {
                       in.fail("agent_no", "name the agent who takes the call (you act as none)");
                       return std::nullopt;
                     }
                     return callctl::InterceptCall{call.param("call_id"), std::move(agentNo)};
                   },
                   {"cti.intercept", "call", "call_id", true}),
      "Take a waiting or ringing call for yourself or an agent of your team (command; "
      "audited)");
  add("POST", "/api/v1/agents/{agent_no}/monitor", Permission::CallsSupervise,
      commandRoute(
          cti, true,
          [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
            auto mode = in.string("mode", Need::Required, 16);
            auto extension = in.string("extension", Need::Optional, 32);
            if (!mode) return std::nullopt;
            auto parsed = telephony::parseMonitorMode(*mode);
            if (!parsed) {
              in.fail("mode", "must be \"listen\", \"whisper\" or \"barge\"");
              return std::nullopt;
            }
            return callctl::MonitorCall{call.param("agent_no"), *parsed, extension.value_or("")};
          },
          {"cti.monitor", "agent", "agent_no", true}),
      "Monitor an agent's call from your phone (listen, whisper, barge), or switch mode "
      "(command; audited)");
  add("DELETE", "/api/v1/agents/{agent_no}/monitor", Permission::CallsSupervise,
      commandRoute(cti, false,
                   [](Call& call, FieldReader&) -> std::optional<callctl::Command> {
                     return callctl::StopMonitoring{call.param("agent_no")};
                   },
                   {"cti.stop_monitor", "agent", "agent_no", true}),
      "Stop monitoring an agent's call (command; audited)");

  add(
      "GET", "/api/v1/calls", Permission::CallsRead,
      [cti](Call&, Respond respond) {
        CtiService* core = cti->load();
        if (core == nullptr) return respond(noCore());
        core->liveCalls([respond = std::move(respond)](std::vector<callctl::CallView> calls) {
          json items = json::array();
          for (const auto& c : calls) items.push_back(callViewJson(c));
          respond(jsonResponse(200, dumpJson(json{{"items", std::move(items)}})));
        });
      },
      "Live calls on this node");
  add(
      "GET", "/api/v1/agent-states", Permission::CallsRead,
      [cti](Call&, Respond respond) {
        CtiService* core = cti->load();
        if (core == nullptr) return respond(noCore());
        core->agentStates([respond = std::move(respond)](std::vector<callctl::AgentView> agents) {
          json items = json::array();
          for (const auto& a : agents) items.push_back(agentViewJson(a));
          respond(jsonResponse(200, dumpJson(json{{"items", std::move(items)}})));
        });
      },
      "Every agent's live state");
  add(
      "GET", "/api/v1/routing/decisions/{call_id}", Permission::CallsRead,
      [cti](Call& call, Respond respond) {
        CtiService* core = cti->load();
        if (core == nullptr) return respond(noCore());
        core->routingExplanation(call.param("call_id"), [respond = std::move(respond)](
                                                            std::optional<acd::Explanation> e) {
          if (!e) {
            return respond(
                errorResponse(404, "not_found", "no routing decision is known for this call"));
          }
          respond(jsonResponse(200, dumpJson(explanationJson(*e))));
        });
      },
      "Why the ACD chose the agent it chose for a call");
}

}  // namespace bankcc::api
