// SPDX-License-Identifier: Apache-2.0
#pragma once

// The telephony sections of bankcc.toml: [sip] (with [sip.trunks.<name>] tables) and [media].
// Parsed here because voice/ is where sip/ and media/ meet; the server fills in what comes
// from elsewhere (recording directory and key). Every default and meaning is in
// config/bankcc.example.toml.

#include <filesystem>
#include <optional>
#include <string>

#include "base/config.h"
#include "base/result.h"
#include "media/engine.h"
#include "sip/sip_stack.h"
#include "voice/voice_engine.h"

namespace bankcc::voice {

struct TelephonySettings {
  bool enabled = true;  ///< [sip] enabled = false runs the server without telephony
  sip::SipConfig sip;
  media::MediaConfig media;
  VoiceConfig voice;
  std::filesystem::path promptsDir;  ///< [media] prompts_dir: *.wav loaded by name at start
};

/// Reads [sip] (and its trunk tables) into `into`. Problems of [sip] itself are recorded on
/// `sec` (its finish() reports them); problems of the [sip.trunks.<name>] tables are returned
/// (BadRequest, one per line, each with file, line and key). `sipOverride` (the --sip flag)
/// replaces [sip] listen.
base::Status parseSipSection(base::ConfigSection& sec,
                             const std::optional<std::string>& sipOverride,
                             TelephonySettings& into);
/// Reads [media] into `into`.
void parseMediaSection(base::ConfigSection& sec, TelephonySettings& into);

}  // namespace bankcc::voice
