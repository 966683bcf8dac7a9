// SPDX-License-Identifier: Apache-2.0
#include "api/passwords.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "base/assert.h"

namespace bankcc::api {
namespace {

struct Limits {
  unsigned long long ops;
  std::size_t mem;
};

Limits limitsOf(HashStrength strength) {
  if (strength == HashStrength::Minimal) {
    return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  }
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

/// Counts UTF-8 code points (continuation bytes are not counted).
std::size_t codePoints(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::vector<std::string> checkPasswordPolicy(const PasswordPolicy& policy,
                                             std::string_view password, std::string_view username) {
  std::vector<std::string> problems;
  if (password.size() > static_cast<std::size_t>(policy.maxLength)) {
    problems.push_back(fmt::format("must be at most {} bytes", policy.maxLength));
    return problems;
  }
  if (codePoints(password) < static_cast<std::size_t>(policy.minLength)) {
    problems.push_back(fmt::format("must be at least {} characters", policy.minLength));
  }
  bool lowerCase = false, upperCase = false, digit = false, other = false, control = false;
  for (char ch : password) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      control = true;
    } else if (c >= 'a' && c <= 'z') {
      lowerCase = true;
    } else if (c >= 'A' && c <= 'Z') {
      upperCase = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      other = true;  // punctuation, space, and any non-ASCII letter
    }
  }
  if (control) problems.push_back("must not contain control characters");
  const int classes = lowerCase + upperCase + digit + other;
  if (classes < policy.minClasses) {
    problems.push_back(fmt::format(
        "must mix at least {} of: lower-case letters, upper-case letters, digits, other "
        "characters",
        policy.minClasses));
  }
  if (!username.empty() && lower(password).find(lower(username)) != std::string::npos) {
    problems.push_back("must not contain the username");
  }
  return problems;
}

/// Holds one of the hasher's concurrency slots for its lifetime.
class PasswordHasher::Slot {
 public:
  explicit Slot(PasswordHasher& h) : h_(h) {
    std::unique_lock lock(h_.mutex_);
    h_.freed_.wait(lock, [this] { return h_.running_ < h_.maxConcurrent_; });
    ++h_.running_;
  }
  ~Slot() {
    {
      std::lock_guard lock(h_.mutex_);
      --h_.running_;
    }
    h_.freed_.notify_one();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  PasswordHasher& h_;
};

PasswordHasher::PasswordHasher(int maxConcurrent, HashStrength strength)
    : maxConcurrent_(std::max(1, maxConcurrent)), strength_(strength) {
  // sodium_init is idempotent and thread-safe; -1 means no usable randomness: fatal.
  BANKCC_RELEASE_ASSERT(sodium_init() >= 0, "libsodium cannot initialise");
  auto dummy = hash("bankcc dummy password for timing");
  BANKCC_RELEASE_ASSERT(dummy.ok(), "cannot compute the dummy password hash");
  dummyHash_ = std::move(*dummy);
}

base::Result<std::string> PasswordHasher::hash(std::string_view password) {
  const auto limits = limitsOf(strength_);
  char out[crypto_pwhash_STRBYTES];
  Slot slot(*this);
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), limits.ops, limits.mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return base::err(base::Errc::Internal, "password hashing failed (out of memory)");
  }
  return std::string(out);
}

bool PasswordHasher::verify(std::string_view encodedHash, std::string_view password) {
  if (encodedHash.empty() || encodedHash.size() >= crypto_pwhash_STRBYTES) return false;
  // crypto_pwhash_str_verify wants a NUL-terminated string.
  char stored[crypto_pwhash_STRBYTES] = {};
  std::copy(encodedHash.begin(), encodedHash.end(), stored);
  Slot slot(*this);
  return crypto_pwhash_str_verify(stored, password.data(), password.size()) == 0;
}

void PasswordHasher::verifyDummy(std::string_view password) {
  (void)verify(dummyHash_, password);
}

std::size_t PasswordHasher::memoryPerHash() const {
  return limitsOf(strength_).mem;
}

}  // namespace bankcc::api
