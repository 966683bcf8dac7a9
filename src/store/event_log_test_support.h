// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers for the event log's and the spill file's tests.

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/event_log_row.h"
#include "store/spill_file.h"

namespace bankcc::testing {

/// Writes a spill file at `path` as bankcc wrote it before request ids existed (format
/// version 1, store/spill_file.h): the header, then one record of five strings per event (the
/// events' request ids are not written). Encoded here by hand, not by SpillFile, so that the
/// reader's compatibility does not rest on the writer. `version` and `requestIds` make files
/// that a version 1 writer never made: another version number in a valid header, or version
/// 1 records that carry the sixth string anyway.
inline void writeVersionOneSpillFile(const std::filesystem::path& path,
                                     const std::vector<store::StoredEvent>& events,
                                     std::uint32_t version = 1, bool requestIds = false) {
  std::string out;
  const auto u32 = [](std::string& b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b += static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  const auto u64 = [](std::string& b, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) b += static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  const auto str = [&](std::string& b, const std::string& s) {
    u32(b, static_cast<std::uint32_t>(s.size()));
    b += s;
  };
  const auto crc = [](std::string_view b) {
    return store::crc32c(std::as_bytes(std::span(b.data(), b.size())));
  };
  out = "BANKCCSP";
  u32(out, version);
  u32(out, crc(out));
  for (const store::StoredEvent& e : events) {
    std::string body;
    u64(body, e.epoch);
    u64(body, e.seq);
    u64(body, static_cast<std::uint64_t>(e.ts.time_since_epoch().count()));
    for (const std::string* s : {&e.type, &e.callId, &e.agentId, &e.queueId, &e.payload}) {
      str(body, *s);
    }
    if (requestIds) str(body, e.requestId);
    std::string header;
    u32(header, static_cast<std::uint32_t>(body.size()));
    u32(header, crc(body));
    u32(header, crc(header));
    out += header + body;
  }
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << out;
}

/// While alive, the default spdlog logger writes into a string. Create it before any thread
/// that logs starts and destroy it after they end (spdlog hands out the default logger as a
/// raw pointer).
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()), sink_(std::make_shared<StringSink>()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  /// Everything logged so far. Thread-safe.
  std::string text() const { return sink_->text(); }

 private:
  class StringSink final : public spdlog::sinks::base_sink<std::mutex> {
   public:
    std::string text() {
      std::lock_guard lock(mutex_);
      return text_;
    }

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      spdlog::memory_buf_t buf;
      formatter_->format(msg, buf);
      text_.append(buf.data(), buf.size());
    }
    void flush_() override {}

   private:
    std::string text_;
  };

  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<StringSink> sink_;
};

}  // namespace bankcc::testing
