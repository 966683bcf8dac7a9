// SPDX-License-Identifier: Apache-2.0
#pragma once

// Commands from the call-control core to a telephony engine (ARCHITECTURE.md, STYLE.md): the
// port speaks call-center verbs, never SIP or RTP. Every command names its legs; a command for
// a leg the engine does not know (any more) is answered with CommandFailed when it carries a
// RequestId, and otherwise ignored: legs end asynchronously, so that is not a bug.

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "telephony/types.h"

namespace bankcc::telephony {

struct Answer {
  LegId leg;
};

/// Refuses an arriving leg with a SIP status (e.g. 486, 480, 403, 503) before answer.
struct Reject {
  LegId leg;
  int sipStatus = 480;
  std::string reason;
};

/// Early media: 183 with SDP so that the caller hears what is played before the answer.
struct StartEarlyMedia {
  LegId leg;
};

/// Plays a playlist to the leg. Replaces anything playing. Ends with PlaybackDone. (To ask for
/// digits, give the prompt to CollectDigits instead.)
struct Play {
  LegId leg;
  std::vector<PlayItem> items;
  bool bargeIn = false;  ///< a digit stops the playback (the digit is still collected)
  bool loop = false;     ///< repeat until StopPlay (music on hold, queue music)
  RequestId request = 0;
};

struct StopPlay {
  LegId leg;
};

/// Collects DTMF digits, optionally after playing `prompt` (barge-in: the first digit stops the
/// prompt and counts). Ends with DigitsCollected. The first-digit timeout starts when the prompt
/// has finished (at once without one). Digits pressed while no collection is open are reported
/// as DigitPressed and do not count, so a prompt that asks for digits belongs in `prompt`,
/// never in a Play before this command: that is what keeps a PIN typed ahead of a secret
/// collection out of DigitPressed.
///
/// A secret collection pauses the leg's recording for the whole window (prompt included) and
/// relays no DTMF to any other party; its digits arrive as base::SecretDigits.
struct CollectDigits {
  LegId leg;
  std::vector<PlayItem> prompt;
  int minDigits = 1;  ///< fewer end with DigitsCollected::Reason::TooFew (see there)
  int maxDigits = 1;
  base::Duration firstDigitTimeout = std::chrono::seconds(5);
  base::Duration interDigitTimeout = std::chrono::seconds(3);
  char terminator = '#';  ///< '\0' for none; not included in the digits
  bool secret = false;
  RequestId request = 0;
};

struct StopCollect {
  LegId leg;
};

/// Places a new outgoing leg. `leg` is chosen by the core. `near` names the leg it will be
/// bridged to, so that both run on one media worker. Events: Ringing, EarlyMedia, Answered,
/// or LegEnded.
struct Originate {
  LegId leg;
  Destination to;
  std::string callerId;  ///< the number shown to the called party
  std::optional<LegId> near;
  base::Duration ringTimeout = std::chrono::seconds(30);
  bool autoAnswer = false;  ///< adds `Call-Info: answer-after=0` for agent phones that honour it
  std::map<std::string, std::string> headers;  ///< extra X- headers (e.g. X-Bankcc-Call)
};

/// Connects the audio of two answered legs (both ways). Each leg may be in one bridge.
struct Bridge {
  LegId a;
  LegId b;
};

struct Unbridge {
  LegId a;
  LegId b;
};

/// Puts `leg` on hold: it hears music on hold (the named prompt, looped) and its bridge
/// partner hears silence. Retrieve restores the bridge audio.
struct Hold {
  LegId leg;
  std::string music = "moh";
};

struct Retrieve {
  LegId leg;
};

/// Mutes a leg: what it says reaches nobody (its bridge partner, a conference or monitor mix)
/// and its channel of a recording is silence, until Mute{muted = false}. It still hears
/// everything (an agent who mutes to cough still hears the customer). Idempotent.
struct Mute {
  LegId leg;
  bool muted = true;
};

/// Records a call in two channels: `customer` on the left, `agent` on the right; a third party
/// (conference, barge) is mixed into the agent side. One file per call. The file is encrypted
/// at rest. Ends with RecordingStopped.
struct StartRecording {
  RecordingId recording;
  LegId customer;
  LegId agent;
};

struct PauseRecording {
  RecordingId recording;
};

struct ResumeRecording {
  RecordingId recording;
};

struct StopRecording {
  RecordingId recording;
};

/// Adds the leg of a third party to an agent's bridge: a supervisor in one of the monitor
/// modes, or a conference party (Barge). Sending it again with another mode switches mode.
struct Monitor {
  LegId supervisor;
  LegId agent;     ///< the agent's leg in the bridge being monitored
  LegId customer;  ///< the other leg of that bridge
  MonitorMode mode = MonitorMode::Listen;
};

struct StopMonitor {
  LegId supervisor;
};

/// Sends DTMF (RFC 4733) to the leg.
struct SendDtmf {
  LegId leg;
  std::string digits;
};

/// Takes an answered leg out of everything that joins it to other legs or plays to it: its
/// bridge, any monitor or conference mix, hold, mute, playback and digit collection. The leg
/// stays up and hears silence. For a persistent agent line (常连接, decision 0027) between calls;
/// recordings that name the leg are the core's to stop first. Idempotent.
struct Isolate {
  LegId leg;
};

/// Ends the leg (BYE after answer, CANCEL while ringing out, a final response before answer).
struct Hangup {
  LegId leg;
  EndCause cause = EndCause::Normal;
};

using Command =
    std::variant<Answer, Reject, StartEarlyMedia, Play, StopPlay, CollectDigits, StopCollect,
                 Originate, Bridge, Unbridge, Hold, Retrieve, Mute, StartRecording, PauseRecording,
                 ResumeRecording, StopRecording, Monitor, StopMonitor, SendDtmf, Isolate, Hangup>;

}  // namespace bankcc::telephony
