// SPDX-License-Identifier: Apache-2.0
#include "base/log.h"

#include <fmt/format.h>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

#include "base/assert.h"

namespace bankcc::base {
namespace {

// Our names, indexed by spdlog::level::level_enum ("warn", where spdlog says "warning").
constexpr std::array<std::string_view, 7> kLevelNames = {"trace", "debug",    "info", "warn",
                                                         "error", "critical", "off"};
const std::vector<std::string> kFormats = {"json", "text"};

thread_local std::string t_threadName;
// t_scopes[i] is the merge of the i+1 outermost scopes alive on this thread: the back is what
// a log line shows.
thread_local std::vector<LogFields> t_scopes;

const LogFields& noFields() {
  static const LogFields empty;
  return empty;
}

void append(spdlog::memory_buf_t& out, std::string_view s) {
  out.append(s.data(), s.data() + s.size());
}

// Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 when invalid
// (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, truncated).
std::size_t utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  std::size_t len;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

// Appends `s` as a JSON string. Invalid UTF-8 becomes U+FFFD so that every line stays valid
// JSON whatever a peer sent us.
void appendJsonString(spdlog::memory_buf_t& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8SequenceLength(s, i);
      if (len == 0) {
        append(out, "\xEF\xBF\xBD");
        ++i;
      } else {
        append(out, s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        append(out, "\\\"");
        break;
      case '\\':
        append(out, "\\\\");
        break;
      case '\n':
        append(out, "\\n");
        break;
      case '\r':
        append(out, "\\r");
        break;
      case '\t':
        append(out, "\\t");
        break;
      case '\b':
        append(out, "\\b");
        break;
      case '\f':
        append(out, "\\f");
        break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0x0f]};
          out.append(esc, esc + sizeof esc);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

// "2026-11-26T04:43:11.123456Z"
void appendTimestamp(spdlog::memory_buf_t& out, spdlog::log_clock::time_point tp) {
  using namespace std::chrono;
  const auto us = floor<microseconds>(tp);
  const auto day = floor<days>(us);
  const year_month_day ymd{day};
  const hh_mm_ss hms{us - day};
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                 static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                 static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count(),
                 hms.seconds().count(), hms.subseconds().count());
}

std::string_view levelName(spdlog::level::level_enum level) {
  const auto i = static_cast<std::size_t>(level);
  return i < kLevelNames.size() ? kLevelNames[i] : std::string_view("unknown");
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& out) override {
    append(out, "{\"ts\":\"");
    appendTimestamp(out, msg.time);
    append(out, "\",\"level\":\"");
    append(out, levelName(msg.level));
    append(out, "\",\"msg\":");
    appendJsonString(out, std::string_view(msg.payload.data(), msg.payload.size()));
    const LogFields& f = currentLogFields();
    field(out, "call_id", f.callId);
    field(out, "agent_id", f.agentId);
    field(out, "request_id", f.requestId);
    field(out, "component", f.component);
    field(out, "thread", t_threadName);
    field(out, "logger", std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    append(out, "}\n");
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  static void field(spdlog::memory_buf_t& out, std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out.push_back(',');
    out.push_back('"');
    append(out, name);
    append(out, "\":");
    appendJsonString(out, value);
  }
};

// For people at a terminal: "2026-11-26T04:43:11.123456Z info [core] call offered call_id=…"
class TextFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& out) override {
    appendTimestamp(out, msg.time);
    out.push_back(' ');
    append(out, levelName(msg.level));
    if (!t_threadName.empty()) {
      append(out, " [");
      append(out, t_threadName);
      out.push_back(']');
    }
    out.push_back(' ');
    append(out, std::string_view(msg.payload.data(), msg.payload.size()));
    const LogFields& f = currentLogFields();
    field(out, "call_id", f.callId);
    field(out, "agent_id", f.agentId);
    field(out, "request_id", f.requestId);
    field(out, "component", f.component);
    out.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }

 private:
  static void field(spdlog::memory_buf_t& out, std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out.push_back(' ');
    append(out, name);
    out.push_back('=');
    append(out, value);
  }
};

std::string allowedLevels() {
  std::string out;
  for (auto name : kLevelNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace

Result<LogConfig> LogConfig::parse(ConfigSection& section) {
  LogConfig config;
  config.level = section.getEnum("level", config.level,
                                 std::vector<std::string>(kLevelNames.begin(), kLevelNames.end()));
  config.format = section.getEnum("format", config.format, kFormats);
  BANKCC_TRY(section.finish());
  return config;
}

Result<spdlog::level::level_enum> parseLogLevel(std::string_view level) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == level) return static_cast<spdlog::level::level_enum>(i);
  }
  return err(Errc::ValidationFailed,
             fmt::format("unknown log level '{}' (allowed: {})", level, allowedLevels()));
}

Status LogConfig::validate() const {
  BANKCC_TRY(parseLogLevel(level));
  if (std::find(kFormats.begin(), kFormats.end(), format) == kFormats.end()) {
    return err(Errc::ValidationFailed,
               fmt::format("unknown log format '{}' (allowed: json, text)", format));
  }
  return {};
}

void initLogging(const LogConfig& config) {
  initLogging(config, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

void initLogging(const LogConfig& config, spdlog::sink_ptr sink) {
  BANKCC_ASSERT(sink, "initLogging needs a sink");  // callers pass a made sink
  const Status valid = config.validate();
  const LogConfig& use = valid.ok() ? config : LogConfig{};
  std::unique_ptr<spdlog::formatter> formatter;
  if (use.format == "text") {
    formatter = std::make_unique<TextFormatter>();
  } else {
    formatter = std::make_unique<JsonFormatter>();
  }
  const spdlog::level::level_enum level = parseLogLevel(use.level).valueOr(spdlog::level::info);
  auto logger = std::make_shared<spdlog::logger>("", std::move(sink));
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  // stderr is unbuffered; other sinks (files, streams) should not lose the last lines before
  // an abort either.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  spdlog::set_level(level);
  if (!valid.ok()) {
    spdlog::error("logging: {}; using level '{}' and format '{}'", valid.error().message, use.level,
                  use.format);
  }
}

Status setLogLevel(std::string_view level) {
  auto parsed = parseLogLevel(level);
  if (!parsed.ok()) return std::move(parsed).error();
  spdlog::set_level(*parsed);
  return {};
}

void setThreadName(std::string name) {
  t_threadName = std::move(name);
}

const std::string& threadName() {
  return t_threadName;
}

LogScope::LogScope(LogFields fields) : depth_(t_scopes.size()) {
  if (!t_scopes.empty()) {
    const LogFields& outer = t_scopes.back();
    if (fields.callId.empty()) fields.callId = outer.callId;
    if (fields.agentId.empty()) fields.agentId = outer.agentId;
    if (fields.requestId.empty()) fields.requestId = outer.requestId;
    if (fields.component.empty()) fields.component = outer.component;
  }
  t_scopes.push_back(std::move(fields));
}

LogScope::~LogScope() {
  // Scopes are locals on one thread, so they end in reverse order of creation.
  BANKCC_ASSERT(t_scopes.size() == depth_ + 1, "LogScope destroyed out of order or thread");
  if (t_scopes.size() > depth_) t_scopes.resize(depth_);
}

const LogFields& currentLogFields() {
  return t_scopes.empty() ? noFields() : t_scopes.back();
}

}  // namespace bankcc::base
