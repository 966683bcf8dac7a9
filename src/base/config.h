// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading bankcc.toml (toml++). Each module that reads configuration owns one section and
// parses it with a ConfigSection: every value has a default, a wrong type or an out-of-range
// value is an error naming file, line, column and key, and keys nobody asked for are errors
// too. Errors are collected, so one run shows every mistake in the file:
//
//   bankcc.toml:3:8: http.port: must be between 1 and 65535, got 70000
//   bankcc.toml:7:1: store.url_: unknown key (known keys: busy_timeout, url)
//   bankcc.toml:12:2: unknown section 'stroe' (known sections: http, log, store)
//
// Value forms: durations are strings with one unit, "250ms", "5s", "10m", "2h", with an
// optional decimal fraction ("1.5s"; whole microseconds); a bare number is an error because
// its unit would be a guess. Byte sizes are integers or strings with a binary (KiB, MiB,
// GiB, TiB) or decimal (B, KB, MB, GB, TB) unit: "64MiB", "10MB".
//
// Start-up only; not thread-safe. A ConfigSection points into its ConfigFile: it must not
// outlive it.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace bankcc::base {

class ConfigSection;

/// A parsed configuration document. An absent file is an empty document (all defaults)
/// only when the caller says so; see load().
class ConfigFile {
 public:
  /// Parses `path`. Errors: Io naming the path (missing, unreadable), BadRequest
  /// ("bankcc.toml:3:8: <toml error>").
  static Result<ConfigFile> load(const std::filesystem::path& path);
  /// Parses `text`; `sourceName` appears in error messages in place of a path.
  static Result<ConfigFile> parse(std::string_view text, std::string sourceName);
  /// An empty document: every section takes its defaults.
  static ConfigFile empty(std::string sourceName = "(defaults)");

  ConfigFile(ConfigFile&&) noexcept;
  ConfigFile& operator=(ConfigFile&&) noexcept;
  ~ConfigFile();

  const std::string& sourceName() const;

  /// The top-level table `name` (empty when absent) and marks the name as known. A
  /// top-level `name` that is not a table is reported by the section's finish().
  ConfigSection section(std::string_view name);

  /// Errors for top-level keys no section() asked for, e.g.
  /// "bankcc.toml:12:1: unknown section 'stroe'". Call after every module took its section.
  Status checkUnknown() const;

 private:
  struct Impl;
  explicit ConfigFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// One table of a ConfigFile. Readers return the default when the key is absent and record
/// an error (returning the default) when the value is wrong; finish() reports them all.
class ConfigSection {
 public:
  ~ConfigSection();
  ConfigSection(ConfigSection&&) noexcept;

  /// "store" or "log"; nested sections are "a.b".
  const std::string& name() const;

  std::string getString(std::string_view key, std::string def);
  /// Integer in [min, max].
  std::int64_t getInt(std::string_view key, std::int64_t def, std::int64_t min, std::int64_t max);
  bool getBool(std::string_view key, bool def);
  /// A string drawn from `allowed` (e.g. log levels); error lists the allowed values.
  std::string getEnum(std::string_view key, std::string def,
                      const std::vector<std::string>& allowed);
  /// A duration written as a string with a unit: "250ms", "5s", "10m", "2h"; in [min, max].
  Duration getDuration(std::string_view key, Duration def, Duration min, Duration max);
  /// Byte sizes such as "64MiB", "512KiB", "1GiB" or a plain integer; in [min, max].
  std::int64_t getBytes(std::string_view key, std::int64_t def, std::int64_t min, std::int64_t max);
  std::vector<std::string> getStringList(std::string_view key, std::vector<std::string> def);

  /// The nested table `key` (e.g. [sip.tls] inside "sip"), named "<section>.<key>", with its
  /// own finish(); marks `key` as known here. Empty when absent; a `key` that is not a table
  /// is reported by the nested section's finish().
  ConfigSection section(std::string_view key);

  /// The keys present in this table, sorted (e.g. the names of [sip.trunks.<name>]
  /// tables when called on "sip.trunks"). Marks nothing as known.
  std::vector<std::string> keys() const;

  /// Records an error against `key` (for checks across values). Message without location.
  void addError(std::string_view key, std::string_view message);

  /// All recorded errors plus unknown keys, one per line, each "file:line:col: section.key: …".
  /// BadRequest when any; ok otherwise. May be called again (it reports the same).
  Status finish();

 private:
  friend class ConfigFile;
  struct Impl;
  explicit ConfigSection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bankcc::base
