// SPDX-License-Identifier: Apache-2.0
#pragma once

// The assert ladder (STYLE.md). Each use says in a comment why the condition must hold.
// User input never reaches an assert: it gets a Result.
//
//   BANKCC_ASSERT(cond, msg)          debug builds only: aborts with file, line and msg.
//   BANKCC_RELEASE_ASSERT(cond, msg)  always: aborts. For invariants whose breach would
//                                     corrupt data if we kept running.
//   BANKCC_BUG(msg)                   always: logs an error, counts bankcc_bugs_total and
//                                     keeps running in release; aborts in debug builds.

#include <cstdint>

namespace bankcc::base {

[[noreturn]] void assertFailed(const char* expr, const char* msg, const char* file, int line);
void reportBug(const char* msg, const char* file, int line);
/// Number of BANKCC_BUG reports since start (exported as bankcc_bugs_total). Thread-safe.
std::uint64_t bugCount();

}  // namespace bankcc::base

#define BANKCC_RELEASE_ASSERT(cond, msg)                              \
  do {                                                                \
    if (!(cond)) [[unlikely]] {                                       \
      ::bankcc::base::assertFailed(#cond, (msg), __FILE__, __LINE__); \
    }                                                                 \
  } while (0)

#ifdef NDEBUG
#define BANKCC_ASSERT(cond, msg) \
  do {                           \
  } while (0)
#else
#define BANKCC_ASSERT(cond, msg) BANKCC_RELEASE_ASSERT(cond, msg)
#endif

#define BANKCC_BUG(msg) ::bankcc::base::reportBug((msg), __FILE__, __LINE__)
