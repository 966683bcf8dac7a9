// SPDX-License-Identifier: Apache-2.0
#pragma once

// The telephony port (ARCHITECTURE.md): the only thing the call-control core knows about
// telephony. Implemented live by voice::VoiceEngine (SIP and RTP) and in virtual time by
// sim::SimTelephony.

#include <functional>

#include "telephony/commands.h"
#include "telephony/events.h"

namespace bankcc::telephony {

/// Receives the engine's events. Called on the engine's thread (the SIP thread for the live
/// engine, the test's thread for the simulator); the core's implementation posts them to its
/// loop. Must not block.
using EventSink = std::function<void(Event)>;

class TelephonyPort {
 public:
  virtual ~TelephonyPort() = default;
  /// Carries out `command` asynchronously; outcomes arrive as events on the sink.
  /// Thread-safe.
  virtual void execute(Command command) = 0;
};

}  // namespace bankcc::telephony
