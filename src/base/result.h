// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace bankcc::base {

/// Stable machine codes for expected failures. The REST layer maps them onto the
/// error codes of CONVENTIONS.md; the rest are for operators and logs.
enum class Errc {
  BadRequest,        ///< malformed input (JSON, TOML, SIP, flags)
  ValidationFailed,  ///< well-formed input with a bad value
  NotFound,
  Conflict,         ///< already exists, still referenced, ...
  VersionMismatch,  ///< optimistic-locking failure
  Unavailable,      ///< a dependency (database, host) cannot be reached now
  Io,               ///< a file could not be read or written (disk full, permissions)
  Corrupt,          ///< stored data failed an integrity check
  TooNew,           ///< data written by a newer bankcc
  Internal,         ///< a bug; the message says where
};

/// The snake_case name of `c`, as used in logs and error bodies.
std::string_view errcName(Errc c);

/// An expected failure: a stable code and a message a user can act on.
struct Error {
  Errc code;
  std::string message;

  /// "<code>: <message>", for logs and command-line output.
  std::string describe() const;
};

/// Convenience constructor: `return base::err(Errc::NotFound, "no queue 'x'");`
inline Error err(Errc code, std::string message) {
  return Error{code, std::move(message)};
}

/// The value of an operation that can fail in an expected way (see STYLE.md).
/// Holds either a T or an Error. Accessing the wrong alternative is a bug and aborts.
template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    BANKCC_RELEASE_ASSERT(ok(), "Result::value() on an error");  // caller must check ok()
    return std::get<0>(v_);
  }
  const T& value() const& {
    BANKCC_RELEASE_ASSERT(ok(), "Result::value() on an error");
    return std::get<0>(v_);
  }
  T&& value() && {
    BANKCC_RELEASE_ASSERT(ok(), "Result::value() on an error");
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    BANKCC_RELEASE_ASSERT(!ok(), "Result::error() on a value");  // caller must check !ok()
    return std::get<1>(v_);
  }
  Error&& error() && {
    BANKCC_RELEASE_ASSERT(!ok(), "Result::error() on a value");
    return std::get<1>(std::move(v_));
  }

  template <typename U>
  T valueOr(U&& fallback) const& {
    return ok() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

/// Result of an operation that yields nothing but may fail.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    BANKCC_RELEASE_ASSERT(!ok_, "Result::error() on success");
    return error_;
  }
  Error&& error() && {
    BANKCC_RELEASE_ASSERT(!ok_, "Result::error() on success");
    return std::move(error_);
  }

 private:
  Error error_{Errc::Internal, {}};
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace bankcc::base

/// Evaluates `expr` (a Result); on error returns the error from the enclosing function.
#define BANKCC_TRY(expr)                       \
  do {                                         \
    auto&& bankcc_try_r_ = (expr);             \
    if (!bankcc_try_r_.ok()) {                 \
      return std::move(bankcc_try_r_).error(); \
    }                                          \
  } while (0)
