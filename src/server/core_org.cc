// SPDX-License-Identifier: Apache-2.0
#include "server/core_org.h"

#include <spdlog/spdlog.h>

#include <map>
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

/// The setup of `q` with its calendar's hours read from the database; nullopt when the queue
/// cannot be routed (no skill needs).
base::Result<std::optional<callctl::QueueSetup>> readSetup(soci::session& session,
                                                           const store::Queue& q) {
  if (q.calendar.empty()) return toQueueSetup(q);
  auto calendar = store::getCalendar(session, q.calendar);
  if (!calendar.ok()) return std::move(calendar).error();
  return toQueueSetup(q, &calendar->hours);
}

}  // namespace

std::optional<callctl::QueueSetup> toQueueSetup(const store::Queue& q,
                                                const acd::BusinessHours* hours) {
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
  if (hours != nullptr) s.hours = *hours;
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
  auto calendars = store::listAll(session, &store::listCalendars);
  if (!calendars.ok()) return std::move(calendars).error();
  std::map<std::string, const acd::BusinessHours*, std::less<>> hoursOf;
  for (const auto& c : *calendars) hoursOf[c.code] = &c.hours;
  // Queues first: an overflow step may name another queue, and the ACD checks targets only
  // when a call moves, so the order among queues does not matter.
  for (const auto& q : *queues) {
    // A queue names only an existing calendar (a foreign key), so the lookup finds it.
    const auto hours = hoursOf.find(q.calendar);
    auto setup = toQueueSetup(q, hours == hoursOf.end() ? nullptr : hours->second);
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

base::Result<OrgUpdate> orgUpdateFor(soci::session& session, const events::ConfigChanged& change) {
  OrgUpdate update;
  if (change.kind == "queue") {
    auto q = store::getQueue(session, change.code);
    if (!q.ok()) return std::move(q).error();
    auto setup = readSetup(session, *q);
    if (!setup.ok()) return std::move(setup).error();
    // A disabled queue stays known but closed: its waiting calls are served, new calls go to
    // its fallback.
    if (*setup) {
      update.setQueues.push_back(std::move(**setup));
    } else {
      update.removeQueues.push_back(change.code);
    }
  } else if (change.kind == "agent") {
    auto a = store::getAgent(session, change.code);
    if (!a.ok()) return std::move(a).error();
    if (a->active) {
      update.setAgents.push_back(toAgentSetup(*a, a->teamCode));
    } else {
      update.removeAgents.push_back(change.code);
    }
  } else if (change.kind == "calendar") {
    // New hours reach every enabled queue that keeps the calendar. A disabled one is closed
    // whatever its hours, and enabling it re-reads them. A created or deleted calendar has no
    // queues.
    auto codes = store::queuesUsingCalendar(session, change.code);
    if (!codes.ok()) return std::move(codes).error();
    for (const std::string& code : *codes) {
      auto q = store::getQueue(session, code);
      if (!q.ok()) return std::move(q).error();
      if (!q->active) continue;
      auto setup = readSetup(session, *q);
      if (!setup.ok()) return std::move(setup).error();
      if (*setup) update.setQueues.push_back(std::move(**setup));
    }
  }
  return update;
}

void OrgSync::onConfigChanged(const events::ConfigChanged& change) {
  if (change.kind != "queue" && change.kind != "agent" && change.kind != "calendar") return;
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
  const auto failed = [&](const base::Error& e) {
    spdlog::warn("call control: {} {} ({}) not applied: {}", change.kind, change.code,
                 change.change, e.message);
    if (e.code == base::Errc::Unavailable) session_.reset();
  };
  auto update = orgUpdateFor(*session_, change);
  if (!update.ok()) {
    failed(update.error());
    return;
  }
  // Each item on its own: one the core refuses does not keep the others from it.
  for (auto& setup : update->setQueues) {
    const std::string code = setup.acd.code;
    if (auto st = core_.setQueue(std::move(setup)); !st.ok()) {
      spdlog::warn("call control: queue {} refused after {} {} ({}): {}", code, change.kind,
                   change.code, change.change, st.error().message);
    }
  }
  for (const auto& code : update->removeQueues) {
    if (auto st = core_.removeQueue(code); !st.ok()) failed(st.error());
  }
  for (auto& setup : update->setAgents) {
    if (auto st = core_.setAgent(std::move(setup)); !st.ok()) failed(st.error());
  }
  for (const auto& agentNo : update->removeAgents) {
    if (auto st = core_.removeAgent(agentNo); !st.ok()) failed(st.error());
  }
}

}  // namespace bankcc::server
