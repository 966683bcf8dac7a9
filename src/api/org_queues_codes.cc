// SPDX-License-Identifier: Apache-2.0
// REST for queues (/api/v1/queues), not-ready reason codes (/api/v1/reason-codes) and wrap-up
// codes (/api/v1/wrapup-codes).

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "api/org_crud.h"
#include "store/org_codes.h"
#include "store/org_queues.h"

namespace bankcc::api::org {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxNumberBytes = 32;
constexpr std::size_t kMaxDestinationBytes = 64;
constexpr std::size_t kMaxPromptBytes = 64;
constexpr std::size_t kMaxLanguageBytes = 32;

/// "skill_needs": [{"skill": "retail", "min_proficiency": 1..5 (default 1)}, ...]. nullopt
/// when absent, null or bad (the reader has the errors, named "skill_needs[1].skill").
std::optional<std::vector<store::QueueSkillNeed>> readNeedObjects(FieldReader& r) {
  const Json* value = r.raw("skill_needs");
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_array()) {
    r.fail("skill_needs", "must be an array of {\"skill\", \"min_proficiency\"} objects");
    return std::nullopt;
  }
  if (value->size() > kMaxListItems) {
    r.fail("skill_needs", fmt::format("must have at most {} items", kMaxListItems));
    return std::nullopt;
  }
  std::vector<store::QueueSkillNeed> needs;
  bool ok = true;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    if (!item.is_object()) {
      r.fail(fmt::format("skill_needs[{}]", i), "must be an object");
      ok = false;
      continue;
    }
    FieldReader inner(item, fmt::format("skill_needs[{}].", i));
    auto skill = inner.string("skill", Need::Required, kMaxCodeBytes);
    auto min = inner.integer("min_proficiency", Need::Optional, 1, 5);
    inner.rejectUnknown();
    if (!inner.ok()) {
      r.merge(inner.errors());
      ok = false;
      continue;
    }
    needs.push_back({*skill, static_cast<int>(min.value_or(1))});
  }
  if (!ok) return std::nullopt;
  return needs;
}

std::vector<store::QueueSkillNeed> sortedBySkill(std::vector<store::QueueSkillNeed> needs) {
  std::sort(needs.begin(), needs.end(),
            [](const auto& a, const auto& b) { return a.skill < b.skill; });
  return needs;
}

std::vector<std::string> sorted(std::vector<std::string> codes) {
  std::sort(codes.begin(), codes.end());
  return codes;
}

/// The queue's skill needs from "skill_needs" or from the older "skills" (codes only): optional
/// on create (none), required on replace. Codes from "skills" keep the minimum proficiency
/// `current` has for them, new ones get 1. When a body carries both (a client echoing what GET
/// gave) and they name different skills, the one that differs from `current` is the change;
/// both changed is a 422.
std::vector<store::QueueSkillNeed> readSkillNeeds(FieldReader& r, Mode mode,
                                                  const store::Queue* current) {
  const std::size_t errorsBefore = r.errors().size();
  auto needs = readNeedObjects(r);
  auto codes = r.stringList("skills", Need::Optional, kMaxListItems, kMaxCodeBytes);
  if (r.errors().size() != errorsBefore) return {};
  const auto fromCodes = [&](const std::vector<std::string>& list) {
    std::vector<store::QueueSkillNeed> out;
    for (const std::string& code : list) {
      int min = 1;
      if (current != nullptr) {
        for (const auto& n : current->skillNeeds) {
          if (n.skill == code) min = n.minProficiency;
        }
      }
      out.push_back({code, min});
    }
    return out;
  };
  if (!needs && !codes) {
    if (mode == Mode::Replace) {
      r.fail("skill_needs",
             "is required: the skills an agent needs, such as "
             "[{\"skill\": \"retail\", \"min_proficiency\": 1}]");
    }
    return {};
  }
  if (!codes) return *needs;
  if (!needs) return fromCodes(*codes);
  std::vector<std::string> needCodes;
  for (const auto& n : *needs) needCodes.push_back(n.skill);
  if (sorted(needCodes) == sorted(*codes)) return *needs;
  if (current != nullptr) {
    const bool needsChanged = sortedBySkill(*needs) != current->skillNeeds;
    const bool codesChanged = sorted(*codes) != sorted(current->skillCodes());
    if (needsChanged && !codesChanged) return *needs;
    if (codesChanged && !needsChanged) return fromCodes(*codes);
  }
  r.fail("skills",
         "names other skills than skill_needs; send skill_needs alone (skills is its "
         "older, code-only form)");
  return {};
}

/// "overflow_steps": [{"after_seconds", "kind", "min_proficiency" (widen), "target" (move_to:
/// a queue code; leave_to: a destination)}, ...]. nullopt when missing or bad.
std::optional<std::vector<store::OverflowStep>> readSteps(FieldReader& r, Need need) {
  const Json* value = r.raw("overflow_steps");
  if (value == nullptr || value->is_null()) {
    if (need == Need::Required) r.fail("overflow_steps", "is required");
    return std::nullopt;
  }
  if (!value->is_array()) {
    r.fail("overflow_steps", "must be an array of {\"after_seconds\", \"kind\", ...} objects");
    return std::nullopt;
  }
  if (value->size() > kMaxListItems) {
    r.fail("overflow_steps", fmt::format("must have at most {} items", kMaxListItems));
    return std::nullopt;
  }
  std::vector<store::OverflowStep> steps;
  bool ok = true;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    if (!item.is_object()) {
      r.fail(fmt::format("overflow_steps[{}]", i), "must be an object");
      ok = false;
      continue;
    }
    FieldReader inner(item, fmt::format("overflow_steps[{}].", i));
    store::OverflowStep step;
    const auto after = inner.integer("after_seconds", Need::Required, 1, 86400);
    const auto kindName = inner.string("kind", Need::Required, kMaxCodeBytes);
    std::optional<store::OverflowStep::Kind> kind;
    if (kindName) {
      kind = store::parseOverflowKind(*kindName);
      if (!kind) inner.fail("kind", "must be widen, move_to or leave_to");
    }
    const bool widen = kind == store::OverflowStep::Kind::Widen;
    if (widen) {
      step.minProficiency =
          static_cast<int>(inner.integer("min_proficiency", Need::Required, 1, 5).value_or(1));
      if (const Json* t = inner.raw("target"); t != nullptr && !t->is_null()) {
        inner.fail("target", "a widen step has no target");
      }
    } else if (kind) {
      if (const Json* m = inner.raw("min_proficiency"); m != nullptr && !m->is_null()) {
        inner.fail("min_proficiency", "only widen steps have a min_proficiency");
      }
      const std::size_t max =
          kind == store::OverflowStep::Kind::MoveTo ? kMaxCodeBytes : kMaxDestinationBytes;
      step.target = inner.string("target", Need::Required, max).value_or("");
    } else {
      inner.ignore("min_proficiency");
      inner.ignore("target");
    }
    inner.rejectUnknown();
    if (!inner.ok()) {
      r.merge(inner.errors());
      ok = false;
      continue;
    }
    step.after = std::chrono::seconds{*after};
    step.kind = *kind;
    steps.push_back(std::move(step));
  }
  if (!ok) return std::nullopt;
  return steps;
}

struct QueueResource : ResourceHooks<store::Queue> {
  using Object = store::Queue;
  static constexpr std::string_view kKind = "queue";
  static constexpr std::string_view kCollection = "/api/v1/queues";
  static constexpr std::string_view kKeyField = "code";
  static constexpr Permission kRead = Permission::OrgRead;
  static constexpr Permission kWrite = Permission::OrgWrite;

  static const std::string& keyOf(const Object& o) { return o.code; }
  static base::Result<Json> present(Call& /*call*/, const Object& o) { return toJson(o); }
  static base::Result<store::Page<Object>> list(Call& call, const store::PageRequest& page) {
    return store::listQueues(call.db(), page);
  }
  static base::Result<Object> get(Call& call, std::string_view key) {
    return store::getQueue(call.db(), key);
  }
  static void read(Call& /*call*/, FieldReader& r, Mode mode, const Object* current,
                   std::string_view pathKey, Draft<Object>& draft) {
    Object& o = draft.object;
    // Settings have defaults on create (80/20, 5 s, store/org_queues.h); a replacement states
    // them.
    const Need settings = mode == Mode::Create ? Need::Optional : Need::Required;
    o.code = readKey(r, "code", mode, pathKey, kMaxCodeBytes);
    o.nameZh = r.string("name_zh", Need::Required, kMaxTextBytes).value_or("");
    o.nameEn = r.string("name_en", Need::Required, kMaxTextBytes).value_or("");
    if (auto v = r.integer("service_level_target", settings, 1, 100)) {
      o.serviceLevelTarget = static_cast<int>(*v);
    }
    if (auto v = r.integer("service_level_threshold_seconds", settings, 1, 3600)) {
      o.serviceLevelThreshold = std::chrono::seconds{*v};
    }
    if (auto v = r.integer("short_abandon_seconds", settings, 0, 600)) {
      o.shortAbandon = std::chrono::seconds{*v};
    }
    // Optional on create and replace (absent or null: abandons_against, DOMAIN.md's formula;
    // decision 0026), so that clients written before the field keep working; a merge patch
    // that does not name it keeps the stored one.
    if (auto v = r.string("service_level_variant", Need::Optional, kMaxCodeBytes)) {
      if (auto variant = store::parseServiceLevelVariant(*v)) {
        o.serviceLevelVariant = *variant;
      } else {
        r.fail("service_level_variant",
               "must be ignore_abandons, abandons_against or abandons_in_favour");
      }
    }
    o.skillNeeds = readSkillNeeds(r, mode, current);
    // Routing settings: defaults on create, stated by a replacement. language and fallback are
    // optional in both (null, "" or absent: any language, no fallback) so that a merge patch
    // can clear them with null.
    if (auto v = r.stringList("dnis", settings, kMaxListItems, kMaxNumberBytes)) o.dnis = *v;
    o.language = r.string("language", Need::Optional, kMaxLanguageBytes, true).value_or("");
    if (auto v = r.string("routing_policy", settings, kMaxCodeBytes)) {
      if (auto policy = store::parseRoutingPolicy(*v)) {
        o.routingPolicy = *policy;
      } else {
        r.fail("routing_policy", "must be longest_idle, most_skilled or round_robin");
      }
    }
    if (auto v = r.integer("aging_seconds", settings, 0, 3600)) o.aging = std::chrono::seconds{*v};
    if (auto v = r.integer("max_size", settings, 0, 100000)) o.maxSize = static_cast<int>(*v);
    if (auto v = r.integer("max_wait_seconds", settings, 0, 86400)) {
      o.maxWait = std::chrono::seconds{*v};
    }
    o.fallback = r.string("fallback", Need::Optional, kMaxDestinationBytes, true).value_or("");
    if (auto v = readSteps(r, settings)) o.overflowSteps = std::move(*v);
    if (auto v = r.integer("ring_timeout_seconds", settings, 5, 120)) {
      o.ringTimeout = std::chrono::seconds{*v};
    }
    if (auto v = r.integer("wrap_up_seconds", settings, 0, 1800)) {
      o.wrapUp = std::chrono::seconds{*v};
    }
    if (auto v = r.boolean("ready_after_wrap_up", settings)) o.readyAfterWrapUp = *v;
    if (auto v = r.string("music", settings, kMaxPromptBytes)) o.music = *v;
    if (auto v = r.string("closed_prompt", settings, kMaxPromptBytes)) o.closedPrompt = *v;
    if (auto v = r.integer("average_handle_seconds", settings, 1, 3600)) {
      o.averageHandleTime = std::chrono::seconds{*v};
    }
    // Like fallback (decision 0014): null, "" or absent is no calendar (always open), so that
    // a merge patch clears it with null. An unknown code is a 404 from the store (0021).
    o.calendar = r.string("calendar", Need::Optional, kMaxCodeBytes, true).value_or("");
    o.active = readActive(r, current == nullptr || current->active);
    o.version = readVersion(r, mode);
    ignoreTimestamps(r);
  }
  static base::Result<Object> create(Call& call, const Draft<Object>& draft) {
    return store::createQueue(call.db(), call.clock(), draft.object);
  }
  static base::Result<Object> update(Call& call, const Object& o) {
    return store::updateQueue(call.db(), call.clock(), o);
  }
  static base::Result<Object> setActive(Call& call, std::string_view key, bool active,
                                        std::int64_t version) {
    return store::setQueueActive(call.db(), call.clock(), key, active, version);
  }
  static std::optional<Response> vetWithCore(Call& call, const Object& after) {
    CtiService* core = coreOf(call);
    return core != nullptr ? vetoResponse(core->vetQueue(after)) : std::nullopt;
  }
};

/// Reason codes and wrap-up codes: the same shape in two lists.
template <store::CodeKind K>
struct CodeResource : ResourceHooks<store::LabelledCode> {
  using Object = store::LabelledCode;
  static constexpr std::string_view kKind =
      K == store::CodeKind::Reason ? "reason_code" : "wrapup_code";
  static constexpr std::string_view kCollection =
      K == store::CodeKind::Reason ? "/api/v1/reason-codes" : "/api/v1/wrapup-codes";
  static constexpr std::string_view kKeyField = "code";
  static constexpr Permission kRead = Permission::OrgRead;
  static constexpr Permission kWrite = Permission::OrgWrite;

  static const std::string& keyOf(const Object& o) { return o.code; }
  static base::Result<Json> present(Call& /*call*/, const Object& o) { return toJson(o); }
  static base::Result<store::Page<Object>> list(Call& call, const store::PageRequest& page) {
    return store::listCodes(call.db(), K, page);
  }
  static base::Result<Object> get(Call& call, std::string_view key) {
    return store::getCode(call.db(), K, key);
  }
  static void read(Call& /*call*/, FieldReader& r, Mode mode, const Object* current,
                   std::string_view pathKey, Draft<Object>& draft) {
    Object& o = draft.object;
    o.code = readKey(r, "code", mode, pathKey, kMaxCodeBytes);
    o.labelZh = r.string("label_zh", Need::Required, kMaxTextBytes).value_or("");
    o.labelEn = r.string("label_en", Need::Required, kMaxTextBytes).value_or("");
    o.active = readActive(r, current == nullptr || current->active);
    o.version = readVersion(r, mode);
    ignoreTimestamps(r);
  }
  static base::Result<Object> create(Call& call, const Draft<Object>& draft) {
    return store::createCode(call.db(), call.clock(), K, draft.object);
  }
  static base::Result<Object> update(Call& call, const Object& o) {
    return store::updateCode(call.db(), call.clock(), K, o);
  }
  static base::Result<Object> setActive(Call& call, std::string_view key, bool active,
                                        std::int64_t version) {
    return store::setCodeActive(call.db(), call.clock(), K, key, active, version);
  }
};

}  // namespace

void registerQueueRoutes(Router& router) {
  addResourceRoutes<QueueResource>(router);
}

void registerCodeRoutes(Router& router) {
  addResourceRoutes<CodeResource<store::CodeKind::Reason>>(router);
  addResourceRoutes<CodeResource<store::CodeKind::Wrapup>>(router);
}

}  // namespace bankcc::api::org
