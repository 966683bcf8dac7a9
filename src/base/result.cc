// SPDX-License-Identifier: Apache-2.0
#include "base/result.h"

namespace bankcc::base {

std::string_view errcName(Errc c) {
  switch (c) {
    case Errc::BadRequest:
      return "bad_request";
    case Errc::ValidationFailed:
      return "validation_failed";
    case Errc::NotFound:
      return "not_found";
    case Errc::Conflict:
      return "conflict";
    case Errc::VersionMismatch:
      return "version_mismatch";
    case Errc::Unavailable:
      return "unavailable";
    case Errc::Io:
      return "io_error";
    case Errc::Corrupt:
      return "corrupt";
    case Errc::TooNew:
      return "too_new";
    case Errc::Internal:
      return "internal";
  }
  return "internal";
}

std::string Error::describe() const {
  std::string out(errcName(code));
  out += ": ";
  out += message;
  return out;
}

}  // namespace bankcc::base
