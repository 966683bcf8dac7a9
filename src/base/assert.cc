// SPDX-License-Identifier: Apache-2.0
#include "base/assert.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace bankcc::base {
namespace {
std::atomic<std::uint64_t> g_bugs{0};
}

void assertFailed(const char* expr, const char* msg, const char* file, int line) {
  // Write straight to stderr as well: the logger may be the thing that is broken.
  std::fprintf(stderr, "bankcc: assertion failed: %s (%s) at %s:%d\n", expr, msg, file, line);
  spdlog::critical("assertion failed: {} ({}) at {}:{}", expr, msg, file, line);
  spdlog::shutdown();
  std::abort();
}

void reportBug(const char* msg, const char* file, int line) {
  g_bugs.fetch_add(1, std::memory_order_relaxed);
  spdlog::error("bug: {} at {}:{}", msg, file, line);
#ifndef NDEBUG
  std::abort();
#endif
}

std::uint64_t bugCount() {
  return g_bugs.load(std::memory_order_relaxed);
}

}  // namespace bankcc::base
