// SPDX-License-Identifier: Apache-2.0
#include "api/org_json.h"

#include <set>
#include <string>

#include "api/json_io.h"

namespace bankcc::api {
namespace {

using Json = nlohmann::json;

void addCommon(Json& j, bool active, std::int64_t version, base::SysTime createdAt,
               base::SysTime updatedAt) {
  j["active"] = active;
  j["version"] = version;
  j["created_at"] = formatTimestamp(createdAt);
  j["updated_at"] = formatTimestamp(updatedAt);
}

}  // namespace

Json toJson(const store::Team& team) {
  Json j = {{"code", team.code}, {"name", team.name}, {"supervisors", team.supervisors}};
  addCommon(j, team.active, team.version, team.createdAt, team.updatedAt);
  return j;
}

Json toJson(const store::Skill& skill) {
  Json j = {{"code", skill.code}, {"name_zh", skill.nameZh}, {"name_en", skill.nameEn}};
  addCommon(j, skill.active, skill.version, skill.createdAt, skill.updatedAt);
  return j;
}

Json toJson(const store::Queue& queue) {
  Json needs = Json::array();
  for (const auto& n : queue.skillNeeds) {
    needs.push_back({{"skill", n.skill}, {"min_proficiency", n.minProficiency}});
  }
  Json steps = Json::array();
  for (const auto& s : queue.overflowSteps) {
    Json step = {{"after_seconds", s.after.count()}, {"kind", store::overflowKindName(s.kind)}};
    if (s.kind == store::OverflowStep::Kind::Widen) {
      step["min_proficiency"] = s.minProficiency;
    } else {
      step["target"] = s.target;
    }
    steps.push_back(std::move(step));
  }
  const auto orNull = [](const std::string& text) {
    return text.empty() ? Json(nullptr) : Json(text);
  };
  Json j = {{"code", queue.code},
            {"name_zh", queue.nameZh},
            {"name_en", queue.nameEn},
            {"service_level_target", queue.serviceLevelTarget},
            {"service_level_threshold_seconds", queue.serviceLevelThreshold.count()},
            {"short_abandon_seconds", queue.shortAbandon.count()},
            {"service_level_variant", store::serviceLevelVariantName(queue.serviceLevelVariant)},
            // The older, code-only form of skill_needs, kept for the clients that read it.
            {"skills", queue.skillCodes()},
            {"skill_needs", std::move(needs)},
            {"dnis", queue.dnis},
            {"language", orNull(queue.language)},
            {"routing_policy", store::routingPolicyName(queue.routingPolicy)},
            {"aging_seconds", queue.aging.count()},
            {"max_size", queue.maxSize},
            {"max_wait_seconds", queue.maxWait.count()},
            {"fallback", orNull(queue.fallback)},
            {"overflow_steps", std::move(steps)},
            {"ring_timeout_seconds", queue.ringTimeout.count()},
            {"wrap_up_seconds", queue.wrapUp.count()},
            {"ready_after_wrap_up", queue.readyAfterWrapUp},
            {"music", queue.music},
            {"closed_prompt", queue.closedPrompt},
            {"average_handle_seconds", queue.averageHandleTime.count()},
            {"calendar", orNull(queue.calendar)}};
  addCommon(j, queue.active, queue.version, queue.createdAt, queue.updatedAt);
  return j;
}

Json toJson(const store::Calendar& calendar) {
  const auto ranges = [](const std::vector<acd::TimeRange>& hours) {
    Json list = Json::array();
    for (const auto& r : hours) list.push_back(acd::formatTimeRange(r));
    return list;
  };
  Json weekly = Json::object();
  for (std::size_t d = 0; d < calendar.hours.weekly.size(); ++d) {
    weekly[std::string(acd::weekdayName(static_cast<int>(d)))] = ranges(calendar.hours.weekly[d]);
  }
  Json exceptions = Json::array();
  for (const auto& ex : calendar.hours.exceptions) {
    exceptions.push_back({{"date", acd::formatDate(ex.date)},
                          {"hours", ranges(ex.hours)},
                          {"note", ex.note.empty() ? Json(nullptr) : Json(ex.note)}});
  }
  Json j = {{"code", calendar.code},
            {"name", calendar.name},
            {"weekly", std::move(weekly)},
            {"exceptions", std::move(exceptions)},
            {"version", calendar.version},
            {"created_at", formatTimestamp(calendar.createdAt)},
            {"updated_at", formatTimestamp(calendar.updatedAt)}};
  return j;
}

Json toJson(const store::LabelledCode& code) {
  Json j = {{"code", code.code}, {"label_zh", code.labelZh}, {"label_en", code.labelEn}};
  addCommon(j, code.active, code.version, code.createdAt, code.updatedAt);
  return j;
}

Json toJson(const std::vector<store::AgentSkill>& skills) {
  Json list = Json::array();
  for (const auto& s : skills) list.push_back({{"code", s.code}, {"proficiency", s.proficiency}});
  return list;
}

Json toJson(const std::vector<store::AgentExtension>& extensions) {
  Json list = Json::array();
  for (const auto& e : extensions) {
    list.push_back({{"extension", e.extension}, {"auto_answer", e.autoAnswer}});
  }
  return list;
}

Json toJson(const store::Agent& agent) {
  Json j = {{"agent_no", agent.agentNo},
            {"name", agent.name},
            {"languages", agent.languages},
            {"team_code", agent.teamCode.empty() ? Json(nullptr) : Json(agent.teamCode)},
            {"username", agent.username},
            {"skills", toJson(agent.skills)},
            {"extensions", toJson(agent.extensions)}};
  addCommon(j, agent.active, agent.version, agent.createdAt, agent.updatedAt);
  return j;
}

Json toJson(const store::User& user, const store::Credentials& credentials, base::SysTime now) {
  Json j = {{"username", user.username},
            {"display_name", user.displayName},
            {"roles", user.roles},
            {"has_password", user.passwordHash.has_value()},
            {"must_change_password", credentials.mustChangePassword},
            {"locked", credentials.lockedUntil.has_value() && *credentials.lockedUntil > now}};
  addCommon(j, user.active, user.version, user.createdAt, user.updatedAt);
  return j;
}

Json changedFields(const Json& before, const Json& after) {
  static const std::set<std::string> kSkipped = {"version", "created_at", "updated_at"};
  Json changes = Json::object();
  auto note = [&](const std::string& key, const Json& from, const Json& to) {
    if (kSkipped.count(key) == 0 && from != to) changes[key] = {{"from", from}, {"to", to}};
  };
  for (const auto& [key, value] : after.items()) {
    auto old = before.find(key);
    note(key, old == before.end() ? Json(nullptr) : *old, value);
  }
  for (const auto& [key, value] : before.items()) {
    if (!after.contains(key)) note(key, value, nullptr);
  }
  return changes;
}

Json withoutTimestamps(Json object) {
  object.erase("created_at");
  object.erase("updated_at");
  return object;
}

}  // namespace bankcc::api
