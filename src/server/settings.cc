// SPDX-License-Identifier: Apache-2.0
#include "server/settings.h"

#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>

#include "base/config.h"
#include "base/host.h"
#include "base/time_zone.h"
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
    if (auto parsed = api::parseListenAddress(listen); parsed.ok()) {
      s.httpAddress = parsed->first;
      s.httpPort = parsed->second;
    } else {
      sec.addError("listen", parsed.error().message);
    }
    s.httpThreads = static_cast<int>(sec.getInt("threads", 2, 1, 64));
    s.tlsCertFile = sec.getString("tls_cert_file", "");
    s.tlsKeyFile = sec.getString("tls_key_file", "");
    if (s.tlsCertFile.empty() != s.tlsKeyFile.empty()) {
      sec.addError(s.tlsCertFile.empty() ? "tls_cert_file" : "tls_key_file",
                   "tls_cert_file and tls_key_file go together");
    }
    s.maxBodyBytes = static_cast<std::size_t>(
        sec.getBytes("max_body_bytes", 1 << 20, 1024, std::int64_t{64} << 20));
    s.webRoot = sec.getString("web_root", "");
    s.allowedOrigins = sec.getStringList("allowed_origins", {});
    s.apiWorkers = static_cast<int>(sec.getInt("workers", 4, 1, 64));
    using namespace std::chrono_literals;
    s.readTimeout = std::chrono::duration_cast<std::chrono::seconds>(
        sec.getDuration("read_timeout", 30s, 1s, 10min));
    s.idleTimeout = std::chrono::duration_cast<std::chrono::seconds>(
        sec.getDuration("idle_timeout", 60s, 1s, 1h));
    collect(sec.finish());
  }
  {
    auto sec = file->section("center");
    s.timeZone = sec.getString("time_zone", "Asia/Shanghai");
    if (auto tz = base::TimeZone::load(s.timeZone); !tz.ok()) {
      sec.addError("time_zone", tz.error().message);
    }
    // Number prefixes: digits, '+' allowed first.
    auto prefixes = [&](const char* key) {
      std::vector<std::string> list = sec.getStringList(key, {});
      for (const auto& prefix : list) {
        const std::string_view digits =
            prefix.starts_with('+') ? std::string_view(prefix).substr(1) : std::string_view(prefix);
        const bool ok = !digits.empty() && digits.size() <= 20 &&
                        digits.find_first_not_of("0123456789") == std::string_view::npos;
        if (!ok) {
          sec.addError(
              key, fmt::format("'{}' is not a number prefix (digits, '+' allowed first)", prefix));
        }
      }
      return list;
    };
    s.transferNumbers = prefixes("transfer_numbers");
    s.outboundNumbers = prefixes("outbound_numbers");
    s.outboundCallerId = sec.getString("outbound_caller_id", "");
    if (!s.outboundCallerId.empty()) {
      const std::string_view id = s.outboundCallerId;
      const std::string_view digits = id.starts_with('+') ? id.substr(1) : id;
      if (digits.size() < 3 || digits.size() > 20 ||
          digits.find_first_not_of("0123456789") != std::string_view::npos) {
        sec.addError("outbound_caller_id", "a number is 3 to 20 digits, '+' allowed first");
      }
    }
    using namespace std::chrono_literals;
    s.outboundWrapUp = std::chrono::duration_cast<std::chrono::seconds>(
        sec.getDuration("outbound_wrap_up", 15s, 0s, 30min));
    s.desktopGrace = std::chrono::duration_cast<std::chrono::seconds>(
        sec.getDuration("desktop_grace", 60s, 1s, 1h));
    s.lineRingTimeout = std::chrono::duration_cast<std::chrono::seconds>(
        sec.getDuration("line_ring_timeout", 30s, 5s, 2min));
    s.lineCallerId = sec.getString("line_caller_id", "bankcc");
    // The user part of the From header the agent's phone shows: a short token, no SIP syntax.
    if (s.lineCallerId.empty() || s.lineCallerId.size() > 32 ||
        s.lineCallerId.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789+-_.") != std::string::npos) {
      sec.addError("line_caller_id", "1 to 32 letters, digits or + - _ .");
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
    auto sec = file->section("recording");
    const std::filesystem::path dir = sec.getString("dir", "");
    // Relative to the data directory, as the spill path is.
    s.recordingDir = dir.empty() ? s.dataDir / "recordings"
                                 : (dir.is_absolute() ? dir : s.dataDir / dir).lexically_normal();
    s.recordingWriterThreads = static_cast<int>(sec.getInt("writer_threads", 1, 1, 64));
    collect(sec.finish());
  }
  {
    auto sip = file->section("sip");
    collect(voice::parseSipSection(sip, overrides.sip, s.telephony));
    collect(sip.finish());
    auto media = file->section("media");
    voice::parseMediaSection(media, s.telephony);
    collect(media.finish());
    s.telephony.media.recordingDir = s.recordingDir;
    s.telephony.media.writerThreads = static_cast<std::size_t>(s.recordingWriterThreads);
  }
  {
    auto sec = file->section("auth");
    readModuleSection(sec, api::parseAuthSettings(sec), s.auth);
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
