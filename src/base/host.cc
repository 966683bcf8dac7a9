// SPDX-License-Identifier: Apache-2.0
#include "base/host.h"

#include <unistd.h>

namespace bankcc::base {

std::string hostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "unknown";
  return buf;
}

}  // namespace bankcc::base
