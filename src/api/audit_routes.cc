// SPDX-License-Identifier: Apache-2.0
// GET /api/v1/audit (search the audit log) and /api/v1/audit/verify (check its chain), for
// auditors.

#include <nlohmann/json.hpp>

#include "api/audit_routes.h"
#include "api/json_io.h"
#include "store/audit_log.h"

namespace bankcc::api {

using json = nlohmann::json;

namespace {

json recordJson(const store::AuditRecord& r) {
  json details = json::parse(r.details, nullptr, false);
  if (details.is_discarded()) details = json::object();
  return json{{"seq", r.seq},
              {"id", r.id},
              {"at", formatTimestamp(r.at)},
              {"actor", r.actor},
              {"source_address", r.sourceAddress},
              {"action", r.action},
              {"target_type", r.targetType},
              {"target_id", r.targetId},
              {"outcome", r.outcome},
              {"details", std::move(details)},
              {"request_id", r.requestId},
              {"hash", r.hash}};
}

Response listAuditRoute(Call& call) {
  const auto& q = call.query();
  if (q.malformed) return errorResponse(400, "bad_request", "malformed query string");
  auto page = parsePageRequest(q);
  if (auto* bad = std::get_if<Response>(&page)) return std::move(*bad);
  const auto& request = std::get<store::PageRequest>(page);
  if (request.active) {
    return validationFailed({{"active", "the audit log has no active filter"}});
  }
  store::AuditQuery query;
  query.limit = request.limit;
  query.cursor = request.cursor;
  std::vector<FieldError> fields;
  auto time = [&](std::string_view name) -> std::optional<base::SysTime> {
    auto v = q.get(name);
    if (!v) return std::nullopt;
    auto t = parseTimestamp(*v);
    if (!t) fields.push_back({std::string(name), "must be an RFC 3339 time"});
    return t;
  };
  query.from = time("from");
  query.to = time("to");
  auto text = [&](std::string_view name, std::string& into) {
    if (auto v = q.get(name)) {
      if (v->size() > 256) {
        fields.push_back({std::string(name), "must be at most 256 bytes"});
      } else {
        into = std::string(*v);
      }
    }
  };
  text("actor", query.actor);
  text("action", query.action);
  text("target_type", query.targetType);
  text("target_id", query.targetId);
  text("outcome", query.outcome);
  if (!query.outcome.empty() && query.outcome != "success" && query.outcome != "failure" &&
      query.outcome != "denied") {
    fields.push_back({"outcome", "must be success, failure or denied"});
  }
  static const std::vector<std::string> known{
      "from", "to", "actor", "action", "target_type", "target_id", "outcome", "limit", "cursor"};
  for (const auto& [k, v] : q.items) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      fields.push_back({k, "unknown query parameter"});
    }
  }
  if (!fields.empty()) return validationFailed(fields);
  auto result = store::listAudit(call.db(), query);
  if (!result.ok()) return errorFrom(result.error());
  json items = json::array();
  for (const auto& r : result->items) items.push_back(recordJson(r));
  return pageResponse(std::move(items), result->nextCursor);
}

}  // namespace

void registerAuditRoutes(Router& router, const store::AuditKey& key) {
  router.add({"GET", "/api/v1/audit", Permission::AuditRead, kDatabase, listAuditRoute,
              "Search the audit log, newest first"});
  router.add(
      {"GET", "/api/v1/audit/verify", Permission::AuditRead, kDatabase,
       [&key](Call& call) {
         auto result = store::verifyAudit(call.db(), key);
         if (!result.ok()) return errorFrom(result.error());
         json body{{"ok", result->ok}, {"records", result->records}, {"last_seq", result->lastSeq}};
         if (!result->ok) {
           body["first_bad_seq"] = result->firstBadSeq;
           body["problem"] = result->problem;
         }
         return jsonResponse(200, dumpJson(body));
       },
       "Check the audit chain: links, hashes and signatures"});
}

}  // namespace bankcc::api
