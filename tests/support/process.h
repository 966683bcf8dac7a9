// SPDX-License-Identifier: Apache-2.0
#pragma once

// Running bankcc as a child process in integration tests, and talking HTTP to it.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bankcc::testing {

/// A child process with its stdout on a pipe and its stderr in a file.
class Process {
 public:
  /// Starts `argv[0]` with `argv`; stderr goes to `stderrFile`.
  Process(std::vector<std::string> argv, const std::filesystem::path& stderrFile);
  ~Process();  ///< SIGKILLs the child if still running.
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  /// The next line of stdout, or nullopt on EOF or after `timeout`.
  std::optional<std::string> readLine(std::chrono::milliseconds timeout);
  void signal(int sig);
  /// Waits for exit; the exit code, 128+signal when killed, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  /// Everything the child wrote to stderr so far.
  std::string stderrText() const;

 private:
  pid_t pid_ = -1;
  int stdoutFd_ = -1;
  std::string buffer_;
  std::filesystem::path stderrFile_;
  std::optional<int> status_;
};

/// Runs a command to completion; returns {exit code, stdout + stderr}.
std::pair<int, std::string> runCommand(const std::vector<std::string>& argv);

struct HttpReply {
  int status = 0;  ///< 0 when the connection failed
  std::string body;
};

/// One HTTP/1.1 GET to "ADDR:PORT" with Connection: close.
HttpReply httpGet(const std::string& address, const std::string& path);

/// Path of the bankcc binary under test.
std::filesystem::path bankccBinary();

}  // namespace bankcc::testing
