// SPDX-License-Identifier: Apache-2.0
#pragma once

// Events become JSON only at the edges: when the event log stores them, when the API pushes
// them. Writing is a small hand-written appender (the event log's writer thread serializes
// hundreds of thousands of payloads a second); reading goes through nlohmann_json.
//
// Text that leaves the process is always valid UTF-8 without NUL: PostgreSQL rejects anything
// else in a TEXT column, and one bad byte would otherwise fail a whole batch. Invalid sequences
// become U+FFFD; NUL is dropped (inside JSON strings it is escaped as \u0000 instead).
//
// All functions are pure and thread-safe.

#include <string>
#include <string_view>

#include "base/result.h"
#include "events/event.h"

namespace bankcc::events {

/// Appends the payload's JSON object, e.g. {"reason":"signal SIGTERM"}, to `out`. Field names
/// are the snake_case names from the struct's fields(); AgentState values are their names.
void appendPayloadJson(std::string& out, const Payload& payload);

/// The payload's JSON object as a new string.
std::string payloadToJson(const Payload& payload);

/// Parses a payload stored under `type` (e.g. "agent.state_changed"). Fields missing from the
/// JSON keep their defaults and unknown fields are ignored, so history written by an older or
/// newer bankcc still reads. Errors (BadRequest): malformed JSON, not an object, an unknown
/// type, a field of the wrong JSON type or an unknown enum value; the message names the field.
base::Result<Payload> parsePayload(std::string_view type, std::string_view json);

/// Appends `s` as a JSON string literal (with the quotes): escapes '"', '\\' and control
/// characters, keeps other UTF-8 (Chinese text stays readable), replaces invalid UTF-8 by
/// U+FFFD.
void appendJsonString(std::string& out, std::string_view s);

/// True when `s` is valid UTF-8 and holds no NUL byte.
bool isCleanText(std::string_view s);

/// Appends `s` with invalid UTF-8 sequences replaced by U+FFFD and NUL bytes dropped.
void appendCleanText(std::string& out, std::string_view s);

}  // namespace bankcc::events
