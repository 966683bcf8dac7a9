// SPDX-License-Identifier: Apache-2.0
#pragma once

// Test support for store_test: every database test runs once on SQLite (a real file in a
// TempDir) and once on PostgreSQL (a fresh database on the ctest fixture's server).

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"
#include "store/org_common.h"
#include "support/test_env.h"

namespace bankcc::store {

/// Shows a Backend in test output ("Sqlite", not its bytes).
inline void PrintTo(Backend backend, std::ostream* os) {
  *os << (backend == Backend::Sqlite ? "Sqlite" : "Postgres");
}

}  // namespace bankcc::store

namespace bankcc::store::testing {

/// "Sqlite" / "Postgres", for test names.
std::string backendName(const ::testing::TestParamInfo<Backend>& info);

/// A database URL of `backend` for a fresh, empty database, or nullopt when PostgreSQL is not
/// available. `dir` holds the SQLite file.
std::optional<std::string> freshDatabaseUrl(Backend backend, const bankcc::testing::TempDir& dir);

/// Opens a fresh database of the parameter's backend. When PostgreSQL is not available the
/// test is skipped, or fails when BANKCC_REQUIRE_PG=1.
class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;

  soci::session& session() { return *session_; }
  /// Another connection to the same database.
  std::unique_ptr<soci::session> connectAgain();

  base::ManualClock clock_;
  bankcc::testing::TempDir dir_{"store"};
  std::string url_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<soci::session> session_;
};

/// StoreTest with the built-in migrations applied.
class MigratedStoreTest : public StoreTest {
 protected:
  void SetUp() override;
};

/// Success, or a failure showing the error.
template <typename T>
::testing::AssertionResult isOk(const base::Result<T>& r) {
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.error().describe();
}

/// An error with `code` whose message contains `text`.
template <typename T>
::testing::AssertionResult failsWith(const base::Result<T>& r, base::Errc code,
                                     std::string_view text = {}) {
  if (r.ok()) {
    return ::testing::AssertionFailure() << "succeeded; expected " << base::errcName(code);
  }
  if (r.error().code != code || r.error().message.find(text) == std::string::npos) {
    return ::testing::AssertionFailure() << "got " << r.error().describe() << "; expected "
                                         << base::errcName(code) << " with \"" << text << "\"";
  }
  return ::testing::AssertionSuccess();
}

/// Every item of a list, read `limit` at a time through `list(PageRequest)`; `pages` counts
/// the pages read.
template <typename T, typename ListFn>
std::vector<T> readAll(ListFn list, int limit, int* pages) {
  std::vector<T> out;
  PageRequest request{limit, "", std::nullopt};
  for (*pages = 1;; ++*pages) {
    auto page = list(request);
    EXPECT_TRUE(isOk(page));
    if (!page.ok()) return out;
    out.insert(out.end(), page->items.begin(), page->items.end());
    if (!page->nextCursor) return out;
    request.cursor = *page->nextCursor;
  }
}

}  // namespace bankcc::store::testing

/// Runs a parameterized suite on both backends.
#define BANKCC_STORE_BACKENDS(Suite)                                                           \
  INSTANTIATE_TEST_SUITE_P(                                                                    \
      Backends, Suite,                                                                         \
      ::testing::Values(::bankcc::store::Backend::Sqlite, ::bankcc::store::Backend::Postgres), \
      ::bankcc::store::testing::backendName)
