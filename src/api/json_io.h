// SPDX-License-Identifier: Apache-2.0
#pragma once

// JSON at the REST edge: parsing request bodies with field-level validation errors, the error
// shape and status codes of CONVENTIONS.md, paging parameters, and time stamps.
// Threads: plain functions and a per-request reader; no shared state.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/call.h"
#include "api/http.h"
#include "base/clock.h"
#include "base/result.h"
#include "store/org_common.h"

namespace bankcc::api {

/// The response for an expected failure of a lower layer:
///   BadRequest 400 bad_request, ValidationFailed 422 validation_failed (a message
///   "field: text" becomes {"fields":[{"field":"field","message":"text"}]}), NotFound 404
///   not_found, Conflict 409 conflict, VersionMismatch 409 version_mismatch, Unavailable 503
///   unavailable (message generic, details logged), anything else 500 internal (message
///   generic, details logged with the request id).
Response errorFrom(const base::Error& error);

struct FieldError {
  std::string field;  ///< "name", "skills[2].proficiency"
  std::string message;
};
/// 422 validation_failed listing `fields`.
Response validationFailed(const std::vector<FieldError>& fields);

/// The request body as a JSON object. Errors (as a ready Response): 400 bad_request when the
/// body is empty, not UTF-8, malformed ("malformed JSON at byte 17") or not an object; 415 when
/// Content-Type is set and is not application/json (or application/merge-patch+json, for
/// PATCH); nesting deeper than 32 levels is refused.
std::variant<nlohmann::json, Response> parseJsonObject(const Request& request);

enum class Need { Required, Optional };

/// Reads fields of one JSON object, collecting every problem (wrong type, missing, out of
/// range, too long, control characters, unknown field) so that one 422 names them all.
class FieldReader {
 public:
  /// `prefix` is prepended to field names in errors ("skills[0].").
  explicit FieldReader(const nlohmann::json& object, std::string prefix = {});

  /// A string of 1..maxBytes bytes of valid UTF-8 without control characters (unless
  /// `allowEmpty`). Missing and Optional: nullopt with no error.
  std::optional<std::string> string(std::string_view field, Need need, std::size_t maxBytes,
                                    bool allowEmpty = false);
  std::optional<std::int64_t> integer(std::string_view field, Need need, std::int64_t min,
                                      std::int64_t max);
  std::optional<bool> boolean(std::string_view field, Need need);
  /// An array of strings, each as string(); at most maxItems.
  std::optional<std::vector<std::string>> stringList(std::string_view field, Need need,
                                                     std::size_t maxItems,
                                                     std::size_t maxBytesEach);
  /// The raw value (marks the field known), or null when absent.
  const nlohmann::json* raw(std::string_view field);
  /// Marks a field as allowed without reading it (e.g. read-only fields echoed back by clients
  /// such as "created_at"; they are ignored).
  void ignore(std::string_view field);

  void fail(std::string field, std::string message);
  /// Adds errors collected elsewhere (nested readers).
  void merge(std::vector<FieldError> errors);
  /// Names every field not read, ignored or raw()-ed as "unknown field".
  void rejectUnknown();
  bool ok() const { return errors_.empty(); }
  const std::vector<FieldError>& errors() const { return errors_; }
  /// rejectUnknown(), then the 422 response when anything failed.
  std::optional<Response> finish();

 private:
  const nlohmann::json& object_;
  std::string prefix_;
  std::vector<std::string> seen_;
  std::vector<FieldError> errors_;
};

/// RFC 7396 JSON merge patch of `target` with `patch` (both objects).
void mergePatch(nlohmann::json& target, const nlohmann::json& patch);

/// ?limit= (1..500, default 50), ?cursor=, ?active=true|false. Errors as a Response: 422 for a
/// bad limit or active value (fields "limit", "active").
std::variant<store::PageRequest, Response> parsePageRequest(const QueryParams& query);

/// {"items": items, "next_cursor": cursor-or-null} with status 200.
Response pageResponse(nlohmann::json items, const std::optional<std::string>& nextCursor);

/// RFC 3339 in UTC with milliseconds: "2026-11-26T07:15:00.123Z".
std::string formatTimestamp(base::SysTime t);
/// Parses RFC 3339 with any offset. nullopt on bad input.
std::optional<base::SysTime> parseTimestamp(std::string_view text);

/// Serialises a JSON value compactly (UTF-8; invalid UTF-8 replaced, never throws).
std::string dumpJson(const nlohmann::json& value);

}  // namespace bankcc::api
