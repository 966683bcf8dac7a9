// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to store: the migration scripts the build embedded (embed_migrations.cmake writes
// the definition into the build tree).

#include <span>
#include <string_view>

namespace bankcc::store::detail {

struct EmbeddedMigration {
  int version;
  std::string_view name;
  std::string_view sqliteSql;
  std::string_view postgresSql;
};

/// Every embedded version, ordered 1..N without gaps (the build checks).
std::span<const EmbeddedMigration> embeddedMigrations();

}  // namespace bankcc::store::detail
