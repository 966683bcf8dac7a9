// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plain values shared by the commands and events of the telephony port. Everything here can be
// copied across threads and could be serialised (ARCHITECTURE.md "Threads").

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace bankcc::telephony {

/// A leg: one party's connection (a SIP dialog and its media session). UUIDv7 string
/// (CONVENTIONS.md). The core chooses the id for legs it originates; the engine chooses it for
/// arriving legs.
struct LegId {
  std::string value;
  friend auto operator<=>(const LegId&, const LegId&) = default;
};

/// A recording (one file per call). UUIDv7 string chosen by the core.
struct RecordingId {
  std::string value;
  friend auto operator<=>(const RecordingId&, const RecordingId&) = default;
};

/// Correlates a command with the event that completes it (PlaybackDone, DigitsCollected,
/// CommandFailed). Chosen by the caller; 0 means "no answer wanted".
using RequestId = std::uint64_t;

/// Call-progress tones (ITU-T E.180 and the Chinese national plan, GB/T 15279: 450 Hz).
enum class Tone { Dial, Ringback, Busy, Congestion, CallWaiting, Beep };

/// One item of a playlist: a prompt loaded ahead of time (by name), a tone for a duration, or
/// silence.
struct PlayItem {
  enum class Kind { Prompt, Tone, Silence };
  Kind kind = Kind::Prompt;
  std::string prompt;  ///< Kind::Prompt: the prompt's name in the prompt library
  Tone tone = Tone::Ringback;
  base::Duration duration{};  ///< Tone and Silence; zero for a tone means "until stopped"

  static PlayItem ofPrompt(std::string name) { return {Kind::Prompt, std::move(name)}; }
  static PlayItem ofTone(Tone t, base::Duration d = {}) { return {Kind::Tone, {}, t, d}; }
  static PlayItem ofSilence(base::Duration d) { return {Kind::Silence, {}, Tone::Ringback, d}; }
};

/// How a supervisor takes part in an agent's call (DOMAIN.md).
enum class MonitorMode {
  Listen,   ///< the supervisor hears both parties; nobody hears the supervisor
  Whisper,  ///< the supervisor hears both; only the agent hears the supervisor
  Barge,    ///< all three hear each other
};

/// "listen", "whisper", "barge" (the words of the API and the events).
constexpr std::string_view monitorModeName(MonitorMode m) {
  switch (m) {
    case MonitorMode::Listen:
      return "listen";
    case MonitorMode::Whisper:
      return "whisper";
    case MonitorMode::Barge:
      return "barge";
  }
  return "listen";
}

/// The inverse of monitorModeName(); nullopt for anything else.
constexpr std::optional<MonitorMode> parseMonitorMode(std::string_view name) {
  if (name == "listen") return MonitorMode::Listen;
  if (name == "whisper") return MonitorMode::Whisper;
  if (name == "barge") return MonitorMode::Barge;
  return std::nullopt;
}

/// Why a leg ended, in call-center words. `sipStatus` in LegEnded carries the detail.
enum class EndCause {
  Normal,        ///< BYE from either side after answer, or our Hangup
  Cancelled,     ///< the caller gave up before answer (CANCEL)
  Busy,          ///< 486/600
  NoAnswer,      ///< 408/480 or our ring timeout
  Rejected,      ///< 403/603 or another final failure
  Unreachable,   ///< no route, no registration, transport failure
  MediaTimeout,  ///< no RTP for the configured time
  Failed,        ///< an engine failure (no media port, codec mismatch 488)
  Shutdown,      ///< the engine is stopping
};

/// Where an originated leg goes.
struct Destination {
  enum class Kind {
    Extension,  ///< an agent phone registered with our registrar (e.g. "8001")
    External,   ///< a number dialled out through the configured trunk
  };
  Kind kind = Kind::Extension;
  std::string number;
};

}  // namespace bankcc::telephony
