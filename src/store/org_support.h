// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to store: validation, paging and the statements every organisation repository
// shares. Table and column names come only from the fixed table below and the repositories'
// constant SELECTs and key columns, never from input.

#include <fmt/format.h>
#include <soci/soci.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/org_common.h"
#include "store/sql_error.h"
#include "store/transaction.h"

namespace bankcc::store::detail {

/// The organisation tables that have a unique key column and a `version`; all but Calendars
/// also have an `active` flag (setActiveRow() is not for calendars).
enum class OrgTable { Users, Teams, Skills, Agents, Queues, ReasonCodes, WrapupCodes, Calendars };

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
/// A lower-case language tag: a primary subtag of 2-3 letters and optional subtags of 2-8
/// letters or digits ("zh", "en", "yue", "zh-min").
bool isLanguageTag(std::string_view tag);
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

/// `select` + " WHERE <keyColumn> > :after[ AND active = :active] ORDER BY <keyColumn> LIMIT
/// :limit". A `keyColumn` with a table alias ("a.agent_no") filters on the same alias's active.
std::string pageSql(std::string_view select, std::string_view keyColumn,
                    const PageRequest& request);

/// For a list without child lists to load.
struct NoChildren {
  template <typename T>
  void operator()(std::vector<T>& /*page*/) const {}
};

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
/// Conflict "<noun> '<key>' already exists" when a row has `key`.
base::Status checkKeyFree(soci::session& session, OrgTable table, std::string_view key);
/// The number of rows in `table`.
std::int64_t countRows(soci::session& session, OrgTable table);

// --- the shapes every repository function shares

/// The whole of list<Objects>(): one page of `select` in the order of `keyColumn` (see
/// pageSql()), read into a Row (a struct with bind(prepare_temp_type&), the columns of
/// `select` in order) and converted by `convert`. `key` is the object's member that holds
/// `keyColumn`; `fillChildren(page)` loads the child lists of a non-empty page. `doing` names
/// the work for errors ("listing skills"). Errors: ValidationFailed (limit), BadRequest
/// (cursor), as sqlError().
template <typename Row, typename T, typename FillChildren = NoChildren>
base::Result<Page<T>> listPage(soci::session& session, const PageRequest& request,
                               std::string_view doing, std::string_view select,
                               std::string_view keyColumn, T (Row::*convert)() const,
                               std::string T::*key, FillChildren fillChildren = {}) {
  auto limit = checkLimit(request.limit);
  if (!limit.ok()) return std::move(limit).error();
  auto after = decodeCursor(request.cursor);
  if (!after.ok()) return std::move(after).error();
  return guarded(session, doing, [&]() -> base::Result<Page<T>> {
    Row row;
    const int fetch = *limit + 1;
    const int active = request.active.value_or(true) ? 1 : 0;
    soci::details::prepare_temp_type p = (session.prepare << pageSql(select, keyColumn, request),
                                          soci::use(*after, "after"), soci::use(fetch, "limit"));
    if (request.active) p, soci::use(active, "active");
    row.bind(p);
    soci::statement st(p);
    st.execute();
    std::vector<T> rows;
    while (st.fetch()) rows.push_back(std::invoke(convert, row));
    if (!rows.empty()) fillChildren(rows);
    return makePage(std::move(rows), *limit, [&](const T& object) { return object.*key; });
  });
}

/// The row of `select` whose `keyColumn` is `key`, read into a Row and converted as in
/// listPage(); nullopt when there is none. Throws soci errors: call inside guarded().
template <typename Row, typename T>
std::optional<T> findRow(soci::session& session, std::string_view select,
                         std::string_view keyColumn, std::string_view key,
                         T (Row::*convert)() const) {
  Row row;
  const std::string k(key);
  soci::details::prepare_temp_type p =
      (session.prepare << fmt::format("{} WHERE {} = :key", select, keyColumn),
       soci::use(k, "key"));
  row.bind(p);
  soci::statement st(p);
  if (!st.execute(true)) return std::nullopt;
  return std::invoke(convert, row);
}

/// Runs `f` (returning a base::Result) in a Transaction and commits when it succeeds; an error
/// or an exception rolls back. Errors: those of `f`, of the transaction, and sqlError(...) for
/// an exception, as guarded().
template <typename F>
auto guardedTransaction(soci::session& session, std::string_view doing, F&& f) -> decltype(f()) {
  return guarded(session, doing, [&]() -> decltype(f()) {
    auto tx = Transaction::begin(session);
    if (!tx.ok()) return std::move(tx).error();
    auto result = f();
    if (result.ok()) BANKCC_TRY(tx->commit());
    return result;
  });
}

/// The whole of set<Object>Active(): sets `active` of `key` as setActiveRow() does and returns
/// `reread()` (the object as it is now), in one transaction. Errors as setActiveRow() and
/// guardedTransaction().
template <typename Reread>
auto setActiveAndReread(soci::session& session, const base::Clock& clock, OrgTable table,
                        std::string_view key, bool active, std::int64_t expected, Reread reread)
    -> decltype(reread()) {
  const std::string doing =
      fmt::format("{} {} {}", active ? "enabling" : "disabling", nounOf(table), quoted(key));
  return guardedTransaction(session, doing, [&]() -> decltype(reread()) {
    BANKCC_TRY(setActiveRow(session, clock, table, key, active, expected));
    return reread();
  });
}

}  // namespace bankcc::store::detail
