// SPDX-License-Identifier: Apache-2.0
#include "media/prompt_library.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <system_error>

#include "media/audio_file.h"

namespace bankcc::media {
namespace {

bool isWavFile(const std::filesystem::directory_entry& entry) {
  std::error_code ec;
  if (!entry.is_regular_file(ec) || ec) return false;
  std::string ext = entry.path().extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".wav";
}

}  // namespace

base::Status PromptLibrary::load(const std::string& name, const std::filesystem::path& wav) {
  if (name.empty()) {
    return base::err(base::Errc::BadRequest, wav.string() + ": a prompt needs a name");
  }
  // Decoding and resampling happen outside the lock: a reload never stalls find().
  auto samples = loadWavTo8kMono(wav);  // its errors already name the file
  if (!samples) return std::move(samples).error();
  add(name, std::move(*samples));
  return {};
}

void PromptLibrary::add(const std::string& name, std::vector<std::int16_t> samples8k) {
  auto prompt = std::make_shared<const Prompt>(Prompt{name, std::move(samples8k)});
  std::lock_guard lock(mu_);
  prompts_[name] = std::move(prompt);
}

std::size_t PromptLibrary::loadDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    spdlog::error("prompt directory {}: {}", dir.string(), ec.message());
    return 0;
  }
  std::vector<std::filesystem::path> files;
  for (const auto end = std::filesystem::directory_iterator(); it != end;) {
    if (isWavFile(*it)) files.push_back(it->path());
    it.increment(ec);
    if (ec) {
      spdlog::error("prompt directory {}: {}", dir.string(), ec.message());
      break;
    }
  }
  std::sort(files.begin(), files.end());  // deterministic order, and logs

  std::size_t loaded = 0;
  for (const auto& file : files) {
    const std::string name = file.stem().string();
    if (auto s = load(name, file); s.ok()) {
      ++loaded;
    } else {
      spdlog::warn("prompt '{}' not loaded: {}", name, s.error().message);
    }
  }
  spdlog::info("loaded {} of {} prompts from {}", loaded, files.size(), dir.string());
  return loaded;
}

PromptPtr PromptLibrary::find(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = prompts_.find(name);
  return it == prompts_.end() ? nullptr : it->second;
}

}  // namespace bankcc::media
