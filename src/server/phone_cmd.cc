// SPDX-License-Identifier: Apache-2.0
// `bankcc admin set-phone-password`: gives an agent phone (SIP extension) the password it
// registers with. Stores only the digest HA1, sealed under the master key; audited.

#include <sodium.h>

#include <fmt/format.h>
#include <soci/soci.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "server/commands.h"
#include "server/master_key.h"
#include "server/phone_credentials.h"
#include "server/runtime.h"
#include "server/settings.h"
#include "store/audit_log.h"
#include "store/phones.h"
#include "store/transaction.h"

namespace bankcc::server {

int runSetPhonePassword(const Overrides& overrides,
                        const std::optional<std::filesystem::path>& keyFile,
                        const PhonePasswordOptions& options) {
  auto settings = loadSettingsOrReport(overrides);
  if (!settings) return kExitUsage;
  std::string password;
  if (!std::getline(std::cin, password)) {
    std::cerr << "bankcc: no password on stdin\n";
    return kExitUsage;
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  // Phones are keyed in on a handset: length is what protects them, with the registrar's
  // 403-for-everything answers against probing (decision 0009).
  if (password.size() < 8 || password.size() > 64) {
    std::cerr << "bankcc: a phone password has 8 to 64 characters\n";
    return kExitUsage;
  }
  if (password == options.extension) {
    std::cerr << "bankcc: a phone password must not be its extension\n";
    return kExitUsage;
  }
  auto key = loadMasterKey(keyFile ? *keyFile : settings->masterKeyFile);
  if (!key.ok()) return fail(key.error());
  const std::string& realm = settings->telephony.sip.realm;
  std::string ha1 = digestHa1(options.extension, realm, password);
  sodium_memzero(password.data(), password.size());

  auto db = openAndMigrate(*settings);
  if (!db.ok()) return fail(db.error());
  auto session = (*db)->connect();
  if (!session.ok()) return fail(session.error());
  base::RealClock clock;
  auto tx = store::Transaction::begin(**session);
  if (!tx.ok()) return fail(tx.error());
  store::Phone phone;
  phone.extension = options.extension;
  phone.realm = realm;
  phone.ha1Sealed = sealHa1(*key, options.extension, ha1);
  sodium_memzero(ha1.data(), ha1.size());
  phone.autoAnswer = options.autoAnswer;
  if (auto st = store::upsertPhone(**session, clock, phone); !st.ok()) return fail(st.error());
  store::AuditRecord record;
  record.at = clock.now();
  record.actor = cliActor();
  record.sourceAddress = "cli";
  record.action = "phone.password_set";
  record.targetType = "phone";
  record.targetId = options.extension;
  record.outcome = "success";
  record.details = nlohmann::json{{"realm", realm}, {"auto_answer", options.autoAnswer}}.dump();
  auto audited = store::appendAudit(**session, store::deriveAuditKey(*key), std::move(record));
  if (!audited.ok()) return fail(audited.error());
  if (auto st = tx->commit(); !st.ok()) return fail(st.error());
  std::cout << fmt::format(
      "phone {} may register (realm {}{}); a running server reads phones at start\n",
      options.extension, realm, options.autoAnswer ? ", auto-answer" : "");
  return kExitOk;
}

}  // namespace bankcc::server
