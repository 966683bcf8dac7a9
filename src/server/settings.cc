// SPDX-License-Identifier: Apache-2.0
#include "server/settings.h"

#include <unistd.h>

#include <cstdlib>

#include "base/config.h"
#include "base/host.h"
#include "base/time_zone.h"
#include "server/http_server.h"
#include "server/master_key.h"

namespace bankcc::server {

std::filesystem::path defaultDataDir() {
  if (::geteuid() == 0) return "/var/lib/bankcc";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "bankcc";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : "/tmp") / ".local" / "share" / "bankcc";
}

base::Result<Settings> loadSettings(const Overrides& overrides) {
  auto file = overrides.configFile ? base::ConfigFile::load(*overrides.configFile)
                                   : base::Result<base::ConfigFile>(base::ConfigFile::empty());
  if (!file.ok()) return std::move(file).error();
  Settings s;
  if (overrides.configFile) s.configFile = *overrides.configFile;
  std::string errors;
  auto collect = [&errors](base::Status st) {
    if (st.ok()) return;
    if (!errors.empty()) errors += '\n';
    errors += st.error().message;
  };
  // A module's parse() reports its section's problems (it may call finish() itself; a second
  // finish() on a clean section adds nothing).
  auto readModuleSection = [&collect](base::ConfigSection& sec, auto parsed, auto& into) {
    if (!parsed.ok()) return collect(std::move(parsed).error());
    into = std::move(parsed).value();
    collect(sec.finish());
  };

  {
    auto sec = file->section("server");
    auto dataDir = sec.getString("data_dir", "");
    s.dataDir = overrides.dataDir
                    ? *overrides.dataDir
                    : (dataDir.empty() ? defaultDataDir() : std::filesystem::path(dataDir));
    // Absolute, so that logs, messages and derived paths (spill file) do not depend on the
    // working directory.
    s.dataDir = std::filesystem::absolute(s.dataDir).lexically_normal();
    s.node = sec.getString("node", base::hostName());
    collect(sec.finish());
  }
  {
    auto sec = file->section("http");
    auto listen = sec.getString("listen", "127.0.0.1:8080");
    if (overrides.http) listen = *overrides.http;
    if (auto parsed = parseListenAddress(listen); parsed.ok()) {
      s.httpAddress = parsed->first;
      s.httpPort = parsed->second;
    } else {
      sec.addError("listen", parsed.error().message);
    }
    s.httpThreads = static_cast<int>(sec.getInt("threads", 2, 1, 64));
    collect(sec.finish());
  }
  {
    auto sec = file->section("center");
    s.timeZone = sec.getString("time_zone", "Asia/Shanghai");
    if (auto tz = base::TimeZone::load(s.timeZone); !tz.ok()) {
      sec.addError("time_zone", tz.error().message);
    }
    collect(sec.finish());
  }
  {
    auto sec = file->section("keys");
    auto path = sec.getString("master_key_file", "");
    s.masterKeyFile = path.empty() ? defaultMasterKeyPath() : std::filesystem::path(path);
    s.requireExistingKey = sec.getBool("require_existing", false);
    collect(sec.finish());
  }
  {
    auto sec = file->section("log");
    readModuleSection(sec, base::LogConfig::parse(sec), s.log);
  }
  {
    auto sec = file->section("store");
    readModuleSection(sec, store::StoreConfig::parse(sec), s.store);
  }
  {
    auto sec = file->section("event_log");
    readModuleSection(sec, store::EventLogConfig::parse(sec, s.dataDir), s.eventLog);
  }
  collect(file->checkUnknown());
  if (!errors.empty()) return base::err(base::Errc::BadRequest, errors);
  return s;
}

}  // namespace bankcc::server
