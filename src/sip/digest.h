// SPDX-License-Identifier: Apache-2.0
#pragma once

// HTTP Digest authentication for the registrar (RFC 2617 and RFC 7616 with MD5, qop=auth).
// Private to sip/. Nonces are stateless: a timestamp and an HMAC over it under a key drawn at
// random per process, so a forged nonce fails the HMAC and an old one is stale. Pure apart from
// the clock; thread-safe.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace bankcc::sip {

/// MD5 of `data` as 32 lower-case hex digits.
std::string md5Hex(std::string_view data);

/// HA1 = MD5(username ":" realm ":" password), lower-case hex.
std::string digestHa1(std::string_view username, std::string_view realm, std::string_view password);

/// The parameters of a Digest Authorization header (RFC 2617 section 3.2.2), unquoted.
struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;
  std::string algorithm;  ///< "" or "MD5"
  std::string qop;        ///< "" (RFC 2069 compatibility) or "auth"
  std::string nc;
  std::string cnonce;
  std::string opaque;
};

/// Parses the header's parameters, each "name=value" with the value quoted or not (as sofia
/// hands them over). BadRequest when username, realm, nonce, uri or response is missing, a quote
/// is unterminated, or qop=auth comes without nc and cnonce.
base::Result<DigestCredentials> parseDigestParams(const std::vector<std::string_view>& params);

/// The request-digest the client must have sent (RFC 2617 section 3.2.2.1), for qop "auth" or
/// none. `ha1` in lower-case hex.
std::string digestResponse(std::string_view ha1, const DigestCredentials& c,
                           std::string_view method);

enum class NonceStatus { Valid, Stale, Invalid };

/// Issues and checks stateless nonces. Thread-safe (immutable after construction).
class NonceIssuer {
 public:
  /// A key drawn at random (OpenSSL's CSPRNG); nonces live `lifetime`.
  NonceIssuer(const base::Clock& clock, base::Duration lifetime);
  /// A fixed key, for tests.
  NonceIssuer(const base::Clock& clock, base::Duration lifetime, std::array<std::uint8_t, 32> key);

  /// A fresh nonce bound to `realm`: 16 hex digits of issue time (seconds) and 32 of HMAC.
  std::string issue(std::string_view realm) const;
  /// Invalid when not ours (bad form or HMAC), Stale when older than the lifetime or from the
  /// future.
  NonceStatus check(std::string_view nonce, std::string_view realm) const;

 private:
  std::string mac(std::uint64_t seconds, std::string_view realm) const;

  const base::Clock& clock_;
  base::Duration lifetime_;
  std::array<std::uint8_t, 32> key_{};
};

enum class DigestVerdict {
  Ok,
  Stale,    ///< the right response to an expired nonce: challenge again with stale=true
  Refused,  ///< wrong response, foreign nonce, wrong realm or unsupported algorithm/qop
};

/// Checks `c` (sent with `method`) against `ha1`, the nonce and our realm. Constant-time
/// comparison of the response.
DigestVerdict verifyDigest(const DigestCredentials& c, std::string_view method,
                           std::string_view ha1, const NonceIssuer& nonces, std::string_view realm);

/// The value of a WWW-Authenticate header challenging for `realm` with `nonce`.
std::string digestChallenge(std::string_view realm, std::string_view nonce, bool stale);

}  // namespace bankcc::sip
