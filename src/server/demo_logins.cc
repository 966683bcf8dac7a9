// SPDX-License-Identifier: Apache-2.0
#include "server/demo_logins.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/std.h>
#include <soci/soci.h>

#include "api/permissions.h"
#include "server/phone_credentials.h"
#include "store/auth.h"
#include "store/org_agents.h"
#include "store/org_users.h"
#include "store/phones.h"
#include "store/transaction.h"

namespace bankcc::server {
namespace {

/// Twelve characters in three groups ("Kp7x-Qm2r-Tz9d"): upper, lower, digit and '-' are all
/// present, so it meets the default policy; no 0/O/1/l to misread.
std::string generatePassword() {
  static constexpr std::string_view kUpper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
  static constexpr std::string_view kLower = "abcdefghijkmnpqrstuvwxyz";
  static constexpr std::string_view kDigit = "23456789";
  auto pick = [](std::string_view set) { return set[randombytes_uniform(set.size())]; };
  std::string out;
  for (int group = 0; group < 3; ++group) {
    if (group > 0) out += '-';
    out += pick(kUpper);
    out += pick(kLower);
    out += pick(kDigit);
    out += pick(kLower);
  }
  return out;
}

}  // namespace

base::Result<std::vector<DemoLogin>> createDemoLogins(soci::session& session,
                                                      const base::Clock& clock,
                                                      api::PasswordHasher& hasher,
                                                      const store::AuditKey& auditKey,
                                                      const api::PasswordPolicy& policy) {
  // Every user, to find the first holder of each role and whether anyone has a password.
  auto all = store::listAll(session, &store::listUsers);
  if (!all.ok()) return std::move(all).error();
  const std::vector<store::User>& users = *all;
  for (const auto& u : users) {
    if (u.passwordHash) return std::vector<DemoLogin>{};  // not the first start
  }
  std::vector<DemoLogin> logins;
  auto tx = store::Transaction::begin(session);
  if (!tx.ok()) return std::move(tx).error();
  for (auto role : api::builtInRoles()) {
    const store::User* holder = nullptr;
    for (const auto& u : users) {
      if (u.active && std::find(u.roles.begin(), u.roles.end(), role) != u.roles.end()) {
        holder = &u;
        break;
      }
    }
    if (holder == nullptr) continue;
    DemoLogin login{std::string(role), holder->username, generatePassword()};
    auto hash = hasher.hash(login.password);
    if (!hash.ok()) return std::move(hash).error();
    auto stored =
        store::setPassword(session, clock, holder->username, *hash, false, policy.historyDepth);
    if (!stored.ok()) return std::move(stored).error();
    store::AuditRecord record;
    record.at = clock.now();
    record.actor = "system";
    record.sourceAddress = "cli";
    record.action = "user.demo_password_set";
    record.targetType = "user";
    record.targetId = holder->username;
    record.outcome = "success";
    record.details = fmt::format(R"({{"role":"{}"}})", role);
    auto audited = store::appendAudit(session, auditKey, std::move(record));
    if (!audited.ok()) return std::move(audited).error();
    logins.push_back(std::move(login));
  }
  BANKCC_TRY(tx->commit());
  return logins;
}

base::Result<std::optional<DemoLogin>> createDemoPhone(
    soci::session& session, const base::Clock& clock, const MasterKey& masterKey,
    const std::string& realm, const store::AuditKey& auditKey, const std::string& agentUsername) {
  auto agents = store::listAll(session, &store::listAgents);
  if (!agents.ok()) return std::move(agents).error();
  std::string extension;
  for (const auto& a : *agents) {
    if (a.username == agentUsername && !a.extensions.empty()) {
      extension = a.extensions.front().extension;
      break;
    }
  }
  if (extension.empty()) return std::optional<DemoLogin>{};
  DemoLogin login{"phone", extension, generatePassword()};
  std::string ha1 = digestHa1(extension, realm, login.password);
  store::Phone phone;
  phone.extension = extension;
  phone.realm = realm;
  phone.ha1Sealed = sealHa1(masterKey, extension, ha1);
  sodium_memzero(ha1.data(), ha1.size());
  auto tx = store::Transaction::begin(session);
  if (!tx.ok()) return std::move(tx).error();
  BANKCC_TRY(store::upsertPhone(session, clock, phone));
  store::AuditRecord record;
  record.at = clock.now();
  record.actor = "system";
  record.sourceAddress = "cli";
  record.action = "phone.demo_password_set";
  record.targetType = "phone";
  record.targetId = extension;
  record.outcome = "success";
  record.details = fmt::format(R"({{"realm":"{}"}})", realm);
  auto audited = store::appendAudit(session, auditKey, std::move(record));
  if (!audited.ok()) return std::move(audited).error();
  BANKCC_TRY(tx->commit());
  return std::optional<DemoLogin>{std::move(login)};
}

std::string formatDemoLogins(const std::vector<DemoLogin>& logins) {
  std::string out = fmt::format("{:<12} {:<12} {}\n", "role", "username", "password");
  for (const auto& l : logins) {
    out += fmt::format("{:<12} {:<12} {}\n", l.role, l.username, l.password);
  }
  return out;
}

base::Status writeDemoLogins(const std::filesystem::path& path,
                             const std::vector<DemoLogin>& logins) {
  const auto tmp = std::filesystem::path(path.string() + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return base::err(base::Errc::Io, fmt::format("cannot write {}: {}", tmp, strerror(errno)));
  }
  const std::string text =
      "# bankcc demo logins (demo only; change or remove these users in production)\n" +
      formatDemoLogins(logins);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool closed = ::close(fd) == 0;
  std::error_code ec;
  if (!written || !closed) {
    std::filesystem::remove(tmp, ec);
    return base::err(base::Errc::Io, fmt::format("cannot write {}", tmp));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return base::err(base::Errc::Io, fmt::format("cannot rename to {}: {}", path, ec.message()));
  return {};
}

}  // namespace bankcc::server
