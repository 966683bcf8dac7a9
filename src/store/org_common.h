// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the organisation repositories (org_*.h) share: pages of lists and the counts a seeder
// needs. Conventions of every repository function:
//   - It takes the caller's soci::session (the caller's thread owns it) and, when it writes,
//     the clock that stamps created_at/updated_at.
//   - Writes run in a Transaction (transaction.h), so they join the caller's transaction when
//     one is open.
//   - Objects are addressed by their code (agents by agent number, users by username).
//   - Errors: ValidationFailed with a message that starts with the API field name and a colon
//     ("skills: unknown skill 'x'"), so the REST layer can fill "fields"; NotFound; Conflict
//     (code taken); VersionMismatch (stale version); BadRequest (a cursor that is not ours);
//     Unavailable / Io / Internal from the database.
//   - Objects are disabled (active = false), never deleted.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace soci {
class session;
}

namespace bankcc::store {

inline constexpr int kDefaultPageLimit = 50;
inline constexpr int kMaxPageLimit = 500;

/// Which page of a list to read. Lists are ordered by code (byte-wise).
struct PageRequest {
  int limit = kDefaultPageLimit;  ///< 1..kMaxPageLimit
  std::string cursor;             ///< empty: the first page; else a Page::nextCursor
  std::optional<bool> active;     ///< only active (true) or disabled (false) objects
};

/// One page of a list and the opaque cursor of the next one (nullopt after the last page).
template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> nextCursor;
};

/// Every object of a list, page by page: `list` is one of the list functions (listQueues,
/// listAgents, listUsers, ...). `active` filters as PageRequest::active does. For start-up and
/// tools, not for request handlers (a list may be long).
template <typename List>
auto listAll(soci::session& session, List list, std::optional<bool> active = std::nullopt)
    -> base::Result<decltype(list(session, PageRequest{}).value().items)> {
  decltype(list(session, PageRequest{}).value().items) out;
  PageRequest request;
  request.limit = kMaxPageLimit;
  request.active = active;
  for (;;) {
    auto page = list(session, request);
    if (!page.ok()) return std::move(page).error();
    for (auto& item : page->items) out.push_back(std::move(item));
    if (!page->nextCursor) return out;
    request.cursor = *page->nextCursor;
  }
}

/// How many objects of each kind exist, disabled ones included.
struct OrgCounts {
  std::int64_t users = 0;
  std::int64_t teams = 0;
  std::int64_t skills = 0;
  std::int64_t agents = 0;
  std::int64_t queues = 0;
  std::int64_t reasonCodes = 0;
  std::int64_t wrapupCodes = 0;
  std::int64_t calendars = 0;

  /// True when the organisation holds nothing (the built-in roles do not count): a seeder may
  /// load config/ then.
  bool empty() const {
    return users == 0 && teams == 0 && skills == 0 && agents == 0 && queues == 0 &&
           reasonCodes == 0 && wrapupCodes == 0 && calendars == 0;
  }
};

/// Counts every organisation table. Errors: Unavailable, Io.
base::Result<OrgCounts> countOrganisation(soci::session& session);

}  // namespace bankcc::store
