// SPDX-License-Identifier: Apache-2.0
#pragma once

// Passwords: the policy a new password must meet, and argon2id hashing (libsodium
// crypto_pwhash_str). A hash at the interactive limits costs about 60 ms and 64 MiB, so the
// hasher bounds how many run at once: that bound, not the number of clients, sets the memory
// logins can take.
// Threads: PasswordHasher is thread-safe; hash()/verify() block the calling thread (run them on
// workers, never on an io thread).

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace bankcc::api {

struct PasswordPolicy {
  int minLength = 10;    ///< characters (UTF-8 code points)
  int maxLength = 128;   ///< bytes; longer is refused (hashing cost and abuse)
  int minClasses = 3;    ///< of: lower case, upper case, digit, other
  int historyDepth = 5;  ///< a new password may not equal any of the last N (nor the current)
  std::chrono::days maxAge{90};  ///< 0: passwords never expire
};

/// Problems of `password` under `policy`, as messages for the "password" field ("must be at
/// least 10 characters", "must not contain the username", ...). Empty when acceptable.
/// Does not check history (that needs the stored hashes).
std::vector<std::string> checkPasswordPolicy(const PasswordPolicy& policy,
                                             std::string_view password, std::string_view username);

enum class HashStrength {
  Interactive,  ///< production: crypto_pwhash OPSLIMIT/MEMLIMIT_INTERACTIVE (64 MiB)
  Minimal,      ///< tests only: the minimum limits, so suites stay fast
};

class PasswordHasher {
 public:
  /// At most `maxConcurrent` (>= 1) hashes or verifications run at once; further callers wait.
  PasswordHasher(int maxConcurrent, HashStrength strength);

  /// An encoded argon2id hash ("$argon2id$v=19$m=...") of `password`. Errors: Internal when
  /// libsodium fails (out of memory).
  base::Result<std::string> hash(std::string_view password);
  /// True when `password` matches `encodedHash`. A malformed hash is false.
  bool verify(std::string_view encodedHash, std::string_view password);
  /// Burns the time of one verification, so that an unknown username takes as long as a wrong
  /// password.
  void verifyDummy(std::string_view password);

  /// Bytes one hash needs at this strength (for the memory bound in docs and logs).
  std::size_t memoryPerHash() const;
  int maxConcurrent() const { return maxConcurrent_; }

 private:
  class Slot;
  const int maxConcurrent_;
  const HashStrength strength_;
  std::mutex mutex_;
  std::condition_variable freed_;
  int running_ = 0;
  std::string dummyHash_;
};

}  // namespace bankcc::api
