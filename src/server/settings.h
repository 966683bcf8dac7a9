// SPDX-License-Identifier: Apache-2.0
#pragma once

// Everything `bankcc` reads from bankcc.toml and its command line, gathered once at start.
// Each module parses its own section; this file owns [server], [http], [center], [keys] and
// [recording] and applies command-line overrides (flags win over the file).

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "api/api_server.h"
#include "api/transport.h"
#include "base/log.h"
#include "base/result.h"
#include "store/database.h"
#include "store/event_log.h"
#include "voice/voice_config.h"

namespace bankcc::server {

/// Values given on the command line; each one, when set, overrides the file.
struct Overrides {
  std::optional<std::filesystem::path> configFile;
  std::optional<std::filesystem::path> dataDir;
  std::optional<std::string> http;  ///< ADDR:PORT
  std::optional<std::string> sip;   ///< ADDR:PORT
};

struct Settings {
  std::filesystem::path configFile;  ///< empty when running on defaults
  // [server]
  std::filesystem::path dataDir;
  std::string node;  ///< this node's name in logs and boots; default: the host name
  // [http]
  std::string httpAddress = "127.0.0.1";
  unsigned short httpPort = 8080;
  int httpThreads = 2;
  std::filesystem::path tlsCertFile;  ///< PEM; with tlsKeyFile: HTTPS only
  std::filesystem::path tlsKeyFile;
  std::size_t maxBodyBytes = 1 << 20;
  std::filesystem::path webRoot;  ///< the built web UI; empty: none
  std::vector<std::string> allowedOrigins;
  int apiWorkers = 4;
  std::chrono::seconds readTimeout{30};  ///< a whole request must arrive within it
  std::chrono::seconds idleTimeout{60};  ///< keep-alive connection without a request
  // [center]
  std::string timeZone = "Asia/Shanghai";
  /// Number prefixes agents may blind-transfer callers to (callctl::CoreOptions); empty: none.
  std::vector<std::string> transferNumbers;
  /// Number prefixes agents may call (make_call, dialled on the phone); empty: none.
  std::vector<std::string> outboundNumbers;
  /// The number outbound calls show (the hotline); empty: the agent's extension.
  std::string outboundCallerId;
  /// Wrap-up after an answered outbound call to a number; 0: none.
  std::chrono::seconds outboundWrapUp{15};
  /// How long an agent may be without a desktop before not_ready{desktop_lost}.
  std::chrono::seconds desktopGrace{60};
  /// The persistent agent line (decision 0027): how long the phone may ring when the server
  /// calls it, and the caller id it shows.
  std::chrono::seconds lineRingTimeout{30};
  std::string lineCallerId = "bankcc";
  // [keys]
  std::filesystem::path masterKeyFile;
  bool requireExistingKey = false;  ///< production: refuse to start without a key
  // [recording] (always encrypted; decision 0008)
  std::filesystem::path recordingDir;  ///< default <data_dir>/recordings; absolute
  int recordingWriterThreads = 1;
  // Modules' own sections.
  base::LogConfig log;
  store::StoreConfig store;
  store::EventLogConfig eventLog;
  api::AuthSettings auth;
  voice::TelephonySettings telephony;  ///< [sip], [sip.trunks.*], [media]
};

/// /var/lib/bankcc as root, else ${XDG_DATA_HOME:-~/.local/share}/bankcc.
std::filesystem::path defaultDataDir();

/// Reads the configuration file (when given) and applies the overrides. Every problem in the
/// file is reported at once, one per line, each naming file, line and key (BadRequest).
base::Result<Settings> loadSettings(const Overrides& overrides);

}  // namespace bankcc::server
