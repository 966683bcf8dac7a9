// SPDX-License-Identifier: Apache-2.0
#pragma once

// Agent phones: SIP extensions that may register with our registrar, with their digest
// credential. The registrar needs HA1 = MD5(extension:realm:password), so that is what is
// kept, sealed under a key derived from the master key (server/phone_credentials.h seals and
// opens it; this file only stores the sealed text). The password is never stored.
// Threads: each function runs on the caller's thread, which owns `session`.

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace soci {
class session;
}

namespace bankcc::store {

struct Phone {
  std::string extension;    ///< 2-20 digits, e.g. "8001"
  std::string realm;        ///< the digest realm the HA1 was made for
  std::string ha1Sealed;    ///< opaque sealed HA1
  bool autoAnswer = false;  ///< the phone honours Call-Info: answer-after=0
  bool active = true;
  base::SysTime createdAt{};
  base::SysTime updatedAt{};
};

/// Creates the phone or replaces its credential and flags (by extension). ValidationFailed for
/// an extension that is not 2-20 digits.
base::Status upsertPhone(soci::session& session, const base::Clock& clock, const Phone& phone);

/// Every phone, ordered by extension.
base::Result<std::vector<Phone>> listPhones(soci::session& session);

}  // namespace bankcc::store
