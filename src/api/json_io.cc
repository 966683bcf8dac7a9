// SPDX-License-Identifier: Apache-2.0
#include "api/json_io.h"

#include <date/date.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <utility>

#include "base/time_zone.h"
#include "events/json.h"

namespace bankcc::api {
namespace {

using Json = nlohmann::json;

constexpr int kMaxJsonDepth = 32;

/// True when `text` could be a field name in a store message ("name_zh", "skills[2].code"):
/// store messages are "field: text", other messages must not be split.
bool looksLikeFieldName(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '[' ||
           c == ']';
  });
}

/// The deepest nesting of arrays and objects in `body`, stopping early once past `limit`.
/// Brackets inside strings do not count. Malformed text gives some number; the parser reports
/// the real problem afterwards.
int nestingDepth(std::string_view body, int limit) {
  int depth = 0;
  int deepest = 0;
  bool inString = false;
  bool escaped = false;
  for (char c : body) {
    if (inString) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        inString = false;
      }
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

/// The media type of a Content-Type value: lower case, without parameters and spaces.
std::string mediaType(std::string_view contentType) {
  std::string_view type = contentType.substr(0, contentType.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  std::string out(type);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

/// True when `s` holds a C0 control character, DEL, or a C1 control character (U+0080 to
/// U+009F, encoded C2 80..C2 9F).
bool hasControlCharacters(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size()) {
      const auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

/// Checks one string value as FieldReader::string() does; empty when acceptable.
std::string stringProblem(const Json& value, std::size_t maxBytes, bool allowEmpty) {
  if (!value.is_string()) return "must be a string";
  const auto& s = value.get_ref<const std::string&>();
  if (s.size() > maxBytes) return fmt::format("must be at most {} bytes", maxBytes);
  if (s.empty() && !allowEmpty) return "must not be empty";
  if (!events::isCleanText(s)) {
    // NUL is the only way a clean-UTF-8 check fails on text nlohmann parsed.
    return s.find('\0') != std::string::npos ? "must not contain control characters"
                                             : "must be valid UTF-8";
  }
  if (hasControlCharacters(s)) return "must not contain control characters";
  return {};
}

std::string rangeMessage(std::int64_t min, std::int64_t max) {
  if (max == std::numeric_limits<std::int64_t>::max())
    return fmt::format("must be at least {}", min);
  return fmt::format("must be between {} and {}", min, max);
}

}  // namespace

Response errorFrom(const base::Error& error) {
  using base::Errc;
  switch (error.code) {
    case Errc::BadRequest:
      return errorResponse(400, "bad_request", error.message);
    case Errc::ValidationFailed: {
      const auto colon = error.message.find(": ");
      if (colon != std::string::npos && looksLikeFieldName(error.message.substr(0, colon))) {
        return validationFailed(
            {{error.message.substr(0, colon), error.message.substr(colon + 2)}});
      }
      return errorResponse(422, "validation_failed", error.message);
    }
    case Errc::NotFound:
      return errorResponse(404, "not_found", error.message);
    case Errc::Conflict:
      return errorResponse(409, "conflict", error.message);
    case Errc::VersionMismatch:
      return errorResponse(409, "version_mismatch", error.message);
    case Errc::Unavailable:
      spdlog::warn("request failed, service unavailable: {}", error.describe());
      return errorResponse(503, "unavailable",
                           "the service is temporarily unavailable; try again later");
    default:
      spdlog::error("request failed: {}", error.describe());
      return errorResponse(500, "internal", "internal error; the server log has the details");
  }
}

Response validationFailed(const std::vector<FieldError>& fields) {
  Json list = Json::array();
  for (const auto& f : fields) list.push_back({{"field", f.field}, {"message", f.message}});
  std::string message = "validation failed";
  if (!fields.empty()) {
    message = fields.front().field + ": " + fields.front().message;
    if (fields.size() > 1) message += fmt::format(" (and {} more)", fields.size() - 1);
  }
  Json body = {{"error", {{"code", "validation_failed"}, {"message", message}, {"fields", list}}}};
  return jsonResponse(422, dumpJson(body));
}

std::variant<nlohmann::json, Response> parseJsonObject(const Request& request) {
  if (const auto type = request.header("content-type"); !type.empty()) {
    const std::string media = mediaType(type);
    if (media != "application/json" && media != "application/merge-patch+json") {
      return errorResponse(415, "bad_request", "Content-Type must be application/json");
    }
  }
  const std::string_view body = request.body;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return errorResponse(400, "bad_request", "the request body is empty; expected a JSON object");
  }
  if (!events::isCleanText(body)) {
    return errorResponse(400, "bad_request", "the request body is not valid UTF-8");
  }
  // Checked before parsing, so that a body of a million '[' never becomes a deep tree.
  if (nestingDepth(body, kMaxJsonDepth) > kMaxJsonDepth) {
    return errorResponse(400, "bad_request",
                         fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth));
  }
  Json value;
  try {
    value = Json::parse(body);
  } catch (const Json::parse_error& e) {
    return errorResponse(400, "bad_request", fmt::format("malformed JSON at byte {}", e.byte));
  }
  if (!value.is_object()) {
    return errorResponse(400, "bad_request", "the request body must be a JSON object");
  }
  return value;
}

FieldReader::FieldReader(const nlohmann::json& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)) {}

const nlohmann::json* FieldReader::raw(std::string_view field) {
  ignore(field);
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(field);
  return it == object_.end() ? nullptr : &*it;
}

void FieldReader::ignore(std::string_view field) {
  if (std::find(seen_.begin(), seen_.end(), field) == seen_.end()) seen_.emplace_back(field);
}

std::optional<std::string> FieldReader::string(std::string_view field, Need need,
                                               std::size_t maxBytes, bool allowEmpty) {
  const Json* value = raw(field);
  if (value == nullptr || value->is_null()) {
    if (need == Need::Required) fail(std::string(field), "is required");
    return std::nullopt;
  }
  if (auto problem = stringProblem(*value, maxBytes, allowEmpty); !problem.empty()) {
    fail(std::string(field), std::move(problem));
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<std::int64_t> FieldReader::integer(std::string_view field, Need need,
                                                 std::int64_t min, std::int64_t max) {
  const Json* value = raw(field);
  if (value == nullptr || value->is_null()) {
    if (need == Need::Required) fail(std::string(field), "is required");
    return std::nullopt;
  }
  if (!value->is_number_integer()) {
    fail(std::string(field), "must be an integer");
    return std::nullopt;
  }
  if (value->is_number_unsigned() &&
      value->get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    fail(std::string(field), rangeMessage(min, max));
    return std::nullopt;
  }
  const auto v = value->get<std::int64_t>();
  if (v < min || v > max) {
    fail(std::string(field), rangeMessage(min, max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> FieldReader::boolean(std::string_view field, Need need) {
  const Json* value = raw(field);
  if (value == nullptr || value->is_null()) {
    if (need == Need::Required) fail(std::string(field), "is required");
    return std::nullopt;
  }
  if (!value->is_boolean()) {
    fail(std::string(field), "must be true or false");
    return std::nullopt;
  }
  return value->get<bool>();
}

std::optional<std::vector<std::string>> FieldReader::stringList(std::string_view field, Need need,
                                                                std::size_t maxItems,
                                                                std::size_t maxBytesEach) {
  const Json* value = raw(field);
  if (value == nullptr || value->is_null()) {
    if (need == Need::Required) fail(std::string(field), "is required");
    return std::nullopt;
  }
  if (!value->is_array()) {
    fail(std::string(field), "must be an array of strings");
    return std::nullopt;
  }
  if (value->size() > maxItems) {
    fail(std::string(field), fmt::format("must have at most {} items", maxItems));
    return std::nullopt;
  }
  std::vector<std::string> out;
  out.reserve(value->size());
  bool ok = true;
  for (std::size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    if (auto problem = stringProblem(item, maxBytesEach, false); !problem.empty()) {
      fail(fmt::format("{}[{}]", field, i), std::move(problem));
      ok = false;
      continue;
    }
    out.push_back(item.get<std::string>());
  }
  if (!ok) return std::nullopt;
  return out;
}

void FieldReader::fail(std::string field, std::string message) {
  std::string name;
  if (field.empty()) {
    // The object as a whole: "skills[0]" rather than "skills[0].".
    name = prefix_;
    if (!name.empty() && name.back() == '.') name.pop_back();
  } else {
    name = prefix_ + field;
  }
  errors_.push_back({std::move(name), std::move(message)});
}

void FieldReader::merge(std::vector<FieldError> errors) {
  for (auto& e : errors) errors_.push_back(std::move(e));
}

void FieldReader::rejectUnknown() {
  if (!object_.is_object()) return;
  for (const auto& [key, value] : object_.items()) {
    if (std::find(seen_.begin(), seen_.end(), key) != seen_.end()) continue;
    fail(key, "unknown field");
    seen_.push_back(key);  // once, however often this runs
  }
}

std::optional<Response> FieldReader::finish() {
  rejectUnknown();
  if (errors_.empty()) return std::nullopt;
  return validationFailed(errors_);
}

void mergePatch(nlohmann::json& target, const nlohmann::json& patch) {
  target.merge_patch(patch);
}

std::variant<store::PageRequest, Response> parsePageRequest(const QueryParams& query) {
  if (query.malformed) {
    return errorResponse(400, "bad_request", "the query string has a malformed %-escape");
  }
  store::PageRequest page;
  std::vector<FieldError> errors;
  if (auto limit = query.get("limit")) {
    int value = 0;
    const auto* end = limit->data() + limit->size();
    auto [ptr, ec] = std::from_chars(limit->data(), end, value);
    if (limit->empty() || ec != std::errc{} || ptr != end || value < 1 ||
        value > store::kMaxPageLimit) {
      errors.push_back(
          {"limit", fmt::format("must be an integer between 1 and {}", store::kMaxPageLimit)});
    } else {
      page.limit = value;
    }
  }
  if (auto cursor = query.get("cursor")) page.cursor = std::string(*cursor);
  if (auto active = query.get("active")) {
    if (*active == "true") {
      page.active = true;
    } else if (*active == "false") {
      page.active = false;
    } else {
      errors.push_back({"active", "must be true or false"});
    }
  }
  if (!errors.empty()) return validationFailed(errors);
  return page;
}

Response pageResponse(nlohmann::json items, const std::optional<std::string>& nextCursor) {
  Json body = {{"items", std::move(items)},
               {"next_cursor", nextCursor ? Json(*nextCursor) : Json(nullptr)}};
  return jsonResponse(200, dumpJson(body));
}

std::string formatTimestamp(base::SysTime t) {
  // By hand rather than date::format (an ostringstream with a locale per call): every object
  // the API returns carries two or three of these, and it was a tenth of a small GET.
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<date::days>(ms);
  const date::year_month_day ymd{day};
  const auto inDay = (ms - day).count();  // 0 .. 86'399'999
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    return date::format("%FT%TZ", ms);  // outside RFC 3339's four-digit years: never in practice
  }
  char out[] = "0000-00-00T00:00:00.000Z";
  auto put = [&out](int at, long value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      out[at + i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, year, 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, inDay / 3'600'000, 2);
  put(14, inDay / 60'000 % 60, 2);
  put(17, inDay / 1000 % 60, 2);
  put(20, inDay % 1000, 3);
  return std::string(out, sizeof out - 1);
}

std::optional<base::SysTime> parseTimestamp(std::string_view text) {
  auto t = base::parseRfc3339(text);
  if (!t.ok()) return std::nullopt;
  return *t;
}

std::string dumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace bankcc::api
