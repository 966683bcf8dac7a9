// SPDX-License-Identifier: Apache-2.0
#pragma once

// The `bankcc` subcommands. Each returns the process exit code: 0 success, 1 runtime failure
// (database unreachable, disk full, ...), 2 bad usage or configuration.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "server/settings.h"

namespace bankcc::server {

struct ServeOptions {
  Overrides overrides;
  std::optional<std::filesystem::path> masterKeyFile;  ///< --master-key
  std::optional<std::filesystem::path> seedFile;       ///< demo: loaded when the org is empty
};

/// `bankcc serve` / `bankcc demo`: runs until SIGTERM or SIGINT.
int runServe(const ServeOptions& options);

int runInitKeys(const Overrides& overrides, const std::optional<std::filesystem::path>& keyFile);
int runMigrate(const Overrides& overrides);
int runBackup(const Overrides& overrides, const std::filesystem::path& out);
/// Validates the configuration (every error, with file, line and key) and prints the
/// effective settings; touches no database and no file.
int runCheckConfig(const Overrides& overrides);
int runSeed(const Overrides& overrides, const std::filesystem::path& seedFile);

struct PhonePasswordOptions {
  std::string extension;
  bool autoAnswer = false;
};
/// `admin set-phone-password`: the password (stdin, 8-64 characters) becomes the phone's digest
/// HA1, sealed under the master key; creates the phone or replaces its credential. Audited.
int runSetPhonePassword(const Overrides& overrides,
                        const std::optional<std::filesystem::path>& keyFile,
                        const PhonePasswordOptions& options);

struct CreateUserOptions {
  std::string username;
  std::string displayName;
  std::vector<std::string> roles;
};
/// `admin create-user`: the password is read from stdin (one line) and checked against the
/// policy; the operator chose it, so it is not forced to change. Audited (actor "cli").
int runCreateUser(const Overrides& overrides, const std::optional<std::filesystem::path>& keyFile,
                  const CreateUserOptions& options);
/// `admin verify-audit`: exit 0 when the chain is intact, 1 when broken (naming the record).
int runVerifyAudit(const Overrides& overrides, const std::optional<std::filesystem::path>& keyFile);

struct RecordingExportOptions {
  std::string recordingId;    ///< UUIDv7
  std::filesystem::path out;  ///< the WAV file to write
  bool force = false;         ///< replace an existing `out`
};
/// `recording export`: decrypts one recording (found by id under [recording] dir) into a
/// stereo PCM16 8 kHz WAV, customer left and agent right, written to `out`.tmp and renamed.
/// Audited ("recording.exported", actor "cli:<user>") before the file is written. An
/// incomplete recording exports what is there, with a warning on stderr. Exit 0; 1 when the
/// key, the file, the database or the output fails (or `out` exists without --force); 2 for
/// a malformed id or configuration.
int runRecordingExport(const Overrides& overrides,
                       const std::optional<std::filesystem::path>& keyFile,
                       const RecordingExportOptions& options);

/// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

}  // namespace bankcc::server
