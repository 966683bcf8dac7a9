// SPDX-License-Identifier: Apache-2.0
#include "events/event.h"

#include <array>
#include <utility>

namespace bankcc::events {
namespace {

constexpr std::array<std::pair<AgentState, std::string_view>, 6> kAgentStateNames{{
    {AgentState::LoggedOut, "logged_out"},
    {AgentState::NotReady, "not_ready"},
    {AgentState::Ready, "ready"},
    {AgentState::Reserved, "reserved"},
    {AgentState::OnCall, "on_call"},
    {AgentState::WrapUp, "wrap_up"},
}};

}  // namespace

std::string_view agentStateName(AgentState s) {
  for (const auto& [state, name] : kAgentStateNames) {
    if (state == s) return name;
  }
  return "unknown";  // unreachable for a valid enum value
}

std::optional<AgentState> parseAgentState(std::string_view name) {
  for (const auto& [state, n] : kAgentStateNames) {
    if (n == name) return state;
  }
  return std::nullopt;
}

std::string_view typeName(const Payload& payload) {
  return std::visit([](const auto& p) { return std::decay_t<decltype(p)>::kType; }, payload);
}

}  // namespace bankcc::events
