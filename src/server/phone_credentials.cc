// SPDX-License-Identifier: Apache-2.0
#include "server/phone_credentials.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstring>
#include <vector>

#include "store/phones.h"

namespace bankcc::server {

namespace {

constexpr std::string_view kPrefix = "s1:";

std::array<unsigned char, crypto_secretbox_KEYBYTES> sealingKey(const MasterKey& master) {
  std::array<unsigned char, crypto_secretbox_KEYBYTES> k{};
  crypto_kdf_derive_from_key(k.data(), k.size(), 1, "bksip001", master.data());
  return k;
}

}  // namespace

std::string digestHa1(const std::string& extension, const std::string& realm,
                      const std::string& password) {
  const std::string input = extension + ":" + realm + ":" + password;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

std::string sealHa1(const MasterKey& key, const std::string& extension, const std::string& ha1) {
  auto k = sealingKey(key);
  const std::string plain = extension + ":" + ha1;
  std::vector<unsigned char> out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                 plain.size());
  randombytes_buf(out.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out.data() + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                        out.data(), k.data());
  sodium_memzero(k.data(), k.size());
  std::string b64(sodium_base64_ENCODED_LEN(out.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), out.data(), out.size(), sodium_base64_VARIANT_ORIGINAL);
  b64.resize(std::strlen(b64.c_str()));
  return std::string(kPrefix) + b64;
}

base::Result<std::string> openHa1(const MasterKey& key, const std::string& extension,
                                  const std::string& sealed) {
  auto corrupt = [&] {
    return base::err(base::Errc::Corrupt,
                     "the credential of phone " + extension +
                         " does not open with this master key (set its password again)");
  };
  if (sealed.rfind(kPrefix, 0) != 0) return corrupt();
  std::vector<unsigned char> bin(sealed.size());
  std::size_t len = 0;
  if (sodium_base642bin(bin.data(), bin.size(), sealed.data() + kPrefix.size(),
                        sealed.size() - kPrefix.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return corrupt();
  }
  std::string plain(len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  auto k = sealingKey(key);
  const int rc = crypto_secretbox_open_easy(
      reinterpret_cast<unsigned char*>(plain.data()), bin.data() + crypto_secretbox_NONCEBYTES,
      len - crypto_secretbox_NONCEBYTES, bin.data(), k.data());
  sodium_memzero(k.data(), k.size());
  if (rc != 0 || plain.rfind(extension + ":", 0) != 0) return corrupt();
  std::string ha1 = plain.substr(extension.size() + 1);
  sodium_memzero(plain.data(), plain.size());
  return ha1;
}

base::Result<std::unique_ptr<PhoneDirectory>> PhoneDirectory::load(soci::session& session,
                                                                   const MasterKey& key,
                                                                   const std::string& realm) {
  auto phones = store::listPhones(session);
  if (!phones) return phones.error();
  auto dir = std::make_unique<PhoneDirectory>();
  dir->realm_ = realm;
  for (const auto& p : *phones) {
    if (!p.active) continue;
    if (p.realm != realm) {
      spdlog::warn(
          "phone {}: its password was set for realm \"{}\", [sip] realm is \"{}\"; it "
          "cannot register until its password is set again",
          p.extension, p.realm, realm);
      continue;
    }
    auto ha1 = openHa1(key, p.extension, p.ha1Sealed);
    if (!ha1) {
      spdlog::warn("{}", ha1.error().message);
      continue;
    }
    dir->ha1_[p.extension] = std::move(ha1).value();
  }
  return dir;
}

std::optional<std::string> PhoneDirectory::ha1(const std::string& username,
                                               const std::string& realm) const {
  if (realm != realm_) return std::nullopt;
  auto it = ha1_.find(username);
  if (it == ha1_.end()) return std::nullopt;
  return it->second;
}

}  // namespace bankcc::server
