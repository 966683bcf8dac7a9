// SPDX-License-Identifier: Apache-2.0
#pragma once

// Domain events (ARCHITECTURE.md "Data"): typed structs inside the process, JSON only at the
// edges (events/json.h). Every state change of the call-control core is one of these, wrapped
// in an Event envelope that carries its identity (epoch, seq) and the ids it concerns.
//
// Adding an event: a struct with `kType` (the stable "area.verb" name stored in the log), its
// fields, and a `fields()` function that names each field for JSON (snake_case); then add the
// struct to Payload. Field types the JSON layer knows: std::string, std::int64_t, bool,
// AgentState. Never rename a type or a field once released: stored history uses the names.
// Every member has a default initializer (`{}` for strings), so designated initializers may
// leave any of them out without a -Wmissing-field-initializers warning.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/clock.h"

namespace bankcc::events {

/// An agent's state (DOMAIN.md "Agent states"): one model for UI, events and reports.
enum class AgentState {
  LoggedOut,  ///< 签出
  NotReady,   ///< 示忙 (with a reason code)
  Ready,      ///< 示闲
  Reserved,   ///< 振铃: offered, ringing
  OnCall,     ///< 通话
  WrapUp,     ///< 话后整理
};

/// "logged_out", "not_ready", "ready", "reserved", "on_call", "wrap_up".
std::string_view agentStateName(AgentState s);
/// The inverse of agentStateName(); nullopt for anything else.
std::optional<AgentState> parseAgentState(std::string_view name);

/// The server started (first event of every epoch).
struct SystemStarted {
  static constexpr std::string_view kType = "system.started";
  std::string version{};  ///< bankcc version, e.g. "0.1.0"
  std::string node{};     ///< node name from the configuration (host name by default)
  std::int64_t pid = 0;

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("version", self.version);
    f("node", self.node);
    f("pid", self.pid);
  }
  bool operator==(const SystemStarted&) const = default;
};

/// The server is shutting down in order (a kill -9 leaves no such event).
struct SystemStopping {
  static constexpr std::string_view kType = "system.stopping";
  std::string reason{};  ///< "signal SIGTERM", "admin request", ...

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("reason", self.reason);
  }
  bool operator==(const SystemStopping&) const = default;
};

/// An agent moved from one state to another.
struct AgentStateChanged {
  static constexpr std::string_view kType = "agent.state_changed";
  std::string agentNo{};  ///< the agent number (工号)
  AgentState from = AgentState::LoggedOut;
  AgentState to = AgentState::LoggedOut;
  /// Not-ready reason code (e.g. "break", "no_answer", "desktop_lost"); empty when the new
  /// state takes none.
  std::string reason{};

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("agent_no", self.agentNo);
    f("from", self.from);
    f("to", self.to);
    f("reason", self.reason);
  }
  bool operator==(const AgentStateChanged&) const = default;
};

/// Organisation data changed through the API (a queue, skill, team, agent, user or code was
/// created, changed, disabled or enabled), so that caches and open consoles can reload it.
struct ConfigChanged {
  static constexpr std::string_view kType = "config.changed";
  /// "queue", "skill", "team", "agent", "user", "reason_code" or "wrapup_code".
  std::string kind{};
  std::string code{};        ///< the object's code, agent number or username
  std::string change{};      ///< "created", "updated", "disabled" or "enabled"
  std::int64_t version = 0;  ///< the object's version after the change
  std::string actor{};       ///< username of who made the change

  template <typename Self, typename F>
  static void fields(Self& self, F&& f) {
    f("kind", self.kind);
    f("code", self.code);
    f("change", self.change);
    f("version", self.version);
    f("actor", self.actor);
  }
  bool operator==(const ConfigChanged&) const = default;
};

/// Every domain event. Later issues append alternatives (call.*, queue.*, ivr.*, ...).
using Payload = std::variant<SystemStarted, SystemStopping, AgentStateChanged, ConfigChanged>;

/// The stable type name of the alternative held, e.g. "system.started". Any thread.
std::string_view typeName(const Payload& payload);

/// A domain event with its envelope. `epoch` and `seq` are assigned by the event log when the
/// event is appended (CONVENTIONS.md "Events and the audit log"); emitters leave them 0.
/// The ids are empty when the event does not concern such an object; they are stored in their
/// own columns so that readers can filter without parsing the payload.
struct Event {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  /// When it happened (UTC, microseconds). The event log fills in its clock's time when
  /// the emitter leaves it at the epoch (SysTime{}).
  base::SysTime ts{};
  std::string callId{};
  std::string agentId{};
  std::string queueId{};
  Payload payload{};

  bool operator==(const Event&) const = default;
};

/// The identity of an appended event. `seq` starts at 1; seq == 0 means the event was not
/// accepted (see EventLog::append()).
struct EventId {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;

  bool accepted() const { return seq != 0; }
  bool operator==(const EventId&) const = default;
};

}  // namespace bankcc::events
