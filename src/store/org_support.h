// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to store: validation, paging and the statements every organisation repository
// shares. Table and column names come only from the fixed table below, never from input.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/org_common.h"

namespace soci {
class session;
}

namespace bankcc::store::detail {

/// The organisation tables that have a unique key column, an `active` flag and a `version`.
enum class OrgTable { Users, Teams, Skills, Agents, Queues, ReasonCodes, WrapupCodes };

/// "skill", "reason code", ... for messages.
std::string_view nounOf(OrgTable table);

// --- validation: each returns a ValidationFailed error naming `field`, or nothing.

inline constexpr std::size_t kMaxCodeLength = 32;
inline constexpr std::size_t kMaxNameChars = 100;

/// A code: 1-32 characters of a-z, 0-9 and _.
std::optional<base::Error> checkCode(std::string_view field, std::string_view value);
/// A name or label: valid UTF-8, 1-100 characters, no control characters, not only spaces.
std::optional<base::Error> checkName(std::string_view field, std::string_view value);
/// A username: 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit.
std::optional<base::Error> checkUsername(std::string_view field, std::string_view value);
/// ValidationFailed "<field>: <message>".
base::Error invalid(std::string_view field, std::string_view message);
/// `value` in single quotes for a message, cut at 40 characters, control characters as '?'.
std::string quoted(std::string_view value);

// --- time

long long toMicros(base::SysTime t);
base::SysTime fromMicros(long long micros);

// --- paging

/// The limit when it is within 1..kMaxPageLimit; ValidationFailed "limit: …" otherwise.
base::Result<int> checkLimit(int limit);
/// The opaque cursor that continues after `lastKey`.
std::string encodeCursor(std::string_view lastKey);
/// The key a cursor continues after ("" for an empty cursor). BadRequest when `cursor` was not
/// made by encodeCursor.
base::Result<std::string> decodeCursor(std::string_view cursor);

/// Turns up to limit + 1 rows into a page: the extra row only says that there is a next page.
template <typename T, typename KeyFn>
Page<T> makePage(std::vector<T> rows, int limit, KeyFn key) {
  Page<T> page;
  if (rows.size() > static_cast<std::size_t>(limit)) {
    rows.resize(static_cast<std::size_t>(limit));
    page.nextCursor = encodeCursor(key(rows.back()));
  }
  page.items = std::move(rows);
  return page;
}

/// The SQL condition for PageRequest::active: "" or " AND <alias>active = :active".
std::string activeFilter(const PageRequest& request, std::string_view alias = "");

// --- statements on any OrgTable (these throw soci errors: call inside guarded()).

/// The integer key of the row with `key`, if any.
std::optional<long long> idOf(soci::session& session, OrgTable table, std::string_view key);
/// The version of the row with `key`, if any.
std::optional<long long> versionOf(soci::session& session, OrgTable table, std::string_view key);
/// NotFound or VersionMismatch for an update of `key` that expected `expected` but changed no
/// row.
base::Error missingOrStale(soci::session& session, OrgTable table, std::string_view key,
                           std::int64_t expected);
/// NotFound "no <noun> '<key>'".
base::Error notFound(OrgTable table, std::string_view key);
/// Sets `active` of `key` when its version is `expected`, bumping version and updated_at.
/// NotFound / VersionMismatch as missingOrStale().
base::Status setActiveRow(soci::session& session, const base::Clock& clock, OrgTable table,
                          std::string_view key, bool active, std::int64_t expected);
/// Bumps version and updated_at of `key` when its version is `expected` (for changes that touch
/// only child tables, such as replacing a user's roles).
base::Status touchRow(soci::session& session, const base::Clock& clock, OrgTable table,
                      std::string_view key, std::int64_t expected);
/// The number of rows in `table`.
std::int64_t countRows(soci::session& session, OrgTable table);

}  // namespace bankcc::store::detail
