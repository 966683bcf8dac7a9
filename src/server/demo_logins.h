// SPDX-License-Identifier: Apache-2.0
#pragma once

// `bankcc demo` at first start: gives one user of each built-in role a generated password, so
// that a newcomer can log in at once, and writes the logins to <data dir>/demo-logins.txt
// (mode 0600). Demo only: a production install creates its users with `bankcc admin
// create-user` and passwords chosen by people.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "api/passwords.h"
#include "base/clock.h"
#include "base/result.h"
#include "server/master_key.h"
#include "store/audit_log.h"

namespace soci {
class session;
}

namespace bankcc::server {

struct DemoLogin {
  std::string role;
  std::string username;
  std::string password;
};

/// For each built-in role, the first user (by username) holding it gets a new random password,
/// unless some user already has a password (not the first start). Each change is audited
/// (actor "system"). Returns the logins given out (empty when not the first start). Errors:
/// Unavailable, Io.
base::Result<std::vector<DemoLogin>> createDemoLogins(soci::session& session,
                                                      const base::Clock& clock,
                                                      api::PasswordHasher& hasher,
                                                      const store::AuditKey& auditKey,
                                                      const api::PasswordPolicy& policy);

/// The demo agent's phone: the first extension of the agent whose user is `agentUsername` gets
/// a generated SIP password (sealed HA1 in `realm`, audited), so that a softphone can register
/// at once. Returns {"phone", extension, password}, or nullopt when that user is no agent or
/// has no extension. Errors: Unavailable, Io.
base::Result<std::optional<DemoLogin>> createDemoPhone(
    soci::session& session, const base::Clock& clock, const MasterKey& masterKey,
    const std::string& realm, const store::AuditKey& auditKey, const std::string& agentUsername);

/// Writes `logins` as a table to `path` (mode 0600, replaced atomically).
base::Status writeDemoLogins(const std::filesystem::path& path,
                             const std::vector<DemoLogin>& logins);

/// The table of logins for a terminal.
std::string formatDemoLogins(const std::vector<DemoLogin>& logins);

}  // namespace bankcc::server
