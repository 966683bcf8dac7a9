// SPDX-License-Identifier: Apache-2.0
#include "events/json.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

namespace bankcc::events {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

/// Length of the valid UTF-8 sequence (RFC 3629) starting at p[0], or 0 when invalid or cut
/// short. Rejects overlong forms, surrogates and code points above U+10FFFF.
std::size_t utf8SequenceLength(const unsigned char* p, std::size_t n) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  auto cont = [&](std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < n && p[i] >= lo && p[i] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no surrogates
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/// The JSON escape for ASCII byte `c`, or empty when it goes out as it is.
std::string_view jsonEscape(unsigned char c, char (&buf)[7]) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      break;
  }
  if (c >= 0x20) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  buf[0] = '\\';
  buf[1] = 'u';
  buf[2] = '0';
  buf[3] = '0';
  buf[4] = kHex[c >> 4];
  buf[5] = kHex[c & 0xF];
  return {buf, 6};
}

void appendInt(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

/// Appends one field value. Overloads are the field types events may use (see event.h).
void appendValue(std::string& out, const std::string& v) {
  appendJsonString(out, v);
}
void appendValue(std::string& out, std::int64_t v) {
  appendInt(out, v);
}
void appendValue(std::string& out, bool v) {
  out += v ? "true" : "false";
}
void appendValue(std::string& out, AgentState v) {
  out += '"';
  out += agentStateName(v);
  out += '"';
}

// ---- reading

using Json = nlohmann::json;

std::string fieldError(std::string_view type, std::string_view field, std::string_view what) {
  std::string m = "event '";
  m += type;
  m += "': field '";
  m += field;
  m += "' ";
  m += what;
  return m;
}

/// Reads one field value; returns an error message or empty.
std::string readValue(const Json& j, std::string& v) {
  if (!j.is_string()) return "must be a string";
  v = j.get<std::string>();
  return {};
}
std::string readValue(const Json& j, std::int64_t& v) {
  if (j.is_number_integer() && !j.is_number_unsigned()) {
    v = j.get<std::int64_t>();
    return {};
  }
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return "is out of range";
    }
    v = static_cast<std::int64_t>(u);
    return {};
  }
  return "must be an integer";
}
std::string readValue(const Json& j, bool& v) {
  if (!j.is_boolean()) return "must be true or false";
  v = j.get<bool>();
  return {};
}
std::string readValue(const Json& j, AgentState& v) {
  if (!j.is_string()) return "must be an agent state name";
  const auto s = j.get<std::string>();
  auto st = parseAgentState(s);
  if (!st) return "'" + s + "' is not an agent state";
  v = *st;
  return {};
}

template <typename T>
base::Result<Payload> parseStruct(const Json& j) {
  T value{};
  std::string error;
  T::fields(value, [&](std::string_view name, auto& field) {
    if (!error.empty()) return;
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return;  // keep the default
    if (auto e = readValue(*it, field); !e.empty()) error = fieldError(T::kType, name, e);
  });
  if (!error.empty()) return base::err(base::Errc::BadRequest, std::move(error));
  return Payload{std::move(value)};
}

template <std::size_t I = 0>
base::Result<Payload> parseAlternative(std::string_view type, const Json& j) {
  if constexpr (I == std::variant_size_v<Payload>) {
    return base::err(base::Errc::BadRequest, "unknown event type '" + std::string(type) + "'");
  } else {
    using T = std::variant_alternative_t<I, Payload>;
    if (T::kType == type) return parseStruct<T>(j);
    return parseAlternative<I + 1>(type, j);
  }
}

}  // namespace

void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t runStart = 0;  // bytes [runStart, i) go out unchanged
  std::size_t i = 0;
  char buf[7];
  while (i < n) {
    const unsigned char c = p[i];
    if (c >= 0x80) {
      if (std::size_t len = utf8SequenceLength(p + i, n - i); len != 0) {
        i += len;
        continue;
      }
      out.append(s.data() + runStart, i - runStart);
      out += kReplacement;
      runStart = ++i;
      continue;
    }
    std::string_view esc = jsonEscape(c, buf);
    if (esc.empty()) {
      ++i;
      continue;
    }
    out.append(s.data() + runStart, i - runStart);
    out += esc;
    runStart = ++i;
  }
  out.append(s.data() + runStart, n - runStart);
  out += '"';
}

bool isCleanText(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    if (p[i] == 0) return false;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = utf8SequenceLength(p + i, n - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

void appendCleanText(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    if (p[i] == 0) {
      ++i;
      continue;
    }
    const std::size_t len = p[i] < 0x80 ? 1 : utf8SequenceLength(p + i, n - i);
    if (len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(s.data() + i, len);
    i += len;
  }
}

void appendPayloadJson(std::string& out, const Payload& payload) {
  std::visit(
      [&out](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        out += '{';
        bool first = true;
        T::fields(p, [&](std::string_view name, const auto& value) {
          if (!first) out += ',';
          first = false;
          out += '"';
          out += name;  // field names are snake_case identifiers: nothing to escape
          out += "\":";
          appendValue(out, value);
        });
        out += '}';
      },
      payload);
}

std::string payloadToJson(const Payload& payload) {
  std::string out;
  out.reserve(128);
  appendPayloadJson(out, payload);
  return out;
}

base::Result<Payload> parsePayload(std::string_view type, std::string_view json) {
  Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return base::err(base::Errc::BadRequest,
                     "event '" + std::string(type) + "': payload is not valid JSON");
  }
  if (!j.is_object()) {
    return base::err(base::Errc::BadRequest,
                     "event '" + std::string(type) + "': payload is not a JSON object");
  }
  return parseAlternative(type, j);
}

}  // namespace bankcc::events
