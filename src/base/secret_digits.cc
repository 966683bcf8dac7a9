// SPDX-License-Identifier: Apache-2.0
#include "base/secret_digits.h"

#include <cstring>
#include <utility>

namespace bankcc::base {

void secureWipe(void* p, std::size_t n) noexcept {
  auto* v = static_cast<volatile unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) v[i] = 0;
}

SecretDigits::~SecretDigits() {
  clear();
}

SecretDigits::SecretDigits(SecretDigits&& other) noexcept : size_(other.size_) {
  std::memcpy(buf_.data(), other.buf_.data(), other.size_);
  other.clear();
}

SecretDigits& SecretDigits::operator=(SecretDigits&& other) noexcept {
  if (this != &other) {
    clear();
    std::memcpy(buf_.data(), other.buf_.data(), other.size_);
    size_ = other.size_;
    other.clear();
  }
  return *this;
}

bool SecretDigits::push(char digit) noexcept {
  bool dtmf = (digit >= '0' && digit <= '9') || digit == '*' || digit == '#' ||
              (digit >= 'A' && digit <= 'D');
  if (!dtmf || size_ == kCapacity) return false;
  buf_[size_++] = digit;
  return true;
}

void SecretDigits::clear() noexcept {
  secureWipe(buf_.data(), buf_.size());
  size_ = 0;
}

}  // namespace bankcc::base
