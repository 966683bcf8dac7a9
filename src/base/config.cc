// SPDX-License-Identifier: Apache-2.0
#include "base/config.h"

#include <fmt/format.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <optional>
#include <utility>

#include "base/assert.h"

namespace bankcc::base {
namespace {

using std::chrono::microseconds;

// Where something is in the file; line 0 when unknown (the value is absent).
struct Location {
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  friend auto operator<=>(const Location&, const Location&) = default;
};

struct Problem {
  Location at;
  std::string text;  // complete, including "file:line:col: "
};

Location locationOf(const toml::source_region& source) {
  return Location{source.begin.line, source.begin.column};
}

std::string locate(const std::string& sourceName, Location at) {
  if (at.line == 0) return sourceName;
  return fmt::format("{}:{}:{}", sourceName, at.line, at.column);
}

std::string joinSorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out.empty() ? "none" : out;
}

std::string_view describeType(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// One BadRequest listing `problems` in file order, one per line; ok when there are none.
Status report(std::vector<Problem> problems) {
  if (problems.empty()) return {};
  std::stable_sort(problems.begin(), problems.end(),
                   [](const Problem& a, const Problem& b) { return a.at < b.at; });
  std::string message;
  for (const auto& p : problems) {
    if (!message.empty()) message += '\n';
    message += p.text;
  }
  return err(Errc::BadRequest, std::move(message));
}

// "2h", "10m", "5s", "250ms", "1500us": the largest unit that shows the value exactly.
std::string formatDuration(Duration d) {
  const std::int64_t us = d.count();
  struct Unit {
    std::int64_t size;
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {3'600'000'000, "h"}, {60'000'000, "m"}, {1'000'000, "s"}, {1'000, "ms"}};
  for (const auto& u : kUnits) {
    if (us != 0 && us % u.size == 0) return fmt::format("{}{}", us / u.size, u.name);
  }
  return us == 0 ? "0s" : fmt::format("{}us", us);
}

struct ByteUnit {
  std::string_view name;
  std::int64_t size;
};
constexpr ByteUnit kByteUnits[] = {
    {"TiB", std::int64_t{1} << 40},
    {"GiB", std::int64_t{1} << 30},
    {"MiB", std::int64_t{1} << 20},
    {"KiB", std::int64_t{1} << 10},
    {"TB", 1'000'000'000'000},
    {"GB", 1'000'000'000},
    {"MB", 1'000'000},
    {"KB", 1'000},
    {"kB", 1'000},
    {"B", 1},
};

// "64MiB" when exact in a binary unit, else the plain number.
std::string formatBytes(std::int64_t n) {
  for (const auto& u : kByteUnits) {
    if (u.name.size() != 3) continue;  // binary units only
    if (n != 0 && n % u.size == 0) return fmt::format("{}{}", n / u.size, u.name);
  }
  return fmt::format("{}", n);
}

// Splits "12.5ms" into digits before and after an optional '.', and the unit. False when the
// text does not start with a digit.
bool splitNumber(std::string_view text, std::string_view& whole, std::string_view& fraction,
                 std::string_view& unit) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) return false;
  whole = text.substr(0, i);
  fraction = {};
  if (i < text.size() && text[i] == '.') {
    const std::size_t start = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    fraction = text.substr(start, i - start);
    if (fraction.empty()) return false;
  }
  unit = text.substr(i);
  return true;
}

// Digits to a number, false on overflow past `limit`.
bool toInt(std::string_view digits, std::int64_t limit, std::int64_t& out) {
  out = 0;
  for (char c : digits) {
    if (out > (limit - (c - '0')) / 10) return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

constexpr std::string_view kDurationForm =
    "write a number with a unit ms, s, m or h, e.g. \"250ms\", \"5s\", \"1.5s\", \"10m\", \"2h\"";

Result<Duration> parseDuration(std::string_view text) {
  std::string_view whole, fraction, unit;
  if (!splitNumber(text, whole, fraction, unit)) {
    return err(Errc::BadRequest, fmt::format("'{}' is not a duration: {}", text, kDurationForm));
  }
  std::int64_t unitUs;
  if (unit == "ms") {
    unitUs = 1'000;
  } else if (unit == "s") {
    unitUs = 1'000'000;
  } else if (unit == "m") {
    unitUs = 60'000'000;
  } else if (unit == "h") {
    unitUs = 3'600'000'000;
  } else if (unit.empty()) {
    return err(Errc::BadRequest, fmt::format("'{}' has no unit: {}", text, kDurationForm));
  } else {
    return err(Errc::BadRequest,
               fmt::format("'{}' has an unknown unit '{}': {}", text, unit, kDurationForm));
  }
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t n;
  if (!toInt(whole, kMax / unitUs, n)) {
    return err(Errc::BadRequest, fmt::format("'{}' is too long a duration", text));
  }
  std::int64_t us = n * unitUs;
  // The fraction: digits d1 d2 ... of the unit; each must land on a whole microsecond.
  std::int64_t scale = unitUs;
  for (char c : fraction) {
    const std::int64_t digit = c - '0';
    if (scale % 10 != 0) {
      if (digit != 0) {
        return err(Errc::BadRequest,
                   fmt::format("'{}' is finer than a microsecond: {}", text, kDurationForm));
      }
      continue;
    }
    scale /= 10;
    us += digit * scale;
  }
  return Duration{us};
}

constexpr std::string_view kBytesForm =
    "write an integer or a number with a unit B, KiB, MiB, GiB, TiB, KB, MB, GB or TB, e.g. "
    "\"64MiB\"";

Result<std::int64_t> parseBytes(std::string_view text) {
  std::string_view whole, fraction, unit;
  if (!splitNumber(text, whole, fraction, unit) || !fraction.empty()) {
    return err(Errc::BadRequest, fmt::format("'{}' is not a byte size: {}", text, kBytesForm));
  }
  std::int64_t size = 1;
  if (!unit.empty()) {
    const auto* u = std::find_if(std::begin(kByteUnits), std::end(kByteUnits),
                                 [&](const ByteUnit& b) { return b.name == unit; });
    if (u == std::end(kByteUnits)) {
      return err(Errc::BadRequest,
                 fmt::format("'{}' has an unknown unit '{}': {}", text, unit, kBytesForm));
    }
    size = u->size;
  }
  std::int64_t n;
  if (!toInt(whole, std::numeric_limits<std::int64_t>::max() / size, n)) {
    return err(Errc::BadRequest, fmt::format("'{}' is too large", text));
  }
  return n * size;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct ConfigFile::Impl {
  std::string sourceName;
  toml::table root;
  std::vector<std::string> known;  // section names asked for
};

struct ConfigSection::Impl {
  std::string sourceName;
  std::string name;
  const toml::node* node = nullptr;    // the section's value; null when absent
  const toml::table* table = nullptr;  // node as a table; null when absent or not a table
  std::vector<std::string> known;
  std::vector<Problem> problems;

  void markKnown(std::string_view key) {
    if (std::find(known.begin(), known.end(), key) == known.end()) known.emplace_back(key);
  }

  // The value of `key` (marking it known), or null.
  const toml::node* lookup(std::string_view key) {
    markKnown(key);
    return table == nullptr ? nullptr : table->get(key);
  }

  void problem(Location at, std::string_view key, std::string_view what) {
    problems.push_back(
        Problem{at, fmt::format("{}: {}.{}: {}", locate(sourceName, at), name, key, what)});
  }
  void problem(const toml::node& value, std::string_view key, std::string_view what) {
    problem(locationOf(value.source()), key, what);
  }
  void wrongType(const toml::node& value, std::string_view key, std::string_view expected) {
    problem(value, key, fmt::format("must be {}, got {}", expected, describeType(value)));
  }
};

ConfigFile::ConfigFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConfigFile::ConfigFile(ConfigFile&&) noexcept = default;
ConfigFile& ConfigFile::operator=(ConfigFile&&) noexcept = default;
ConfigFile::~ConfigFile() = default;

Result<ConfigFile> ConfigFile::load(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return err(Errc::Io, fmt::format("cannot read config file '{}': {}", path.string(),
                                     std::strerror(errno)));
  }
  std::string text;
  char buf[16384];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  const int readErrno = errno;
  std::fclose(f);
  if (failed) {
    return err(Errc::Io, fmt::format("cannot read config file '{}': {}", path.string(),
                                     std::strerror(readErrno)));
  }
  return parse(text, path.string());
}

Result<ConfigFile> ConfigFile::parse(std::string_view text, std::string sourceName) {
  auto impl = std::make_unique<Impl>();
  impl->sourceName = std::move(sourceName);
  try {
    impl->root = toml::parse(text, std::string_view(impl->sourceName));
  } catch (const toml::parse_error& e) {
    return err(
        Errc::BadRequest,
        fmt::format("{}: {}", locate(impl->sourceName, locationOf(e.source())), e.description()));
  } catch (const std::exception& e) {
    return err(Errc::BadRequest, fmt::format("{}: {}", impl->sourceName, e.what()));
  }
  return ConfigFile(std::move(impl));
}

ConfigFile ConfigFile::empty(std::string sourceName) {
  auto impl = std::make_unique<Impl>();
  impl->sourceName = std::move(sourceName);
  return ConfigFile(std::move(impl));
}

const std::string& ConfigFile::sourceName() const {
  return impl_->sourceName;
}

ConfigSection ConfigFile::section(std::string_view name) {
  if (std::find(impl_->known.begin(), impl_->known.end(), name) == impl_->known.end()) {
    impl_->known.emplace_back(name);
  }
  auto s = std::make_unique<ConfigSection::Impl>();
  s->sourceName = impl_->sourceName;
  s->name = std::string(name);
  s->node = impl_->root.get(name);
  s->table = s->node == nullptr ? nullptr : s->node->as_table();
  return ConfigSection(std::move(s));
}

Status ConfigFile::checkUnknown() const {
  std::vector<Problem> problems;
  for (const auto& [key, value] : impl_->root) {
    const std::string_view name = key.str();
    if (std::find(impl_->known.begin(), impl_->known.end(), name) != impl_->known.end()) {
      continue;
    }
    const Location at = locationOf(key.source());
    problems.push_back(Problem{
        at, fmt::format("{}: unknown {} '{}' (known sections: {})", locate(impl_->sourceName, at),
                        value.is_table() ? "section" : "top-level key", name,
                        joinSorted(impl_->known))});
  }
  return report(std::move(problems));
}

// ---------------------------------------------------------------------------------------------

ConfigSection::ConfigSection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConfigSection::ConfigSection(ConfigSection&&) noexcept = default;
ConfigSection::~ConfigSection() = default;

const std::string& ConfigSection::name() const {
  return impl_->name;
}

std::string ConfigSection::getString(std::string_view key, std::string def) {
  const toml::node* v = impl_->lookup(key);
  if (v == nullptr) return def;
  if (const auto* s = v->as_string()) return s->get();
  impl_->wrongType(*v, key, "a string");
  return def;
}

std::int64_t ConfigSection::getInt(std::string_view key, std::int64_t def, std::int64_t min,
                                   std::int64_t max) {
  BANKCC_ASSERT(min <= max, "getInt with an empty range");  // ranges are constants in code
  const toml::node* v = impl_->lookup(key);
  if (v == nullptr) return def;
  const auto* i = v->as_integer();
  if (i == nullptr) {
    impl_->wrongType(*v, key, "an integer");
    return def;
  }
  const std::int64_t n = i->get();
  if (n < min || n > max) {
    impl_->problem(*v, key, fmt::format("must be between {} and {}, got {}", min, max, n));
    return def;
  }
  return n;
}

bool ConfigSection::getBool(std::string_view key, bool def) {
  const toml::node* v = impl_->lookup(key);
  if (v == nullptr) return def;
  if (const auto* b = v->as_boolean()) return b->get();
  impl_->wrongType(*v, key, "true or false");
  return def;
}

std::string ConfigSection::getEnum(std::string_view key, std::string def,
                                   const std::vector<std::string>& allowed) {
  const toml::node* v = impl_->lookup(key);
  if (v == nullptr) return def;
  const auto* s = v->as_string();
  const std::string choices = fmt::format("{}", fmt::join(allowed, ", "));
  if (s == nullptr) {
    impl_->wrongType(*v, key, fmt::format("a string, one of: {}", choices));
    return def;
  }
  if (std::find(allowed.begin(), allowed.end(), s->get()) == allowed.end()) {
    impl_->problem(*v, key, fmt::format("'{}' is not one of: {}", s->get(), choices));
    return def;
  }
  return s->get();
}

Duration ConfigSection::getDuration(std::string_view key, Duration def, Duration min,
                                    Duration max) {
  BANKCC_ASSERT(min <= max, "getDuration with an empty range");  // ranges are constants in code
  const toml::node* v = impl_->lookup(key);
  if (v == nullptr) return def;
  if (v->is_integer() || v->is_floating_point()) {
    // 30 what? Seconds and milliseconds are both plausible; make the writer say.
    const std::string number = v->is_integer() ? fmt::format("{}", v->as_integer()->get())
                                               : fmt::format("{}", v->as_floating_point()->get());
    impl_->problem(*v, key, fmt::format("bare number {} is ambiguous: {}", number, kDurationForm));
    return def;
  }
  const auto* s = v->as_string();
  if (s == nullptr) {
    impl_->wrongType(*v, key, "a duration string such as \"5s\"");
    return def;
  }
  auto d = parseDuration(s->get());
  if (!d.ok()) {
    impl_->problem(*v, key, d.error().message);
    return def;
  }
  if (*d < min || *d > max) {
    impl_->problem(*v, key,
                   fmt::format("must be between {} and {}, got {}", formatDuration(min),
                               formatDuration(max), s->get()));
    return def;
  }
  return *d;
}

std::int64_t ConfigSection::getBytes(std::string_view key, std::int64_t def, std::int64_t min,
                                     std::int64_t max) {
  BANKCC_ASSERT(min <= max, "getBytes with an empty range");  // ranges are constants in code
  const toml::node* v = impl_->lookup(key);
  if (v == nullptr) return def;
  std::int64_t n;
  std::string shown;
  if (const auto* i = v->as_integer()) {
    n = i->get();
    shown = fmt::format("{}", n);
  } else if (const auto* s = v->as_string()) {
    auto parsed = parseBytes(s->get());
    if (!parsed.ok()) {
      impl_->problem(*v, key, parsed.error().message);
      return def;
    }
    n = *parsed;
    shown = s->get();
  } else {
    impl_->wrongType(*v, key, "a byte size such as \"64MiB\" or an integer");
    return def;
  }
  if (n < min || n > max) {
    impl_->problem(*v, key,
                   fmt::format("must be between {} and {}, got {}", formatBytes(min),
                               formatBytes(max), shown));
    return def;
  }
  return n;
}

std::vector<std::string> ConfigSection::getStringList(std::string_view key,
                                                      std::vector<std::string> def) {
  const toml::node* v = impl_->lookup(key);
  if (v == nullptr) return def;
  const auto* array = v->as_array();
  if (array == nullptr) {
    impl_->wrongType(*v, key, "an array of strings");
    return def;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (const auto* s = element.as_string()) {
      out.push_back(s->get());
    } else {
      impl_->wrongType(element, fmt::format("{}[{}]", key, i), "a string");
      ok = false;
    }
  }
  return ok ? out : def;
}

ConfigSection ConfigSection::section(std::string_view key) {
  auto s = std::make_unique<Impl>();
  s->sourceName = impl_->sourceName;
  s->name = fmt::format("{}.{}", impl_->name, key);
  s->node = impl_->lookup(key);
  s->table = s->node == nullptr ? nullptr : s->node->as_table();
  return ConfigSection(std::move(s));
}

std::vector<std::string> ConfigSection::keys() const {
  std::vector<std::string> out;
  if (impl_->table == nullptr) return out;
  for (const auto& [k, v] : *impl_->table) out.emplace_back(k.str());
  return out;
}

void ConfigSection::addError(std::string_view key, std::string_view message) {
  const toml::node* v = impl_->table == nullptr ? nullptr : impl_->table->get(key);
  if (v != nullptr) {
    impl_->problem(*v, key, message);
  } else if (impl_->node != nullptr) {
    impl_->problem(*impl_->node, key, message);
  } else {
    impl_->problem(Location{}, key, message);
  }
}

Status ConfigSection::finish() {
  std::vector<Problem> problems = impl_->problems;
  if (impl_->node != nullptr && impl_->table == nullptr) {
    const Location at = locationOf(impl_->node->source());
    problems.push_back(
        Problem{at, fmt::format("{}: {}: must be a table, got {}", locate(impl_->sourceName, at),
                                impl_->name, describeType(*impl_->node))});
  }
  if (impl_->table != nullptr) {
    for (const auto& [key, value] : *impl_->table) {
      const std::string_view k = key.str();
      if (std::find(impl_->known.begin(), impl_->known.end(), k) != impl_->known.end()) continue;
      const Location at = locationOf(key.source());
      problems.push_back(Problem{
          at, fmt::format("{}: {}.{}: unknown key (known keys: {})", locate(impl_->sourceName, at),
                          impl_->name, k, joinSorted(impl_->known))});
    }
  }
  return report(std::move(problems));
}

}  // namespace bankcc::base
