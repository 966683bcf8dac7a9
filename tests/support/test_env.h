// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers shared by the integration tests.

#include <filesystem>
#include <optional>
#include <string>

namespace bankcc::testing {

/// The PostgreSQL URL of the server the ctest fixture "postgres" started
/// ("postgresql:host=… port=… dbname=bankcc_test"), or BANKCC_TEST_PG_URL when set.
/// nullopt when neither exists; requirePostgres() says whether that is a failure.
std::optional<std::string> postgresUrl();

/// True when BANKCC_REQUIRE_PG=1 (CI): a missing PostgreSQL fails instead of skipping.
bool requirePostgres();

/// Writes `text` to `path` (replacing it) and returns `path`.
std::filesystem::path writeFile(const std::filesystem::path& path, const std::string& text);

/// A fresh empty directory under the build tree's tmp/, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "bankcc");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A database name unique to this test process and `tag`, for tests that need a clean
/// PostgreSQL database: creates it on the fixture server and returns its URL.
std::optional<std::string> freshPostgresDatabase(const std::string& tag);

}  // namespace bankcc::testing
