// SPDX-License-Identifier: Apache-2.0
#pragma once

// Private to the org routes: organisation objects as REST JSON (snake_case; never the integer
// database key or a password hash).
// Threads: plain functions; thread-safe.

#include <nlohmann/json.hpp>

#include <optional>
#include <vector>

#include "base/clock.h"
#include "store/auth.h"
#include "store/org_agents.h"
#include "store/org_calendars.h"
#include "store/org_codes.h"
#include "store/org_queues.h"
#include "store/org_skills.h"
#include "store/org_teams.h"
#include "store/org_users.h"

namespace bankcc::api {

nlohmann::json toJson(const store::Team& team);
nlohmann::json toJson(const store::Skill& skill);
nlohmann::json toJson(const store::Queue& queue);
nlohmann::json toJson(const store::LabelledCode& code);
/// {"code", "name", "weekly": {"monday": ["08:00-20:00"], ... all seven days}, "exceptions":
/// [{"date": "2026-10-01", "hours": [], "note": "国庆节" | null}, ...by date], "version",
/// "created_at", "updated_at"} (decision 0021).
nlohmann::json toJson(const store::Calendar& calendar);
nlohmann::json toJson(const store::Agent& agent);
/// [{"code": "x", "proficiency": 3}, ...]
nlohmann::json toJson(const std::vector<store::AgentSkill>& skills);
/// [{"extension": "8001", "auto_answer": false}, ...]; auto_answer is the phone's (read-only).
nlohmann::json toJson(const std::vector<store::AgentExtension>& extensions);
/// The user with the flags of its credentials (`credentials.user` is not used): has_password,
/// must_change_password, and locked (lockedUntil after `now`).
nlohmann::json toJson(const store::User& user, const store::Credentials& credentials,
                      base::SysTime now);

/// The fields whose values differ between two objects' JSON, as {"field": {"from": old,
/// "to": new}}; version and time stamps are left out. For audit records.
nlohmann::json changedFields(const nlohmann::json& before, const nlohmann::json& after);
/// `object` without its time stamps (created_at, updated_at): the details of a "created" audit
/// record.
nlohmann::json withoutTimestamps(nlohmann::json object);

}  // namespace bankcc::api
