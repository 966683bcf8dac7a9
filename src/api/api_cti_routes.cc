// SPDX-License-Identifier: Apache-2.0
// CTI: agents log in, change state and control their calls through the call-control core;
// supervisors read live calls, agent states and routing explanations. Commands are answered
// 202 with their request id (the outcome arrives as events carrying it), or 4xx with the
// core's reason. Every route answers 503 while no core runs on this node.
#include "api/api_cti_routes.h"

#include <nlohmann/json.hpp>

#include <memory>
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
    case S::Accepted:
      return jsonResponse(202, json{{"request_id", requestId}, {"replay", reply.replay}}.dump());
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

/// The route table's async handler for one command: reads the body, builds the command,
/// submits it, answers with the core's reply.
template <typename Build>
AsyncHandler commandRoute(const std::atomic<CtiService*>* cti, bool bodyRequired, Build build) {
  return [cti, bodyRequired, build](Call& call, Respond respond) {
    CtiService* core = cti->load();
    if (core == nullptr) return respond(noCore());
    std::optional<callctl::Command> command;
    auto body =
        readCommandBody(call, bodyRequired, [&](FieldReader& in) { command = build(call, in); });
    if (body.refusal) return respond(std::move(*body.refusal));
    if (!command) return respond(errorResponse(400, "bad_request", "no command"));
    CommandRequest request{body.requestId, actorOf(call.principal()), std::move(*command)};
    core->submit(std::move(request),
                 [respond = std::move(respond), id = body.requestId](CommandReply reply) {
                   respond(replyResponse(reply, id));
                 });
  };
}

json agentJson(const callctl::AgentView& a) {
  return json{{"agent_no", a.agentNo},
              {"state", events::agentStateName(a.state)},
              {"reason", a.reason.empty() ? json(nullptr) : json(a.reason)},
              {"extension", a.extension.empty() ? json(nullptr) : json(a.extension)},
              {"since", formatTimestamp(a.since)},
              {"call_id", a.callId.empty() ? json(nullptr) : json(a.callId)}};
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
  }
  return "unknown";
}

json callJson(const callctl::CallView& c) {
  return json{{"call_id", c.callId},
              {"ani", c.ani},
              {"dnis", c.dnis},
              {"queue", c.queue.empty() ? json(nullptr) : json(c.queue)},
              {"phase", phaseName(c.phase)},
              {"agent_no", c.agentNo.empty() ? json(nullptr) : json(c.agentNo)},
              {"arrived_at", formatTimestamp(c.arrived)},
              {"answered_at",
               c.answered == base::SysTime{} ? json(nullptr) : json(formatTimestamp(c.answered))}};
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
      commandRoute(cti, true,
                   [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
                     auto extension = in.string("extension", Need::Required, 32);
                     if (!extension) return std::nullopt;
                     return callctl::Login{call.param("agent_no"), *extension};
                   }),
      "Log an agent in with one of their extensions (command)");
  add("DELETE", "/api/v1/agents/{agent_no}/session", Permission::CtiControl,
      commandRoute(cti, false,
                   [](Call& call, FieldReader&) -> std::optional<callctl::Command> {
                     return callctl::Logout{call.param("agent_no")};
                   }),
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
                   }),
      "Set an agent ready or not ready with a reason (command)");
  add("POST", "/api/v1/agents/{agent_no}/wrapup", Permission::CtiControl,
      commandRoute(cti, false,
                   [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
                     auto code = in.string("code", Need::Optional, 32);
                     auto notes = in.string("notes", Need::Optional, kMaxNotesBytes, true);
                     return callctl::CompleteWrapUp{call.param("agent_no"), code.value_or(""),
                                                    notes.value_or("")};
                   }),
      "End an agent's wrap-up with a wrap-up code and notes (command)");
  add("POST", "/api/v1/agents/{agent_no}/wrapup/extend", Permission::CtiControl,
      commandRoute(cti, false,
                   [](Call& call, FieldReader& in) -> std::optional<callctl::Command> {
                     auto seconds = in.integer("seconds", Need::Optional, 1, 600);
                     return callctl::ExtendWrapUp{call.param("agent_no"),
                                                  std::chrono::seconds(seconds.value_or(30))};
                   }),
      "Extend an agent's wrap-up (command)");
  add("POST", "/api/v1/calls/{call_id}/answer", Permission::CtiControl,
      commandRoute(cti, false,
                   [](Call& call, FieldReader&) -> std::optional<callctl::Command> {
                     return callctl::AnswerCall{call.param("call_id")};
                   }),
      "Answer an offered call from the desktop (auto-answer phones; command)");
  add("POST", "/api/v1/calls/{call_id}/hangup", Permission::CtiControl,
      commandRoute(cti, false,
                   [](Call& call, FieldReader&) -> std::optional<callctl::Command> {
                     return callctl::HangupCall{call.param("call_id")};
                   }),
      "Hang up a call (command)");

  add(
      "GET", "/api/v1/calls", Permission::CallsRead,
      [cti](Call&, Respond respond) {
        CtiService* core = cti->load();
        if (core == nullptr) return respond(noCore());
        core->liveCalls([respond = std::move(respond)](std::vector<callctl::CallView> calls) {
          json items = json::array();
          for (const auto& c : calls) items.push_back(callJson(c));
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
          for (const auto& a : agents) items.push_back(agentJson(a));
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
