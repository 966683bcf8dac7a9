// SPDX-License-Identifier: Apache-2.0
#pragma once

// Events from a telephony engine to the call-control core. Ordering promise (ARCHITECTURE.md
// "Threads"): every event of a leg is delivered before that leg's LegEnded, and LegEnded is
// sent only after the leg's media session has been released. The core ignores events for legs
// it no longer knows.

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "base/secret_digits.h"
#include "telephony/types.h"

namespace bankcc::telephony {

/// A call arrived (from a trunk or from an agent's phone) and waits for Answer or Reject.
struct LegArrived {
  LegId leg;
  std::string ani;        ///< calling number (From user part or P-Asserted-Identity)
  std::string dnis;       ///< called number (Request-URI user part)
  std::string trunk;      ///< the configured trunk it came through; empty for an agent phone
  std::string extension;  ///< the registered extension it came from, when from an agent phone
  std::map<std::string, std::string> headers;  ///< X- headers and Call-Info, lower-case names
};

struct Ringing {
  LegId leg;
};

struct EarlyMedia {
  LegId leg;
};

struct Answered {
  LegId leg;
};

/// A digit pressed outside any collection: for the agent desktop and for flows that react to a
/// key at any time. Never sent while a secret collection is open on the leg. (The engine itself
/// passes DTMF through a bridge, RFC 4733 to RFC 4733; the core does not relay digits.)
struct DigitPressed {
  LegId leg;
  char digit = 0;
  base::Duration duration{};
};

/// The outcome of CollectDigits.
struct DigitsCollected {
  /// TooFew: the terminator, or a timeout after at least one digit, came before minDigits
  /// digits (`digits` holds them). A timeout without any digit is Timeout (no input).
  enum class Reason { MaxDigits, Terminator, Timeout, TooFew, Stopped, LegGone };
  LegId leg;
  RequestId request = 0;
  Reason reason = Reason::MaxDigits;
  std::string digits;         ///< for an open collection
  base::SecretDigits secret;  ///< for a secret collection; `digits` is then empty
};

struct PlaybackDone {
  LegId leg;
  RequestId request = 0;
  bool interrupted = false;  ///< stopped by barge-in, StopPlay or a new Play
};

/// A recording file is complete, fsynced and encrypted.
struct RecordingStopped {
  RecordingId recording;
  std::string file;  ///< path of the encrypted file
  base::Duration duration{};
  bool complete = true;  ///< false when a write failed (the file holds what was written)
};

struct LegEnded {
  LegId leg;
  EndCause cause = EndCause::Normal;
  int sipStatus = 0;  ///< the final SIP status or the BYE reason, when there is one
  /// Receive-side quality of the leg's media, from RTP and RTCP.
  std::uint64_t packetsReceived = 0;
  std::uint64_t packetsLost = 0;
  double jitterMs = 0;
};

/// No RTP from the leg for the configured time. The engine hangs the leg up itself after this.
struct MediaTimeout {
  LegId leg;
};

/// An agent phone registered, refreshed with other contacts, or unregistered/expired.
struct RegistrationChanged {
  std::string extension;
  bool registered = false;
  int contacts = 0;
};

/// A command could not be carried out. Sent for commands with a RequestId; `leg` names the
/// leg the command was about, when it was about one.
struct CommandFailed {
  RequestId request = 0;
  LegId leg;
  std::string reason;
};

using Event = std::variant<LegArrived, Ringing, EarlyMedia, Answered, DigitPressed, DigitsCollected,
                           PlaybackDone, RecordingStopped, LegEnded, MediaTimeout,
                           RegistrationChanged, CommandFailed>;

/// The LegId an event is about, or nullptr for events not about one leg.
const LegId* legOf(const Event& e);

}  // namespace bankcc::telephony
