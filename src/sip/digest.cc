// SPDX-License-Identifier: Apache-2.0
#include "sip/digest.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cctype>
#include <charconv>
#include <optional>

namespace bankcc::sip {
namespace {

using base::Errc;

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0x0f];
  }
  return out;
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A quoted-string's content with backslash escapes resolved; nullopt when unterminated.
std::optional<std::string> unquote(std::string_view v) {
  if (v.empty() || v.front() != '"') return std::string(v);
  std::string out;
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      out += v[++i];
    } else if (v[i] == '"') {
      if (i + 1 != v.size()) return std::nullopt;  // text after the closing quote
      return out;
    } else {
      out += v[i];
    }
  }
  return std::nullopt;
}

bool equalConstantTime(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const bool ok = EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr) == 1;
  // MD5 is in OpenSSL's default provider; failure means a broken crypto library.
  BANKCC_RELEASE_ASSERT(ok && size == 16, "EVP_Digest(MD5) failed");
  return hex(digest, size);
}

std::string digestHa1(std::string_view username, std::string_view realm,
                      std::string_view password) {
  return md5Hex(fmt::format("{}:{}:{}", username, realm, password));
}

base::Result<DigestCredentials> parseDigestParams(const std::vector<std::string_view>& params) {
  DigestCredentials c;
  for (std::string_view p : params) {
    const std::size_t eq = p.find('=');
    if (eq == std::string_view::npos) continue;  // unknown flag-style parameter
    const std::string_view name = trim(p.substr(0, eq));
    auto value = unquote(trim(p.substr(eq + 1)));
    if (!value) return base::err(Errc::BadRequest, "unterminated quoted string in Authorization");
    std::string* field = nullptr;
    if (equalsNoCase(name, "username"))
      field = &c.username;
    else if (equalsNoCase(name, "realm"))
      field = &c.realm;
    else if (equalsNoCase(name, "nonce"))
      field = &c.nonce;
    else if (equalsNoCase(name, "uri"))
      field = &c.uri;
    else if (equalsNoCase(name, "response"))
      field = &c.response;
    else if (equalsNoCase(name, "algorithm"))
      field = &c.algorithm;
    else if (equalsNoCase(name, "qop"))
      field = &c.qop;
    else if (equalsNoCase(name, "nc"))
      field = &c.nc;
    else if (equalsNoCase(name, "cnonce"))
      field = &c.cnonce;
    else if (equalsNoCase(name, "opaque"))
      field = &c.opaque;
    if (field != nullptr) *field = std::move(*value);
  }
  if (c.username.empty() || c.realm.empty() || c.nonce.empty() || c.uri.empty() ||
      c.response.empty()) {
    return base::err(Errc::BadRequest,
                     "Authorization lacks username, realm, nonce, uri or response");
  }
  if (!c.qop.empty() && (c.nc.empty() || c.cnonce.empty())) {
    return base::err(Errc::BadRequest, "qop without nc and cnonce");
  }
  return c;
}

std::string digestResponse(std::string_view ha1, const DigestCredentials& c,
                           std::string_view method) {
  const std::string ha2 = md5Hex(fmt::format("{}:{}", method, c.uri));
  if (c.qop.empty()) return md5Hex(fmt::format("{}:{}:{}", ha1, c.nonce, ha2));
  return md5Hex(fmt::format("{}:{}:{}:{}:{}:{}", ha1, c.nonce, c.nc, c.cnonce, c.qop, ha2));
}

NonceIssuer::NonceIssuer(const base::Clock& clock, base::Duration lifetime)
    : clock_(clock), lifetime_(lifetime) {
  // Without randomness, nonces could be forged: refuse to run rather than be weak.
  BANKCC_RELEASE_ASSERT(RAND_bytes(key_.data(), static_cast<int>(key_.size())) == 1,
                        "RAND_bytes failed");
}

NonceIssuer::NonceIssuer(const base::Clock& clock, base::Duration lifetime,
                         std::array<std::uint8_t, 32> key)
    : clock_(clock), lifetime_(lifetime), key_(key) {}

std::string NonceIssuer::mac(std::uint64_t seconds, std::string_view realm) const {
  std::string input = fmt::format("{:016x}:{}", seconds, realm);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const unsigned char* r =
      HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, &size);
  BANKCC_RELEASE_ASSERT(r != nullptr && size >= 16, "HMAC-SHA256 failed");
  return hex(out, 16);
}

std::string NonceIssuer::issue(std::string_view realm) const {
  const auto seconds = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count());
  return fmt::format("{:016x}{}", seconds, mac(seconds, realm));
}

NonceStatus NonceIssuer::check(std::string_view nonce, std::string_view realm) const {
  if (nonce.size() != 48) return NonceStatus::Invalid;
  std::uint64_t seconds = 0;
  auto [end, ec] = std::from_chars(nonce.data(), nonce.data() + 16, seconds, 16);
  if (ec != std::errc{} || end != nonce.data() + 16) return NonceStatus::Invalid;
  if (!equalConstantTime(nonce.substr(16), mac(seconds, realm))) return NonceStatus::Invalid;
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch());
  const auto issued = std::chrono::seconds(static_cast<std::int64_t>(seconds));
  // A nonce "from the future" is ours (the HMAC holds) but the clock was set back: stale.
  if (issued > now || now - issued > lifetime_) return NonceStatus::Stale;
  return NonceStatus::Valid;
}

DigestVerdict verifyDigest(const DigestCredentials& c, std::string_view method,
                           std::string_view ha1, const NonceIssuer& nonces,
                           std::string_view realm) {
  if (c.realm != realm) return DigestVerdict::Refused;
  if (!c.algorithm.empty() && !equalsNoCase(c.algorithm, "MD5")) return DigestVerdict::Refused;
  if (!c.qop.empty() && !equalsNoCase(c.qop, "auth")) return DigestVerdict::Refused;
  const NonceStatus nonce = nonces.check(c.nonce, realm);
  if (nonce == NonceStatus::Invalid) return DigestVerdict::Refused;
  std::string expected = digestResponse(ha1, c, method);
  std::string given = c.response;
  for (char& ch : given) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (!equalConstantTime(expected, given)) return DigestVerdict::Refused;
  return nonce == NonceStatus::Stale ? DigestVerdict::Stale : DigestVerdict::Ok;
}

std::string digestChallenge(std::string_view realm, std::string_view nonce, bool stale) {
  return fmt::format("Digest realm=\"{}\", nonce=\"{}\", algorithm=MD5, qop=\"auth\"{}", realm,
                     nonce, stale ? ", stale=true" : "");
}

}  // namespace bankcc::sip
