// SPDX-License-Identifier: Apache-2.0
#include "api/call.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "base/assert.h"

namespace bankcc::api {

bool Principal::hasRole(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Principal::actsOnTeam(std::string_view teamCode) const {
  if (hasRole("admin")) return true;
  if (teamCode.empty() || !hasRole("supervisor")) return false;
  return std::find(supervisedTeams.begin(), supervisedTeams.end(), teamCode) !=
         supervisedTeams.end();
}

std::optional<std::string_view> QueryParams::get(std::string_view key) const {
  for (const auto& [k, v] : items) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

QueryParams QueryParams::parse(std::string_view query) {
  QueryParams out;
  std::string key;
  std::string value;
  auto decode = [&out](std::string_view raw, std::string& into) {
    std::string plus(raw);
    std::replace(plus.begin(), plus.end(), '+', ' ');
    if (!percentDecode(plus, into)) out.malformed = true;
  };
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    const auto amp = query.find('&', start);
    const auto end = amp == std::string_view::npos ? query.size() : amp;
    const auto pair = query.substr(start, end - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      decode(pair.substr(0, eq), key);
      if (eq == std::string_view::npos) {
        value.clear();
      } else {
        decode(pair.substr(eq + 1), value);
      }
      out.items.emplace_back(key, value);
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return out;
}

Call::Call(const Request& request, const Route& route, PathParams params,
           const Principal* principal, soci::session* db, const CallServices& services,
           std::string requestId)
    : request_(request),
      route_(route),
      params_(std::move(params)),
      principal_(principal),
      db_(db),
      services_(services),
      requestId_(std::move(requestId)),
      query_(QueryParams::parse(request.query)) {}

const Principal& Call::principal() const {
  // Only Public routes run without a principal, and they do not ask for one.
  BANKCC_RELEASE_ASSERT(principal_ != nullptr, "Call::principal() on a public route");
  return *principal_;
}

const std::string& Call::param(std::string_view name) const {
  for (const auto& [k, v] : params_) {
    if (k == name) return v;
  }
  // Handlers ask only for the parameters their own pattern declares.
  BANKCC_RELEASE_ASSERT(false, "Call::param(): no such parameter in the route pattern");
  static const std::string kNone;
  return kNone;
}

soci::session& Call::db() {
  // Only kDatabase routes run on a worker with a session.
  BANKCC_RELEASE_ASSERT(db_ != nullptr, "Call::db() on a route without kDatabase");
  return *db_;
}

base::Status Call::audit(std::string_view action, std::string_view targetType,
                         std::string_view targetId, const nlohmann::json& details,
                         std::string_view outcome) {
  BANKCC_RELEASE_ASSERT(services_.auditKey != nullptr, "Call::audit() without an audit key");
  store::AuditRecord record;
  record.at = services_.clock->now();
  record.actor = principal_ != nullptr ? principal_->username : "-";
  record.sourceAddress = request_.remoteAddress;
  record.action = std::string(action);
  record.targetType = std::string(targetType);
  record.targetId = std::string(targetId);
  record.outcome = std::string(outcome);
  record.details = details.is_object()
                       ? details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                       : "{}";
  record.requestId = requestId_;
  auto stored = store::appendAudit(db(), *services_.auditKey, std::move(record));
  if (!stored.ok()) return std::move(stored).error();
  return {};
}

void Call::publishAfterCommit(events::Payload payload) {
  pending_.push_back(std::move(payload));
}

}  // namespace bankcc::api
