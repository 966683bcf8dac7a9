// SPDX-License-Identifier: Apache-2.0
#pragma once

// The agents' pick lists: not-ready reason codes (示忙原因: lunch, training, …) and wrap-up
// codes (话后小结). Both are {code, label_zh, label_en}. Conventions of all repositories:
// org_common.h.
// Threads: each function runs on the caller's thread, which owns `session`.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "store/org_common.h"

namespace bankcc::store {

enum class CodeKind {
  Reason,  ///< not-ready reasons; the system reasons (no_answer, …) are built in, not stored
  Wrapup,  ///< wrap-up codes
};

struct LabelledCode {
  std::int64_t id = 0;  ///< database key; not part of the API
  std::string code;     ///< e.g. "lunch", "complaint"
  std::string labelZh;
  std::string labelEn;
  bool active = true;
  std::int64_t version = 0;
  base::SysTime createdAt{};
  base::SysTime updatedAt{};
};

/// Creates `code` in the `kind` list from its code, labels and active flag (id, version and
/// timestamps are ignored) and returns it as stored, at version 1. Errors: ValidationFailed,
/// Conflict.
base::Result<LabelledCode> createCode(soci::session& session, const base::Clock& clock,
                                      CodeKind kind, const LabelledCode& code);
/// Errors: NotFound.
base::Result<LabelledCode> getCode(soci::session& session, CodeKind kind, std::string_view code);
/// The `kind` list ordered by code.
base::Result<Page<LabelledCode>> listCodes(soci::session& session, CodeKind kind,
                                           const PageRequest& request);
/// Replaces the labels and active flag of `code.code`, provided its stored version is
/// `code.version`. Errors: ValidationFailed, NotFound, VersionMismatch.
base::Result<LabelledCode> updateCode(soci::session& session, const base::Clock& clock,
                                      CodeKind kind, const LabelledCode& code);
/// Enables or disables a code. Errors: NotFound, VersionMismatch.
base::Result<LabelledCode> setCodeActive(soci::session& session, const base::Clock& clock,
                                         CodeKind kind, std::string_view code, bool active,
                                         std::int64_t expectedVersion);

}  // namespace bankcc::store
