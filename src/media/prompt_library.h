// SPDX-License-Identifier: Apache-2.0
#pragma once

// Prompts held in memory, so that media workers never touch files (ARCHITECTURE.md). Loaded at
// start-up (and on reload) from WAV files of any common rate, resampled once to 8 kHz mono.
// Thread-safe: load() and add() take a lock; find() returns an immutable shared prompt that
// stays valid while a worker plays it, even if the library replaces it meanwhile.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"

namespace bankcc::media {

struct Prompt {
  std::string name;
  std::vector<std::int16_t> samples;  ///< 8 kHz mono linear PCM
};
using PromptPtr = std::shared_ptr<const Prompt>;

class PromptLibrary {
 public:
  /// Loads (or replaces) `name` from a WAV file. BadRequest/Io with the file name on failure;
  /// the previous prompt of that name stays.
  base::Status load(const std::string& name, const std::filesystem::path& wav);
  /// Adds (or replaces) a prompt from samples already at 8 kHz (generated prompts, tests).
  void add(const std::string& name, std::vector<std::int16_t> samples8k);
  /// Loads every `*.wav` in `dir` under its stem; returns how many loaded, and logs each
  /// failure (one bad file does not stop the rest).
  std::size_t loadDirectory(const std::filesystem::path& dir);
  /// nullptr when unknown.
  PromptPtr find(const std::string& name) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, PromptPtr> prompts_;
};

}  // namespace bankcc::media
