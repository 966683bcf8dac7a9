// SPDX-License-Identifier: Apache-2.0
// REST for queues (/api/v1/queues), not-ready reason codes (/api/v1/reason-codes) and wrap-up
// codes (/api/v1/wrapup-codes).

#include <chrono>

#include "api/org_crud.h"
#include "store/org_codes.h"
#include "store/org_queues.h"

namespace bankcc::api::org {
namespace {

using Json = nlohmann::json;

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
    // Service-level settings have defaults on create (80/20, 5 s); a replacement states them.
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
    o.skills = readList(r, "skills", mode, kMaxCodeBytes);
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
