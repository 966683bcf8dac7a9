// SPDX-License-Identifier: Apache-2.0
#pragma once

// Organisation data for the call-control core: queues (with their calendars' business hours)
// and agents as stored (store/org_*.h) turned into what the core needs (callctl::QueueSetup,
// AgentSetup), loaded at start and re-applied after each change made through the API
// (config.changed): a calendar's change re-applies every queue that uses it.

#include <soci/soci.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "callctl/call_control.h"
#include "events/event.h"
#include "server/core_runtime.h"
#include "store/database.h"
#include "store/org_agents.h"
#include "store/org_calendars.h"
#include "store/org_queues.h"

namespace bankcc::server {

/// Pure mappings. A queue without skill needs cannot be routed: nullopt. `hours` are those of
/// the queue's calendar (QueueSetup::hours), null for a queue without one (always open).
std::optional<callctl::QueueSetup> toQueueSetup(const store::Queue& queue,
                                                const acd::BusinessHours* hours = nullptr);
callctl::AgentSetup toAgentSetup(const store::Agent& agent, std::string teamCode);

/// Loads every active queue and agent into `core`. Returns how many of each; a queue or agent
/// the core refuses is logged and skipped (the rest still load).
struct LoadedOrg {
  int queues = 0;
  int agents = 0;
  int skipped = 0;
};
base::Result<LoadedOrg> loadOrganisation(soci::session& session, CoreRuntime& core);

/// What one config.changed asks of the core, read from the database.
struct OrgUpdate {
  std::vector<callctl::QueueSetup> setQueues;
  std::vector<std::string> removeQueues;
  std::vector<callctl::AgentSetup> setAgents;
  std::vector<std::string> removeAgents;
};
/// The update for `change`: a queue: its setup (with its calendar's hours), or its removal when
/// it has no skill needs (a disabled queue stays known but closed); an agent: its setup, or
/// its removal when disabled; a calendar: the setup of every enabled queue that uses it (none
/// after its creation or deletion); other kinds: nothing. Errors: NotFound, Unavailable, Io.
base::Result<OrgUpdate> orgUpdateFor(soci::session& session, const events::ConfigChanged& change);

/// Keeps the core's copy of the organisation in step with the database: after a committed
/// change (config.changed of a queue, an agent or a calendar) it reads what changed and gives
/// it to the core (orgUpdateFor()), or removes it when it was disabled. Thread-safe (serialised by
/// a mutex; it owns one database connection, opened on first use).
class OrgSync {
 public:
  OrgSync(const store::Database& database, CoreRuntime& core) : database_(database), core_(core) {}
  void onConfigChanged(const events::ConfigChanged& change);

 private:
  const store::Database& database_;
  CoreRuntime& core_;
  std::mutex mu_;
  std::unique_ptr<soci::session> session_;
};

}  // namespace bankcc::server
