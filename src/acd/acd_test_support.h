// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers shared by the ACD's tests (not part of the library).

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "acd/acd.h"

namespace bankcc::acd::test {

/// 2026-01-01T00:00:00Z: the start of every test's day.
inline const SysTime kT0{std::chrono::seconds{1'767'225'600}};

inline QueueConfig makeQueue(std::string code, std::vector<SkillNeed> needs,
                             RoutingPolicy policy = RoutingPolicy::LongestIdle) {
  QueueConfig q;
  q.code = std::move(code);
  q.needs = std::move(needs);
  q.policy = policy;
  return q;
}

inline AgentConfig makeAgent(std::string no, std::vector<AgentConfig::Skill> skills,
                             std::vector<std::string> languages = {"zh"}) {
  AgentConfig a;
  a.agentNo = std::move(no);
  a.skills = std::move(skills);
  a.languages = std::move(languages);
  return a;
}

inline CallEntry makeCall(std::string id, std::string queue, int priority = 0,
                          SysTime arrived = kT0) {
  CallEntry e;
  e.callId = std::move(id);
  e.queue = std::move(queue);
  e.priority = priority;
  e.arrived = arrived;
  return e;
}

inline std::string_view stepKindName(StepDue::Kind k) {
  switch (k) {
    case StepDue::Kind::Widened:
      return "widened";
    case StepDue::Kind::Moved:
      return "moved";
    case StepDue::Kind::Left:
      return "left";
    case StepDue::Kind::TimedOut:
      return "timed_out";
    case StepDue::Kind::PreferenceExpired:
      return "preference_expired";
  }
  return "?";
}

/// "moved c1 retail -> general", "widened c1 retail".
inline std::string describe(const StepDue& d) {
  std::string s = fmt::format("{} {} {}", stepKindName(d.kind), d.callId, d.fromQueue);
  if (!d.target.empty()) s += " -> " + d.target;
  return s;
}

/// An Acd with terse helpers that fail the test on unexpected errors.
class AcdFixture : public ::testing::Test {
 protected:
  void addQueue(QueueConfig q) {
    auto s = acd_.setQueue(std::move(q));
    ASSERT_TRUE(s.ok()) << s.error().describe();
  }
  void addAgent(AgentConfig a) {
    auto s = acd_.setAgent(std::move(a));
    ASSERT_TRUE(s.ok()) << s.error().describe();
  }
  void available(const std::string& no, SysTime since) {
    auto s = acd_.setAvailable(no, since);
    ASSERT_TRUE(s.ok()) << s.error().describe();
  }
  /// Enqueues a call that arrived at `arrived` at `now` (default: the same moment).
  JoinOutcome join(const std::string& id, const std::string& queue, int priority, SysTime arrived,
                   std::optional<SysTime> now = std::nullopt) {
    CallEntry e;
    e.callId = id;
    e.queue = queue;
    e.priority = priority;
    e.arrived = arrived;
    auto r = acd_.enqueue(e, now.value_or(arrived));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().describe());
    return r.ok() ? *r : JoinOutcome::Closed;
  }
  /// The agent routeCall picks, or "".
  std::string routeCall(const std::string& id, SysTime now) {
    auto m = acd_.routeCall(id, now);
    return m ? m->agentNo : std::string();
  }
  /// The call routeAgent picks, or "".
  std::string routeAgent(const std::string& no, SysTime now) {
    auto m = acd_.routeAgent(no, now);
    return m ? m->callId : std::string();
  }

  Acd acd_;
};

}  // namespace bankcc::acd::test
