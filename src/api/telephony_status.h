// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the API may ask the telephony engine of its node, as plain values (the API does not
// include sip/ or media/). The composition root implements it.

#include <string>
#include <vector>

#include "base/clock.h"

namespace bankcc::api {

struct PhoneRegistration {
  std::string extension;
  std::vector<std::string> contacts;  ///< contact URIs
  base::SysTime expires{};            ///< earliest expiry among the contacts
};

class TelephonyStatus {
 public:
  virtual ~TelephonyStatus() = default;
  /// The phones registered with this node now. Thread-safe.
  virtual std::vector<PhoneRegistration> registrations() const = 0;
};

}  // namespace bankcc::api
