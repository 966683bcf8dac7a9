// SPDX-License-Identifier: Apache-2.0
#pragma once

// Digest credentials of agent phones (decision 0009): HA1 = MD5(extension:realm:password) is
// what the registrar needs, so that is what is kept, sealed with crypto_secretbox under a key
// derived from the master key (crypto_kdf, context "bksip001"). The sealed text binds the
// extension, so a sealed value copied to another row does not open. The password is never
// stored; HA1s live in clear only in the server's memory.

#include <map>
#include <memory>
#include <string>

#include "base/result.h"
#include "server/master_key.h"
#include "sip/sip_stack.h"

namespace soci {
class session;
}

namespace bankcc::server {

/// MD5(extension:realm:password) in lower-case hex (RFC 2617).
std::string digestHa1(const std::string& extension, const std::string& realm,
                      const std::string& password);

/// "s1:" + base64(nonce || secretbox(extension ":" ha1)).
std::string sealHa1(const MasterKey& key, const std::string& extension, const std::string& ha1);
/// The HA1, or Corrupt when `sealed` does not open under `key` for `extension`.
base::Result<std::string> openHa1(const MasterKey& key, const std::string& extension,
                                  const std::string& sealed);

/// The registrar's view of the phones table, read once at start. Thread-safe (read-only).
class PhoneDirectory final : public sip::Credentials {
 public:
  /// Reads every active phone whose realm is `realm`; phones of another realm (the realm was
  /// changed since their password was set) and values that do not open are skipped with a
  /// warning naming the extension.
  static base::Result<std::unique_ptr<PhoneDirectory>> load(soci::session& session,
                                                            const MasterKey& key,
                                                            const std::string& realm);
  std::optional<std::string> ha1(const std::string& username,
                                 const std::string& realm) const override;
  std::size_t size() const { return ha1_.size(); }

 private:
  std::string realm_;
  std::map<std::string, std::string> ha1_;
};

}  // namespace bankcc::server
