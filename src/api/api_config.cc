// SPDX-License-Identifier: Apache-2.0
// The [auth] section of bankcc.toml.

#include "api/api_server.h"
#include "base/config.h"

namespace bankcc::api {

namespace {
std::chrono::seconds seconds(base::Duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d);
}
}  // namespace

base::Result<AuthSettings> parseAuthSettings(base::ConfigSection& sec) {
  using namespace std::chrono_literals;
  AuthSettings a;
  a.idleLock = seconds(sec.getDuration("idle_lock", 15min, 1s, 24h));
  a.sessionLifetime = seconds(sec.getDuration("session_lifetime", 12h, 10min, 24h * 30));
  a.addressFailureLimit = static_cast<int>(sec.getInt("address_failure_limit", 5, 1, 1000));
  a.addressWindow = seconds(sec.getDuration("address_window", 15min, 1min, 24h));
  a.accountFailureLimit = static_cast<int>(sec.getInt("account_failure_limit", 10, 1, 1000));
  a.accountLockFor = seconds(sec.getDuration("account_lock", 30min, 1min, 24h * 7));
  a.passwordPolicy.minLength = static_cast<int>(sec.getInt("password_min_length", 10, 8, 64));
  a.passwordPolicy.minClasses = static_cast<int>(sec.getInt("password_min_classes", 3, 1, 4));
  a.passwordPolicy.historyDepth = static_cast<int>(sec.getInt("password_history", 5, 0, 24));
  a.passwordPolicy.maxAge = std::chrono::days(sec.getInt("password_max_age_days", 90, 0, 3650));
  a.maxConcurrentHashes = static_cast<int>(sec.getInt("max_concurrent_hashes", 2, 1, 64));
  a.sessionRecheck = seconds(sec.getDuration("session_recheck", 5s, 1s, 5min));
  a.activityWrite = seconds(sec.getDuration("activity_write", 30s, 1s, 10min));
  if (a.activityWrite >= a.idleLock) {
    sec.addError("activity_write", "must be shorter than idle_lock");
  }
  BANKCC_TRY(sec.finish());
  return a;
}

}  // namespace bankcc::api
