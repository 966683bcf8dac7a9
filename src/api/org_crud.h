// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to the org routes: the handlers every organisation resource shares (list, get,
// create, replace, merge-patch, disable, enable), written once over a Resource description,
// and the transaction that puts a change, its audit record and its ConfigChanged event
// together.
//
// A Resource is a struct of static members (see org_queues_codes.cc for the simplest):
//   using Object;                          the store type
//   kKind        "queue"                   audit target type, event kind, action prefix
//   kCollection  "/api/v1/queues"
//   kKeyField    "code"                    JSON field and path parameter holding the key
//   kRead, kWrite                          permissions
//   keyOf(o), present(call, o) -> Result<json>, list(call, page), get(call, key),
//   read(call, reader, mode, current, pathKey, draft)   fills draft.object from a body
//   create(call, draft), update(call, object), setActive(call, key, active, version)
//   and, inherited from ResourceHooks unless replaced: prepare, checkWrite, afterWrite.
// Threads: handlers run on the worker thread of their Call.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "api/call.h"
#include "api/cti_service.h"
#include "api/json_io.h"
#include "api/org_json.h"
#include "api/router.h"
#include "base/result.h"
#include "store/org_common.h"

namespace bankcc::api::org {

/// Byte limits checked before the store sees a value, so that a megabyte string gets a clean
/// 422 (the store checks the real rules: characters, 100-character names, ...).
inline constexpr std::size_t kMaxCodeBytes = 32;
inline constexpr std::size_t kMaxUsernameBytes = 64;
inline constexpr std::size_t kMaxTextBytes = 400;
inline constexpr std::size_t kMaxListItems = 100;
inline constexpr std::int64_t kMaxVersion = std::numeric_limits<std::int64_t>::max();

/// What a body is read for: a new object (POST) or a replacement (PUT, PATCH).
enum class Mode { Create, Replace };

/// An object read from a request body, and what a user's creation brings besides.
template <typename Object>
struct Draft {
  Object object{};
  std::optional<std::string> password;      ///< users, on create: the initial password
  std::optional<std::string> passwordHash;  ///< its hash, made by prepare() before the write
};

/// Hooks a Resource may replace (by declaring a static member of the same name).
template <typename Object>
struct ResourceHooks {
  /// Work after validation and before the transaction (slow work such as hashing).
  static base::Status prepare(Call& /*call*/, Draft<Object>& /*draft*/) { return {}; }
  /// A ValidationFailed error ("field: message") when the caller may not make this change.
  /// `before` is null on create.
  static std::optional<base::Error> checkWrite(Call& /*call*/, const Object* /*before*/,
                                               const Object& /*after*/) {
    return std::nullopt;
  }
  /// Further writes in the same transaction after the object changed (e.g. ending sessions).
  static base::Status afterWrite(Call& /*call*/, const Object& /*before*/,
                                 const Object& /*after*/) {
    return {};
  }
  /// Asks the call-control core whether it can take the change (decision 0023), inside the
  /// transaction before it commits: its veto as a 409 rolls everything back.
  static std::optional<Response> vetWithCore(Call& /*call*/, const Object& /*after*/) {
    return std::nullopt;
  }
};

/// The call-control core of `call`'s server, or null when none runs.
CtiService* coreOf(Call& call);
/// 409 {code, message} for the core's veto; nullopt for none.
std::optional<Response> vetoResponse(const std::optional<callctl::OrgVeto>& veto);

// --- shared pieces of bodies (org_crud.cc)

/// The object's key: required on create; on replace optional, but when present it must equal
/// `pathKey`. Returns the key to use (pathKey on replace).
std::string readKey(FieldReader& reader, std::string_view field, Mode mode,
                    std::string_view pathKey, std::size_t maxBytes);
/// "active": optional; defaults to true on create and to `current` on replace.
bool readActive(FieldReader& reader, bool current);
/// "version": required on replace (>= 1); ignored on create (the store assigns it). 0 when
/// missing or bad (the reader has the error).
std::int64_t readVersion(FieldReader& reader, Mode mode);
/// Ignores created_at and updated_at, which clients may echo back.
void ignoreTimestamps(FieldReader& reader);
/// A list of strings (each 1..maxBytes), required on replace and optional (default empty) on
/// create.
std::vector<std::string> readList(FieldReader& reader, std::string_view field, Mode mode,
                                  std::size_t maxBytesEach);

/// The result of the write inside commitWrite's transaction.
struct Written {
  std::string key;         ///< code, agent number or username
  nlohmann::json object;   ///< the object as the response shows it
  nlohmann::json details;  ///< the audit record's details (no secrets)
  std::int64_t version = 0;
};
/// An early answer (validation, not found, ...) or what was written.
using WriteOutcome = std::variant<Written, Response>;

struct WriteSpec {
  std::string_view kind;    ///< "queue": audit target type and event kind
  std::string_view action;  ///< "queue.updated"
  /// event change: "created", "updated", "disabled", "enabled", "deleted"
  std::string_view change;
  int status = 200;             ///< 201 for create (adds Location); 204: no body (delete)
  std::string_view collection;  ///< for Location: "/api/v1/queues"
};

/// Runs `write` in a store::Transaction on call.db(), audits its result, commits, and queues
/// a ConfigChanged event; any early answer or error rolls everything back.
Response commitWrite(Call& call, const WriteSpec& spec, const std::function<WriteOutcome()>& write);

/// The JSON of a body as an object, or the error response.
inline const nlohmann::json* bodyOf(const std::variant<nlohmann::json, Response>& parsed) {
  return std::get_if<nlohmann::json>(&parsed);
}

// --- the shared handlers

template <typename R>
Response listObjects(Call& call) {
  auto page = parsePageRequest(call.query());
  if (auto* bad = std::get_if<Response>(&page)) return std::move(*bad);
  auto result = R::list(call, std::get<store::PageRequest>(page));
  if (!result.ok()) return errorFrom(result.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& object : result->items) {
    auto json = R::present(call, object);
    if (!json.ok()) return errorFrom(json.error());
    items.push_back(std::move(*json));
  }
  return pageResponse(std::move(items), result->nextCursor);
}

template <typename R>
Response getObject(Call& call) {
  auto object = R::get(call, call.param(R::kKeyField));
  if (!object.ok()) return errorFrom(object.error());
  auto json = R::present(call, *object);
  if (!json.ok()) return errorFrom(json.error());
  return jsonResponse(200, dumpJson(*json));
}

template <typename R>
Response createObject(Call& call) {
  const auto parsed = parseJsonObject(call.request());
  const nlohmann::json* body = bodyOf(parsed);
  if (body == nullptr) return std::get<Response>(parsed);
  FieldReader reader(*body);
  Draft<typename R::Object> draft;
  R::read(call, reader, Mode::Create, nullptr, {}, draft);
  if (auto bad = reader.finish()) return std::move(*bad);
  if (auto refused = R::checkWrite(call, nullptr, draft.object)) return errorFrom(*refused);
  if (auto prepared = R::prepare(call, draft); !prepared.ok()) return errorFrom(prepared.error());
  const std::string action = std::string(R::kKind) + ".created";
  return commitWrite(
      call, {R::kKind, action, "created", 201, R::kCollection}, [&]() -> WriteOutcome {
        auto created = R::create(call, draft);
        if (!created.ok()) return errorFrom(created.error());
        auto json = R::present(call, *created);
        if (!json.ok()) return errorFrom(json.error());
        return Written{R::keyOf(*created), *json, withoutTimestamps(*json), created->version};
      });
}

/// Replaces `before` with the object `body` describes (PUT, and PATCH after merging).
template <typename R>
WriteOutcome replaceWith(Call& call, const typename R::Object& before,
                         const nlohmann::json& beforeJson, const nlohmann::json& body) {
  FieldReader reader(body);
  Draft<typename R::Object> draft;
  R::read(call, reader, Mode::Replace, &before, R::keyOf(before), draft);
  if (auto bad = reader.finish()) return std::move(*bad);
  if (auto refused = R::checkWrite(call, &before, draft.object)) return errorFrom(*refused);
  auto after = R::update(call, draft.object);
  if (!after.ok()) return errorFrom(after.error());
  if (auto done = R::afterWrite(call, before, *after); !done.ok()) return errorFrom(done.error());
  if (auto vetoed = R::vetWithCore(call, *after)) return std::move(*vetoed);
  auto afterJson = R::present(call, *after);
  if (!afterJson.ok()) return errorFrom(afterJson.error());
  return Written{R::keyOf(*after), *afterJson, changedFields(beforeJson, *afterJson),
                 after->version};
}

template <typename R>
Response replaceObject(Call& call) {
  const auto parsed = parseJsonObject(call.request());
  const nlohmann::json* body = bodyOf(parsed);
  if (body == nullptr) return std::get<Response>(parsed);
  const std::string action = std::string(R::kKind) + ".updated";
  return commitWrite(call, {R::kKind, action, "updated", 200, R::kCollection},
                     [&]() -> WriteOutcome {
                       auto before = R::get(call, call.param(R::kKeyField));
                       if (!before.ok()) return errorFrom(before.error());
                       auto beforeJson = R::present(call, *before);
                       if (!beforeJson.ok()) return errorFrom(beforeJson.error());
                       return replaceWith<R>(call, *before, *beforeJson, *body);
                     });
}

/// PATCH: the body is a JSON merge patch (RFC 7396) of the object's JSON; the result is then
/// validated as a PUT body. The patch must carry "version".
template <typename R>
Response patchObject(Call& call) {
  const auto parsed = parseJsonObject(call.request());
  const nlohmann::json* patch = bodyOf(parsed);
  if (patch == nullptr) return std::get<Response>(parsed);
  if (!patch->contains("version")) return validationFailed({{"version", "is required"}});
  const std::string action = std::string(R::kKind) + ".updated";
  return commitWrite(call, {R::kKind, action, "updated", 200, R::kCollection},
                     [&]() -> WriteOutcome {
                       auto before = R::get(call, call.param(R::kKeyField));
                       if (!before.ok()) return errorFrom(before.error());
                       auto beforeJson = R::present(call, *before);
                       if (!beforeJson.ok()) return errorFrom(beforeJson.error());
                       nlohmann::json merged = *beforeJson;
                       mergePatch(merged, *patch);
                       return replaceWith<R>(call, *before, *beforeJson, merged);
                     });
}

/// POST .../disable and .../enable with {"version": n}.
template <typename R, bool kActive>
Response setObjectActive(Call& call) {
  const auto parsed = parseJsonObject(call.request());
  const nlohmann::json* body = bodyOf(parsed);
  if (body == nullptr) return std::get<Response>(parsed);
  FieldReader reader(*body);
  const auto version = reader.integer("version", Need::Required, 1, kMaxVersion);
  if (auto bad = reader.finish()) return std::move(*bad);
  const std::string_view change = kActive ? "enabled" : "disabled";
  const std::string action = std::string(R::kKind) + "." + std::string(change);
  return commitWrite(call, {R::kKind, action, change, 200, R::kCollection}, [&]() -> WriteOutcome {
    const std::string& key = call.param(R::kKeyField);
    auto before = R::get(call, key);
    if (!before.ok()) return errorFrom(before.error());
    auto proposed = *before;
    proposed.active = kActive;
    if (auto refused = R::checkWrite(call, &*before, proposed)) {
      return errorFrom(*refused);
    }
    auto beforeJson = R::present(call, *before);
    if (!beforeJson.ok()) return errorFrom(beforeJson.error());
    auto after = R::setActive(call, key, kActive, *version);
    if (!after.ok()) return errorFrom(after.error());
    if (auto done = R::afterWrite(call, *before, *after); !done.ok()) {
      return errorFrom(done.error());
    }
    if (auto vetoed = R::vetWithCore(call, *after)) return std::move(*vetoed);
    auto afterJson = R::present(call, *after);
    if (!afterJson.ok()) return errorFrom(afterJson.error());
    return Written{R::keyOf(*after), *afterJson, changedFields(*beforeJson, *afterJson),
                   after->version};
  });
}

/// "reason codes" for "reason_code".
std::string pluralNoun(std::string_view kind);

/// Registers the seven routes of resource R.
template <typename R>
void addResourceRoutes(Router& router) {
  const std::string collection(R::kCollection);
  const std::string item = collection + "/{" + std::string(R::kKeyField) + "}";
  const std::string noun(pluralNoun(R::kKind));
  auto add = [&](const char* method, std::string pattern, Permission permission, Handler handler,
                 std::string summary) {
    // Creating a user may hash an initial password: that runs on the password pool.
    const bool hashes = R::kKind == std::string_view("user") &&
                        std::string_view(method) == "POST" && pattern == collection;
    const bool read = std::string_view(method) == "GET";
    router.add(Route{.method = method,
                     .pattern = std::move(pattern),
                     .permission = permission,
                     .flags = hashes ? (kDatabase | kPasswordWork)
                                     : (read ? (kDatabase | kQuickRead) : kDatabase),
                     .handler = std::move(handler),
                     .summary = std::move(summary)});
  };
  add("GET", collection, R::kRead, &listObjects<R>, "List " + noun);
  add("POST", collection, R::kWrite, &createObject<R>, "Create one of the " + noun);
  add("GET", item, R::kRead, &getObject<R>, "Read one of the " + noun);
  add("PUT", item, R::kWrite, &replaceObject<R>, "Replace one of the " + noun);
  add("PATCH", item, R::kWrite, &patchObject<R>, "Change one of the " + noun + " (merge patch)");
  add("POST", item + "/disable", R::kWrite, &setObjectActive<R, false>,
      "Disable one of the " + noun);
  add("POST", item + "/enable", R::kWrite, &setObjectActive<R, true>, "Enable one of the " + noun);
}

// --- per resource (one file each pair)

void registerTeamRoutes(Router& router);
void registerSkillRoutes(Router& router);
void registerQueueRoutes(Router& router);
void registerCodeRoutes(Router& router);
void registerAgentRoutes(Router& router);
void registerUserRoutes(Router& router);
/// Business-hours calendars (org_calendars.cc): the shared routes but disable and enable, and
/// DELETE.
void registerCalendarRoutes(Router& router);

}  // namespace bankcc::api::org
