// SPDX-License-Identifier: Apache-2.0
// REST for teams (/api/v1/teams) and skills (/api/v1/skills).

#include "api/org_crud.h"
#include "store/org_skills.h"
#include "store/org_teams.h"

namespace bankcc::api::org {
namespace {

using Json = nlohmann::json;

struct TeamResource : ResourceHooks<store::Team> {
  using Object = store::Team;
  static constexpr std::string_view kKind = "team";
  static constexpr std::string_view kCollection = "/api/v1/teams";
  static constexpr std::string_view kKeyField = "code";
  static constexpr Permission kRead = Permission::OrgRead;
  static constexpr Permission kWrite = Permission::OrgWrite;

  static const std::string& keyOf(const Object& o) { return o.code; }
  static base::Result<Json> present(Call& /*call*/, const Object& o) { return toJson(o); }
  static base::Result<store::Page<Object>> list(Call& call, const store::PageRequest& page) {
    return store::listTeams(call.db(), page);
  }
  static base::Result<Object> get(Call& call, std::string_view key) {
    return store::getTeam(call.db(), key);
  }
  static void read(Call& /*call*/, FieldReader& r, Mode mode, const Object* current,
                   std::string_view pathKey, Draft<Object>& draft) {
    Object& o = draft.object;
    o.code = readKey(r, "code", mode, pathKey, kMaxCodeBytes);
    o.name = r.string("name", Need::Required, kMaxTextBytes).value_or("");
    o.supervisors = readList(r, "supervisors", mode, kMaxUsernameBytes);
    o.active = readActive(r, current == nullptr || current->active);
    o.version = readVersion(r, mode);
    ignoreTimestamps(r);
  }
  static base::Result<Object> create(Call& call, const Draft<Object>& draft) {
    return store::createTeam(call.db(), call.clock(), draft.object);
  }
  static base::Result<Object> update(Call& call, const Object& o) {
    return store::updateTeam(call.db(), call.clock(), o);
  }
  static base::Result<Object> setActive(Call& call, std::string_view key, bool active,
                                        std::int64_t version) {
    return store::setTeamActive(call.db(), call.clock(), key, active, version);
  }
};

struct SkillResource : ResourceHooks<store::Skill> {
  using Object = store::Skill;
  static constexpr std::string_view kKind = "skill";
  static constexpr std::string_view kCollection = "/api/v1/skills";
  static constexpr std::string_view kKeyField = "code";
  static constexpr Permission kRead = Permission::OrgRead;
  static constexpr Permission kWrite = Permission::OrgWrite;

  static const std::string& keyOf(const Object& o) { return o.code; }
  static base::Result<Json> present(Call& /*call*/, const Object& o) { return toJson(o); }
  static base::Result<store::Page<Object>> list(Call& call, const store::PageRequest& page) {
    return store::listSkills(call.db(), page);
  }
  static base::Result<Object> get(Call& call, std::string_view key) {
    return store::getSkill(call.db(), key);
  }
  static void read(Call& /*call*/, FieldReader& r, Mode mode, const Object* current,
                   std::string_view pathKey, Draft<Object>& draft) {
    Object& o = draft.object;
    o.code = readKey(r, "code", mode, pathKey, kMaxCodeBytes);
    o.nameZh = r.string("name_zh", Need::Required, kMaxTextBytes).value_or("");
    o.nameEn = r.string("name_en", Need::Required, kMaxTextBytes).value_or("");
    o.active = readActive(r, current == nullptr || current->active);
    o.version = readVersion(r, mode);
    ignoreTimestamps(r);
  }
  static base::Result<Object> create(Call& call, const Draft<Object>& draft) {
    return store::createSkill(call.db(), call.clock(), draft.object);
  }
  static base::Result<Object> update(Call& call, const Object& o) {
    return store::updateSkill(call.db(), call.clock(), o);
  }
  static base::Result<Object> setActive(Call& call, std::string_view key, bool active,
                                        std::int64_t version) {
    return store::setSkillActive(call.db(), call.clock(), key, active, version);
  }
};

}  // namespace

void registerTeamRoutes(Router& router) {
  addResourceRoutes<TeamResource>(router);
}

void registerSkillRoutes(Router& router) {
  addResourceRoutes<SkillResource>(router);
}

}  // namespace bankcc::api::org
