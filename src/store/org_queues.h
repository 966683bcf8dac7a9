// SPDX-License-Identifier: Apache-2.0
#pragma once

// Queues (队列): where callers wait for an agent with the queue's skills, with the service
// level the center promises. Conventions of all repositories: org_common.h.
// Threads: each function runs on the caller's thread, which owns `session`.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/org_common.h"

namespace bankcc::store {

struct Queue {
  std::int64_t id = 0;  ///< database key; not part of the API
  std::string code;     ///< e.g. "retail_zh"
  std::string nameZh;
  std::string nameEn;
  /// Service level: serviceLevelTarget percent of calls answered within the threshold (80/20).
  int serviceLevelTarget = 80;                     ///< percent, 1..100
  std::chrono::seconds serviceLevelThreshold{20};  ///< 1 s .. 1 h
  std::chrono::seconds shortAbandon{5};            ///< 0 .. 600 s
  std::vector<std::string> skills;                 ///< skill codes an agent needs, sorted
  bool active = true;
  std::int64_t version = 0;
  base::SysTime createdAt{};
  base::SysTime updatedAt{};
};

/// Creates `queue` from its code, names, service level, short-abandon threshold, skills and
/// active flag (id, version and timestamps are ignored) and returns it as stored, at version
/// 1. Errors: ValidationFailed (also "skills: unknown skill 'x'"), Conflict.
base::Result<Queue> createQueue(soci::session& session, const base::Clock& clock,
                                const Queue& queue);
/// Errors: NotFound.
base::Result<Queue> getQueue(soci::session& session, std::string_view code);
/// Queues ordered by code.
base::Result<Page<Queue>> listQueues(soci::session& session, const PageRequest& request);
/// Replaces every field but the code of the queue `queue.code`, provided its stored version is
/// `queue.version`. Errors: ValidationFailed, NotFound, VersionMismatch.
base::Result<Queue> updateQueue(soci::session& session, const base::Clock& clock,
                                const Queue& queue);
/// Enables or disables a queue. Errors: NotFound, VersionMismatch.
base::Result<Queue> setQueueActive(soci::session& session, const base::Clock& clock,
                                   std::string_view code, bool active,
                                   std::int64_t expectedVersion);

}  // namespace bankcc::store
