// SPDX-License-Identifier: Apache-2.0
#pragma once

// The registrar's table: extensions and their contact bindings with expiry (RFC 3261 section
// 10.3). Private to sip/; pure data, owned by the SIP thread (SipStackImpl publishes copies for
// other threads).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "sip/sip_stack.h"

namespace bankcc::sip {

struct ContactBinding {
  std::string uri;       ///< the Contact URI as the phone sent it
  std::string host;      ///< the URI's host part
  std::string sourceIp;  ///< where the REGISTER came from (behind NAT it differs from host)
  base::MonoTime expiresAt{};
  base::SysTime expiresWall{};
};

class RegistrationTable {
 public:
  /// Adds `b` or refreshes the binding with the same URI. True when the contact set changed.
  bool upsert(const std::string& extension, ContactBinding b);
  /// Removes one binding; true when it existed.
  bool remove(const std::string& extension, const std::string& uri);
  /// Removes every binding of `extension` ("Contact: *"); true when there was one.
  bool removeAll(const std::string& extension);
  /// Drops bindings that expire at or before `now`; the extensions whose set changed.
  std::vector<std::string> expire(base::MonoTime now);

  /// The bindings of `extension` in registration order; empty when not registered.
  const std::vector<ContactBinding>& bindings(const std::string& extension) const;
  /// The extension registered with a binding whose host or source is `ip`, if `extension` has
  /// one: agent phones calling out must come from where they registered.
  bool registeredFrom(const std::string& extension, const std::string& ip) const;
  std::vector<Registration> snapshot() const;

 private:
  std::map<std::string, std::vector<ContactBinding>> table_;
};

}  // namespace bankcc::sip
