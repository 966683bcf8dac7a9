// SPDX-License-Identifier: Apache-2.0
#pragma once

// Queues (队列): where callers wait for an agent with the queue's skills, with the service
// level the center promises and the routing settings call control needs (acd/acd.h
// QueueConfig, callctl/call_control.h QueueSetup). Conventions of all repositories:
// org_common.h. Threads: each function runs on the caller's thread, which owns `session`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/org_common.h"

namespace bankcc::store {

/// A skill the queue asks for and the least proficiency an agent needs in it to take a call
/// (before any `widen` step lowers it).
struct QueueSkillNeed {
  std::string skill;       ///< skill code
  int minProficiency = 1;  ///< 1 (novice) .. 5 (expert)

  bool operator==(const QueueSkillNeed&) const = default;
};

/// How a queue picks among the agents who qualify for a call (acd::RoutingPolicy).
enum class RoutingPolicy { LongestIdle, MostSkilled, RoundRobin };
/// "longest_idle", "most_skilled", "round_robin".
std::string_view routingPolicyName(RoutingPolicy policy);
std::optional<RoutingPolicy> parseRoutingPolicy(std::string_view name);

/// What happens to a call that has waited `after` in the queue (acd::OverflowStep).
struct OverflowStep {
  enum class Kind {
    Widen,   ///< every skill need accepts `minProficiency` from now on
    MoveTo,  ///< the call moves to queue `target` (an existing queue, not this one)
    LeaveTo  ///< the call leaves the ACD for destination `target` (a number, "voicemail", ...)
  };
  std::chrono::seconds after{};  ///< 1 s .. 24 h; strictly increasing within a queue
  Kind kind = Kind::Widen;
  int minProficiency = 1;  ///< Widen only: 1..5
  std::string target;      ///< MoveTo: queue code; LeaveTo: destination; Widen: empty

  bool operator==(const OverflowStep&) const = default;
};
/// "widen", "move_to", "leave_to".
std::string_view overflowKindName(OverflowStep::Kind kind);
std::optional<OverflowStep::Kind> parseOverflowKind(std::string_view name);

/// How the queue's service level treats abandoned calls (decision 0026; the formulas and the
/// meaning are reports::ServiceLevelVariant's, reports/kpi.h, which statistics map this to).
enum class ServiceLevelVariant {
  IgnoreAbandons,   ///< answered within T / answered
  AbandonsAgainst,  ///< answered within T / (answered + abandoned after T); the default
  AbandonsInFavour  ///< (answered within T + abandoned within T) / (answered + abandoned)
};
/// "ignore_abandons", "abandons_against", "abandons_in_favour" (the names reports use).
std::string_view serviceLevelVariantName(ServiceLevelVariant variant);
std::optional<ServiceLevelVariant> parseServiceLevelVariant(std::string_view name);

struct Queue {
  std::int64_t id = 0;  ///< database key; not part of the API
  std::string code;     ///< e.g. "retail_zh"
  std::string nameZh;
  std::string nameEn;
  /// Service level: serviceLevelTarget percent of calls answered within the threshold (80/20).
  int serviceLevelTarget = 80;                     ///< percent, 1..100
  std::chrono::seconds serviceLevelThreshold{20};  ///< 1 s .. 1 h
  std::chrono::seconds shortAbandon{5};            ///< 0 .. 600 s
  /// Which service-level formula the queue's statistics report (abandons against: DOMAIN.md).
  ServiceLevelVariant serviceLevelVariant = ServiceLevelVariant::AbandonsAgainst;
  /// The skills an agent needs, each at most once; sorted by skill as stored. Call control
  /// routes only queues with at least one (acd::QueueConfig); an empty list is stored (a queue
  /// being set up, or one from before skill needs existed).
  std::vector<QueueSkillNeed> skillNeeds;

  // --- routing (call control)
  /// Numbers (DNIS) that reach this queue directly: 1-32 characters of 0-9, '*' and '#',
  /// optionally starting with '+'. A number reaches one queue only. Sorted as stored.
  std::vector<std::string> dnis;
  std::string language;  ///< empty: any language; else a lower-case tag such as "zh"
  RoutingPolicy routingPolicy = RoutingPolicy::LongestIdle;
  std::chrono::seconds aging{60};   ///< +1 priority per `aging` waited; 0: strict priority; ≤ 1 h
  int maxSize = 0;                  ///< waiting calls, 0: unlimited; ≤ 100000
  std::chrono::seconds maxWait{0};  ///< 0: none; else the call leaves to `fallback`; ≤ 24 h
  /// Where calls go when the queue is full, closed or maxWait passed, empty for none. Like a
  /// LeaveTo target, a destination: 1-64 printable ASCII characters without spaces (a number,
  /// "voicemail", a SIP URI); call control decides what it means.
  std::string fallback;
  std::vector<OverflowStep> overflowSteps;  ///< at most 10, `after` strictly increasing
  std::chrono::seconds ringTimeout{20};     ///< how long an agent's phone rings, 5..120 s
  std::chrono::seconds wrapUp{15};          ///< 0 (no wrap-up) .. 1800 s
  bool readyAfterWrapUp = true;             ///< else the agent goes not_ready after wrap-up
  /// Prompt names (music, closedPrompt): 1-64 characters of A-Z, a-z, 0-9, '_', '-' and '.',
  /// not starting with '.'; the stem of a file in [media] prompts_dir.
  std::string music = "moh";                    ///< prompt looped while the caller waits
  std::string closedPrompt = "queue_closed";    ///< prompt before the caller leaves for fallback
  std::chrono::seconds averageHandleTime{180};  ///< seeds the wait estimate, 1 s .. 1 h
  /// The code of the queue's business-hours calendar (store/org_calendars.h); empty: always
  /// open. Outside its hours the queue is closed: calls go to `fallback`.
  std::string calendar;

  bool active = true;
  std::int64_t version = 0;
  base::SysTime createdAt{};
  base::SysTime updatedAt{};

  /// The codes of skillNeeds, in their order.
  std::vector<std::string> skillCodes() const;
};

/// Creates `queue` from every field but id, version and timestamps and returns it as stored,
/// at version 1. Errors: ValidationFailed naming the field ("skill_needs: unknown skill 'x'",
/// "dnis[1]: '95x' is not a phone number ...", "overflow_steps[0].target: unknown queue
/// 'x'"), NotFound for an unknown calendar ("calendar: no calendar 'x'"), Conflict (code taken;
/// "dnis[0]: '95588' already reaches queue 'retail_en'").
base::Result<Queue> createQueue(soci::session& session, const base::Clock& clock,
                                const Queue& queue);
/// Errors: NotFound.
base::Result<Queue> getQueue(soci::session& session, std::string_view code);
/// Queues ordered by code.
base::Result<Page<Queue>> listQueues(soci::session& session, const PageRequest& request);
/// Replaces every field but the code of the queue `queue.code`, provided its stored version is
/// `queue.version`. Errors: as createQueue, NotFound, VersionMismatch.
base::Result<Queue> updateQueue(soci::session& session, const base::Clock& clock,
                                const Queue& queue);
/// Enables or disables a queue. Errors: NotFound, VersionMismatch.
base::Result<Queue> setQueueActive(soci::session& session, const base::Clock& clock,
                                   std::string_view code, bool active,
                                   std::int64_t expectedVersion);

}  // namespace bankcc::store
