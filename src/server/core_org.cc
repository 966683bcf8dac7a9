// SPDX-License-Identifier: Apache-2.0
#include "server/core_org.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace bankcc::server {

namespace {

acd::RoutingPolicy policyOf(store::RoutingPolicy p) {
  switch (p) {
    case store::RoutingPolicy::LongestIdle:
      return acd::RoutingPolicy::LongestIdle;
    case store::RoutingPolicy::MostSkilled:
      return acd::RoutingPolicy::MostSkilled;
    case store::RoutingPolicy::RoundRobin:
      return acd::RoutingPolicy::RoundRobin;
  }
  return acd::RoutingPolicy::LongestIdle;
}

acd::OverflowStep::Kind stepKindOf(store::OverflowStep::Kind k) {
  switch (k) {
    case store::OverflowStep::Kind::Widen:
      return acd::OverflowStep::Kind::Widen;
    case store::OverflowStep::Kind::MoveTo:
      return acd::OverflowStep::Kind::MoveTo;
    case store::OverflowStep::Kind::LeaveTo:
      return acd::OverflowStep::Kind::LeaveTo;
  }
  return acd::OverflowStep::Kind::Widen;
}

}  // namespace

std::optional<callctl::QueueSetup> toQueueSetup(const store::Queue& q) {
  if (q.skillNeeds.empty()) return std::nullopt;
  callctl::QueueSetup s;
  s.acd.code = q.code;
  for (const auto& need : q.skillNeeds) s.acd.needs.push_back({need.skill, need.minProficiency});
  s.acd.language = q.language;
  s.acd.policy = policyOf(q.routingPolicy);
  s.acd.agingStep = q.aging;
  s.acd.maxSize = q.maxSize;
  s.acd.maxWait = q.maxWait;
  s.acd.fallback = q.fallback;
  for (const auto& step : q.overflowSteps) {
    s.acd.steps.push_back({step.after, stepKindOf(step.kind), step.minProficiency, step.target});
  }
  s.acd.open = q.active;
  s.acd.averageHandleTime = q.averageHandleTime;
  s.dnis = q.dnis;
  s.ringTimeout = q.ringTimeout;
  s.wrapUp = q.wrapUp;
  s.readyAfterWrapUp = q.readyAfterWrapUp;
  s.music = q.music;
  s.closedPrompt = q.closedPrompt;
  return s;
}

callctl::AgentSetup toAgentSetup(const store::Agent& a, std::string teamCode) {
  callctl::AgentSetup s;
  s.acd.agentNo = a.agentNo;
  for (const auto& skill : a.skills) s.acd.skills.push_back({skill.code, skill.proficiency});
  s.acd.languages = a.languages;
  s.team = std::move(teamCode);
  for (const auto& e : a.extensions) s.extensions.push_back({e.extension, e.autoAnswer});
  return s;
}

base::Result<LoadedOrg> loadOrganisation(soci::session& session, CoreRuntime& core) {
  LoadedOrg loaded;
  auto queues = store::listAll(session, &store::listQueues, true);
  if (!queues.ok()) return std::move(queues).error();
  auto agents = store::listAll(session, &store::listAgents, true);
  if (!agents.ok()) return std::move(agents).error();
  // Queues first: an overflow step may name another queue, and the ACD checks targets only
  // when a call moves, so the order among queues does not matter.
  for (const auto& q : *queues) {
    auto setup = toQueueSetup(q);
    if (!setup) {
      spdlog::warn("call control: queue {} has no skill needs and takes no calls", q.code);
      ++loaded.skipped;
      continue;
    }
    if (auto st = core.setQueue(std::move(*setup)); !st.ok()) {
      spdlog::warn("call control: queue {} refused: {}", q.code, st.error().message);
      ++loaded.skipped;
      continue;
    }
    ++loaded.queues;
  }
  // Sorted by agent number (the store lists by key): the ACD breaks ties by first-seen order.
  for (const auto& a : *agents) {
    if (auto st = core.setAgent(toAgentSetup(a, a.teamCode)); !st.ok()) {
      spdlog::warn("call control: agent {} refused: {}", a.agentNo, st.error().message);
      ++loaded.skipped;
      continue;
    }
    ++loaded.agents;
  }
  return loaded;
}

void OrgSync::onConfigChanged(const events::ConfigChanged& change) {
  if (change.kind != "queue" && change.kind != "agent") return;
  std::lock_guard lock(mu_);
  if (!session_) {
    auto connected = database_.connect();
    if (!connected.ok()) {
      spdlog::error("call control: cannot read {} {} after a change: {}", change.kind, change.code,
                    connected.error().message);
      return;
    }
    session_ = std::move(*connected);
  }
  base::Status applied;
  if (change.kind == "queue") {
    auto q = store::getQueue(*session_, change.code);
    if (!q.ok()) {
      applied = std::move(q).error();
    } else if (auto setup = toQueueSetup(*q)) {
      // A disabled queue stays known but closed: its waiting calls are served, new calls go
      // to its fallback.
      applied = core_.setQueue(std::move(*setup));
    } else {
      applied = core_.removeQueue(change.code);
    }
  } else {
    auto a = store::getAgent(*session_, change.code);
    if (!a.ok()) {
      applied = std::move(a).error();
    } else if (a->active) {
      applied = core_.setAgent(toAgentSetup(*a, a->teamCode));
    } else {
      applied = core_.removeAgent(change.code);
    }
  }
  if (!applied.ok()) {
    spdlog::warn("call control: {} {} ({}) not applied: {}", change.kind, change.code,
                 change.change, applied.error().message);
    if (applied.error().code == base::Errc::Unavailable) session_.reset();
  }
}

}  // namespace bankcc::server
