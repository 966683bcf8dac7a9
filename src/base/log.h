// SPDX-License-Identifier: Apache-2.0
#pragma once

// Logging: spdlog's default logger, set up once at start-up, writing to stderr (stdout is
// reserved for machine-readable output such as the "listening" line). In the JSON format each
// line is one object:
//
//   {"ts":"2026-11-26T04:43:11.123456Z","level":"info","msg":"call offered",
//    "call_id":"0192f0c4-…","agent_id":"1001","request_id":"…","component":"acd",
//    "thread":"core"}
//
// `ts` is UTC with microseconds; call_id, agent_id, request_id and component come from the
// LogScopes alive on the logging thread and appear only when set; `thread` only when
// setThreadName() was called on it. Code logs with the plain spdlog calls
// (spdlog::info("…{}…", x)).
//
// Scopes and thread names are thread-local and read while formatting, so the logger is
// synchronous (formatting happens on the thread that logs); do not install an async logger.

#include <spdlog/common.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "base/config.h"
#include "base/result.h"

namespace bankcc::base {

/// The [log] section of bankcc.toml.
struct LogConfig {
  std::string level = "info";   ///< trace | debug | info | warn | error | critical | off
  std::string format = "json";  ///< json | text

  /// Reads `level` and `format` from `section` and calls section.finish(): BadRequest naming
  /// file, line and key for a bad value or an unknown key. Start-up only.
  static Result<LogConfig> parse(ConfigSection& section);

  /// ValidationFailed naming the allowed values when level or format is not one of them, e.g.
  /// after a command-line flag overrode the file. Thread-safe.
  Status validate() const;
};

/// Makes a logger writing to stderr the spdlog default, formatted and filtered as `config`
/// says. A level or format that validate() rejects falls back to the default ("info",
/// "json") and the first line logged says so: logging must start whatever the input.
/// Start-up: call before other threads log.
void initLogging(const LogConfig& config);
/// As initLogging(config), writing to `sink` instead of stderr: for tests (e.g. an
/// spdlog::sinks::ostream_sink_mt) and for tools that log elsewhere.
void initLogging(const LogConfig& config, spdlog::sink_ptr sink);

/// Changes the level of every logger (SIGHUP reload). ValidationFailed naming the allowed
/// levels when `level` is not one. Thread-safe.
Status setLogLevel(std::string_view level);

/// The spdlog level for "trace" … "off", or ValidationFailed listing the allowed names.
Result<spdlog::level::level_enum> parseLogLevel(std::string_view level);

/// Names the calling thread in log lines ("core", "sip", "http-2"). Thread-local; call it
/// first thing on each long-lived thread. An empty name removes the field.
void setThreadName(std::string name);
/// The calling thread's name set by setThreadName(), or empty.
const std::string& threadName();

/// Context for the log lines of one thread. Empty members are not set: they keep the value
/// of the enclosing scope, if any.
struct LogFields {
  // The {} initializers let designated initializers leave members out without warnings.
  std::string callId{};
  std::string agentId{};
  std::string requestId{};
  std::string component{};  ///< free-form: "acd", "store", "sip.registrar"
};

/// While alive, adds its fields to every line logged on the constructing thread, on top of the
/// scopes already alive there (an inner scope's set fields win; its empty ones inherit):
///
///   base::LogScope scope{{.callId = call.id()}};
///   spdlog::info("call offered");  // ... "call_id":"0192…"
///
/// Scopes nest like blocks: destroy them in reverse order, on the thread that created them
/// (they are neither copyable nor movable, so a local variable always does). Do not keep one
/// across a coroutine suspension that may resume on another thread.
class LogScope {
 public:
  explicit LogScope(LogFields fields);
  ~LogScope();

  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  std::size_t depth_;  // index of this scope's entry in the thread's stack
};

/// The fields in effect on the calling thread (the merge of its live scopes); all empty when
/// none is alive.
const LogFields& currentLogFields();

}  // namespace bankcc::base
