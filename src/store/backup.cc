// SPDX-License-Identifier: Apache-2.0
#include "store/backup.h"

#include <sqlite3.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/std.h>

namespace bankcc::store {

base::Status backupSqlite(const std::filesystem::path& source, const std::filesystem::path& out,
                          const std::function<void(int done, int total)>& progress) {
  using base::Errc;
  std::error_code ec;
  if (std::filesystem::exists(out, ec)) {
    return base::err(Errc::Conflict, fmt::format("{} already exists; choose a new file", out));
  }
  const auto tmp = std::filesystem::path(out.string() + fmt::format(".partial{}", ::getpid()));
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  auto closeAll = [&] {
    if (src) sqlite3_close(src);
    if (dst) sqlite3_close(dst);
  };
  if (sqlite3_open_v2(source.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    auto msg = fmt::format("cannot open {}: {}", source, sqlite3_errmsg(src));
    closeAll();
    return base::err(Errc::Unavailable, msg);
  }
  if (sqlite3_open_v2(tmp.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    auto msg = fmt::format("cannot create {}: {}", tmp, sqlite3_errmsg(dst));
    closeAll();
    std::filesystem::remove(tmp, ec);
    return base::err(Errc::Io, msg);
  }
  sqlite3_backup* backup = sqlite3_backup_init(dst, "main", src, "main");
  if (!backup) {
    auto msg = fmt::format("cannot start backup: {}", sqlite3_errmsg(dst));
    closeAll();
    std::filesystem::remove(tmp, ec);
    return base::err(Errc::Io, msg);
  }
  int rc = SQLITE_OK;
  do {
    rc = sqlite3_backup_step(backup, 1024);
    const int total = sqlite3_backup_pagecount(backup);
    if (progress) progress(total - sqlite3_backup_remaining(backup), total);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(backup);
  const std::string stepError = sqlite3_errmsg(dst);
  closeAll();
  if (rc != SQLITE_DONE) {
    std::filesystem::remove(tmp, ec);
    return base::err(Errc::Io, fmt::format("backup to {} failed: {}", out, stepError));
  }
  std::filesystem::rename(tmp, out, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return base::err(Errc::Io, fmt::format("cannot rename backup to {}: {}", out, ec.message()));
  }
  return {};
}

}  // namespace bankcc::store
