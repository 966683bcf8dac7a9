// SPDX-License-Identifier: Apache-2.0
// StoreConfig::parse lives apart from database.cc so that programs that never read
// bankcc.toml do not link the configuration reader.
#include <chrono>

#include "store/database.h"
#include "store/store_url.h"

namespace bankcc::store {

base::Result<StoreConfig> StoreConfig::parse(base::ConfigSection& section) {
  using std::chrono::milliseconds;
  StoreConfig config;
  config.url = section.getString("url", "");
  const base::Duration timeout = section.getDuration("busy_timeout", config.busyTimeout,
                                                     milliseconds{1}, std::chrono::minutes{10});
  config.busyTimeout = std::chrono::duration_cast<milliseconds>(timeout);
  // Syntax only: the data directory is not known yet and nothing is opened here.
  if (auto target = detail::resolveStoreUrl(config.url, "/", config.busyTimeout); !target.ok()) {
    section.addError("url", target.error().message);
  }
  BANKCC_TRY(section.finish());
  return config;
}

}  // namespace bankcc::store
