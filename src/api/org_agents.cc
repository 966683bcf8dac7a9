// SPDX-License-Identifier: Apache-2.0
// REST for agents (/api/v1/agents) and their skills (/api/v1/agents/{agent_no}/skills).
// Admins (agents.write) change anything; supervisors (agent_skills.write only) change the
// skills of agents in the teams they supervise.

#include <fmt/format.h>

#include "api/org_crud.h"
#include "store/org_agents.h"

namespace bankcc::api::org {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kAgents = "/api/v1/agents";
constexpr std::size_t kMaxExtensionBytes = 20;

/// "skills": [{"code": "x", "proficiency": 1..5}, ...]. nullopt when missing or bad (the
/// reader has the errors, named "skills[2].proficiency").
std::optional<std::vector<store::AgentSkill>> readSkills(FieldReader& r, Need need) {
  const Json* value = r.raw("skills");
  if (value == nullptr || value->is_null()) {
    if (need == Need::Required) r.fail("skills", "is required");
    return std::nullopt;
  }
  if (!value->is_array()) {
    r.fail("skills", "must be an array of {\"code\", \"proficiency\"} objects");
    return std::nullopt;
  }
  if (value->size() > kMaxListItems) {
    r.fail("skills", fmt::format("must have at most {} items", kMaxListItems));
    return std::nullopt;
  }
  std::vector<store::AgentSkill> skills;
  bool ok = true;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    if (!item.is_object()) {
      r.fail(fmt::format("skills[{}]", i), "must be an object");
      ok = false;
      continue;
    }
    FieldReader inner(item, fmt::format("skills[{}].", i));
    auto code = inner.string("code", Need::Required, kMaxCodeBytes);
    auto proficiency = inner.integer("proficiency", Need::Required, 1, 5);
    inner.rejectUnknown();
    if (!inner.ok()) {
      r.merge(inner.errors());
      ok = false;
      continue;
    }
    skills.push_back({*code, static_cast<int>(*proficiency)});
  }
  if (!ok) return std::nullopt;
  return skills;
}

/// "extensions": ["8001", ...] or [{"extension": "8001", "auto_answer": ...}, ...] (what GET
/// gives; auto_answer is the phone's setting, read-only and ignored here). nullopt when missing
/// or bad (the reader has the errors, named "extensions[1]").
std::optional<std::vector<store::AgentExtension>> readExtensions(FieldReader& r, Need need) {
  const Json* value = r.raw("extensions");
  if (value == nullptr || value->is_null()) {
    if (need == Need::Required) r.fail("extensions", "is required");
    return std::nullopt;
  }
  if (!value->is_array()) {
    r.fail("extensions", "must be an array of extensions such as [\"8001\"]");
    return std::nullopt;
  }
  if (value->size() > kMaxListItems) {
    r.fail("extensions", fmt::format("must have at most {} items", kMaxListItems));
    return std::nullopt;
  }
  std::vector<store::AgentExtension> extensions;
  bool ok = true;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    const std::string name = fmt::format("extensions[{}]", i);
    std::optional<std::string> extension;
    if (item.is_string()) {
      // Through a reader, for the same checks as any string.
      const Json wrapped = {{"extension", item}};
      FieldReader one(wrapped);
      extension = one.string("extension", Need::Required, kMaxExtensionBytes);
      if (!one.ok()) r.fail(name, one.errors().front().message);
    } else if (item.is_object()) {
      FieldReader inner(item, name + ".");
      extension = inner.string("extension", Need::Required, kMaxExtensionBytes);
      inner.ignore("auto_answer");
      inner.rejectUnknown();
      if (!inner.ok()) r.merge(inner.errors());
    } else {
      r.fail(name, "must be an extension such as \"8001\" or {\"extension\": \"8001\"}");
    }
    if (!extension) {
      ok = false;
      continue;
    }
    extensions.push_back({*extension, false});
  }
  if (!ok) return std::nullopt;
  return extensions;
}

struct AgentResource : ResourceHooks<store::Agent> {
  using Object = store::Agent;
  static constexpr std::string_view kKind = "agent";
  static constexpr std::string_view kCollection = kAgents;
  static constexpr std::string_view kKeyField = "agent_no";
  static constexpr Permission kRead = Permission::AgentsRead;
  static constexpr Permission kWrite = Permission::AgentsWrite;

  static const std::string& keyOf(const Object& o) { return o.agentNo; }
  static base::Result<Json> present(Call& /*call*/, const Object& o) { return toJson(o); }
  static base::Result<store::Page<Object>> list(Call& call, const store::PageRequest& page) {
    return store::listAgents(call.db(), page);
  }
  static base::Result<Object> get(Call& call, std::string_view key) {
    return store::getAgent(call.db(), key);
  }
  static void read(Call& /*call*/, FieldReader& r, Mode mode, const Object* current,
                   std::string_view pathKey, Draft<Object>& draft) {
    Object& o = draft.object;
    o.agentNo = readKey(r, "agent_no", mode, pathKey, kMaxCodeBytes);
    o.name = r.string("name", Need::Required, kMaxTextBytes).value_or("");
    o.languages = r.stringList("languages", Need::Required, kMaxListItems, kMaxCodeBytes)
                      .value_or(std::vector<std::string>{});
    // null or absent: no team.
    o.teamCode = r.string("team_code", Need::Optional, kMaxCodeBytes).value_or("");
    o.username = r.string("username", Need::Required, kMaxUsernameBytes).value_or("");
    o.skills = readSkills(r, mode == Mode::Create ? Need::Optional : Need::Required)
                   .value_or(std::vector<store::AgentSkill>{});
    o.extensions = readExtensions(r, mode == Mode::Create ? Need::Optional : Need::Required)
                       .value_or(std::vector<store::AgentExtension>{});
    o.active = readActive(r, current == nullptr || current->active);
    o.version = readVersion(r, mode);
    ignoreTimestamps(r);
  }
  static base::Result<Object> create(Call& call, const Draft<Object>& draft) {
    return store::createAgent(call.db(), call.clock(), draft.object);
  }
  static base::Result<Object> update(Call& call, const Object& o) {
    return store::updateAgent(call.db(), call.clock(), o);
  }
  static base::Result<Object> setActive(Call& call, std::string_view key, bool active,
                                        std::int64_t version) {
    return store::setAgentActive(call.db(), call.clock(), key, active, version);
  }
  static std::optional<Response> vetWithCore(Call& call, const Object& after) {
    CtiService* core = coreOf(call);
    return core != nullptr ? vetoResponse(core->vetAgent(after)) : std::nullopt;
  }
};

Json skillsJson(const store::Agent& agent) {
  return {
      {"agent_no", agent.agentNo}, {"skills", toJson(agent.skills)}, {"version", agent.version}};
}

/// GET /api/v1/agents/{agent_no}/skills
Response getAgentSkills(Call& call) {
  auto agent = store::getAgent(call.db(), call.param("agent_no"));
  if (!agent.ok()) return errorFrom(agent.error());
  return jsonResponse(200, dumpJson(skillsJson(*agent)));
}

/// PUT /api/v1/agents/{agent_no}/skills with {"skills": [...], "version": n}.
Response putAgentSkills(Call& call) {
  const auto parsed = parseJsonObject(call.request());
  const Json* body = bodyOf(parsed);
  if (body == nullptr) return std::get<Response>(parsed);
  const std::string& agentNo = call.param("agent_no");
  std::optional<std::string> deniedTeam;  // set when the caller may not change this agent
  Response response = commitWrite(
      call, {"agent", "agent.skills_changed", "updated", 200, kAgents}, [&]() -> WriteOutcome {
        auto before = store::getAgent(call.db(), agentNo);
        if (!before.ok()) return errorFrom(before.error());
        const Principal& caller = call.principal();
        if (!caller.has(Permission::AgentsWrite) && !caller.actsOnTeam(before->teamCode)) {
          deniedTeam = before->teamCode;
          return errorResponse(403, "forbidden",
                               fmt::format("agent {} is not in a team you supervise", agentNo));
        }
        FieldReader reader(*body);
        auto skills = readSkills(reader, Need::Required);
        auto version = reader.integer("version", Need::Required, 1, kMaxVersion);
        if (auto bad = reader.finish()) return std::move(*bad);
        store::Agent changed = *before;
        changed.skills = std::move(*skills);
        changed.version = *version;
        auto after = store::updateAgent(call.db(), call.clock(), changed);
        if (!after.ok()) return errorFrom(after.error());
        if (auto vetoed = AgentResource::vetWithCore(call, *after)) return std::move(*vetoed);
        Json details = Json::object();
        if (before->skills != after->skills) {
          details["skills"] = {{"from", toJson(before->skills)}, {"to", toJson(after->skills)}};
        }
        return Written{after->agentNo, skillsJson(*after), std::move(details), after->version};
      });
  if (deniedTeam) {
    // After the rollback, so that the denial is recorded on its own.
    const Json details = {{"permission", permissionName(Permission::AgentSkillsWrite)},
                          {"reason", "agent is not in a team the caller supervises"},
                          {"team_code", deniedTeam->empty() ? Json(nullptr) : Json(*deniedTeam)}};
    if (auto audited = call.audit("access.denied", "agent", agentNo, details, "denied");
        !audited.ok()) {
      return errorFrom(audited.error());
    }
  }
  return response;
}

}  // namespace

void registerAgentRoutes(Router& router) {
  addResourceRoutes<AgentResource>(router);
  const std::string skills = std::string(kAgents) + "/{agent_no}/skills";
  router.add(Route{.method = "GET",
                   .pattern = skills,
                   .permission = Permission::AgentsRead,
                   .flags = kDatabase,
                   .handler = &getAgentSkills,
                   .summary = "Read an agent's skills"});
  router.add(Route{.method = "PUT",
                   .pattern = skills,
                   .permission = Permission::AgentSkillsWrite,
                   .flags = kDatabase,
                   .handler = &putAgentSkills,
                   .summary = "Replace an agent's skills (supervisors: agents of their teams)"});
}

}  // namespace bankcc::api::org
