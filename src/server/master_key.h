// SPDX-License-Identifier: Apache-2.0
#pragma once

// The master key (CONVENTIONS.md "Processes, ports, files"): 32 random bytes in a file only its
// owner can read, outside the data directory. Later features derive from it the audit HMAC key
// and wrap recording and credential keys with it, so it is never overwritten: losing it makes
// encrypted data unreadable.

#include <array>
#include <cstdint>
#include <filesystem>

#include "base/result.h"

namespace bankcc::server {

using MasterKey = std::array<std::uint8_t, 32>;

/// /etc/bankcc/master.key when running as root, else
/// ${XDG_CONFIG_HOME:-~/.config}/bankcc/master.key.
std::filesystem::path defaultMasterKeyPath();

/// Creates a new key file at `path` (mode 0600; missing directories are created with mode 0700).
/// Never replaces an existing file: Conflict when one exists. Io on write failures; a partly
/// written file never remains.
base::Status createMasterKey(const std::filesystem::path& path);

/// Reads and checks the key file. NotFound when absent; Io when unreadable; ValidationFailed
/// when group or others may read it or it is not ours; Corrupt when its content is malformed.
base::Result<MasterKey> loadMasterKey(const std::filesystem::path& path);

}  // namespace bankcc::server
