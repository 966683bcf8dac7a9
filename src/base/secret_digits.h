// SPDX-License-Identifier: Apache-2.0
#pragma once

// Digits a caller keyed in secret (a PIN, a new telephone-banking password). ARCHITECTURE.md
// "Threads": they travel from the media worker that detected them straight to the one
// requester as this type, which
//   - is move-only (no copy can linger somewhere else),
//   - cannot be formatted, streamed or logged (no operator<<, fmt::formatter is deleted, and
//     there is no implicit conversion to a string),
//   - wipes its buffer (sodium-style volatile zeroing) when destroyed, moved from or cleared.
// The only way to read the digits is visit(), which hands a string_view to a callback; the
// bank-host adapter uses it to build a PIN block and nothing else should.

#include <array>
#include <cstddef>
#include <string_view>

#include <fmt/core.h>

namespace bankcc::base {

class SecretDigits {
 public:
  /// The most digits a secret collection may hold (a PIN block carries at most 12; passwords
  /// in telephone banking are 6 to 8 digits).
  static constexpr std::size_t kCapacity = 32;

  SecretDigits() = default;
  ~SecretDigits();
  SecretDigits(SecretDigits&& other) noexcept;
  SecretDigits& operator=(SecretDigits&& other) noexcept;
  SecretDigits(const SecretDigits&) = delete;
  SecretDigits& operator=(const SecretDigits&) = delete;

  /// Appends one DTMF character (0-9, *, #, A-D). False (and nothing stored) when full or when
  /// `digit` is not a DTMF character.
  bool push(char digit) noexcept;
  /// Wipes the digits.
  void clear() noexcept;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  /// Calls `f(std::string_view)` with the digits. The view is valid only during the call.
  template <typename F>
  decltype(auto) visit(F&& f) const {
    return f(std::string_view(buf_.data(), size_));
  }

 private:
  std::array<char, kCapacity> buf_{};
  std::size_t size_ = 0;
};

/// Wipes `n` bytes at `p` so that the compiler cannot elide it.
void secureWipe(void* p, std::size_t n) noexcept;

}  // namespace bankcc::base

/// Formatting secret digits is a compile error (see secret_digits_test.cc): fmt treats a type
/// whose formatter cannot be constructed as not formattable.
template <>
struct fmt::formatter<bankcc::base::SecretDigits> {
  formatter() = delete;
};
