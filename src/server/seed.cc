// SPDX-License-Identifier: Apache-2.0
#include "server/seed.h"

#include <fmt/format.h>
#include <fmt/std.h>
#include <spdlog/spdlog.h>

#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>
#include <utility>
#include <vector>

#include "acd/business_hours.h"
#include "store/org_agents.h"
#include "store/org_calendars.h"
#include "store/org_codes.h"
#include "store/org_common.h"
#include "store/org_queues.h"
#include "store/org_skills.h"
#include "store/org_teams.h"
#include "store/org_users.h"
#include "store/transaction.h"

namespace bankcc::server {
namespace {

using base::Errc;

/// `v` as an int, out-of-range values clamped (so that the repository's range check reports
/// them rather than a wrapped-around value).
int clampToInt(std::int64_t v) {
  return static_cast<int>(std::clamp<std::int64_t>(v, std::numeric_limits<int>::min(),
                                                   std::numeric_limits<int>::max()));
}

std::string where(const std::string& file, const toml::source_region& src) {
  return fmt::format("{}:{}:{}", file, src.begin.line, src.begin.column);
}

/// One [[list]] entry of the seed file: typed reads with line-numbered errors, and a check that
/// no unknown key slipped in (a typo must not silently drop data).
class Entry {
 public:
  Entry(const std::string& file, std::string label, const toml::table& table)
      : file_(file), label_(std::move(label)), table_(table) {}

  std::string string(std::string_view key, bool required = true) {
    known_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (!node) {
      if (required) fail(table_.source(), fmt::format("{} is required", key));
      return {};
    }
    if (auto v = node->value<std::string>()) return *v;
    fail(node->source(), fmt::format("{} must be a string", key));
    return {};
  }

  std::int64_t integer(std::string_view key, std::int64_t def) {
    known_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (!node) return def;
    if (auto v = node->value<std::int64_t>()) return *v;
    fail(node->source(), fmt::format("{} must be an integer", key));
    return def;
  }

  std::vector<std::string> strings(std::string_view key) {
    known_.insert(std::string(key));
    std::vector<std::string> out;
    const toml::node* node = table_.get(key);
    if (!node) return out;
    const toml::array* arr = node->as_array();
    if (!arr) {
      fail(node->source(), fmt::format("{} must be an array of strings", key));
      return out;
    }
    for (const auto& item : *arr) {
      if (auto v = item.value<std::string>()) {
        out.push_back(*v);
      } else {
        fail(item.source(), fmt::format("{} must be an array of strings", key));
      }
    }
    return out;
  }

  bool boolean(std::string_view key, bool def) {
    known_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (!node) return def;
    if (auto v = node->value<bool>()) return *v;
    fail(node->source(), fmt::format("{} must be true or false", key));
    return def;
  }

  /// A queue's skills: `key = { code = min_proficiency, ... }`, or `key = ["code", ...]` (each
  /// at min_proficiency 1).
  std::vector<store::QueueSkillNeed> skillNeeds(std::string_view key) {
    known_.insert(std::string(key));
    std::vector<store::QueueSkillNeed> out;
    const toml::node* node = table_.get(key);
    if (!node) return out;
    if (node->is_array()) {
      for (const std::string& code : strings(key)) out.push_back({code, 1});
      return out;
    }
    for (const store::AgentSkill& s : skills(key)) out.push_back({s.code, s.proficiency});
    return out;
  }

  /// `key = [{ after_seconds = 30, kind = "widen", min_proficiency = 1 },
  ///         { after_seconds = 90, kind = "move_to", target = "retail_en" }, ...]`
  std::vector<store::OverflowStep> steps(std::string_view key) {
    known_.insert(std::string(key));
    std::vector<store::OverflowStep> out;
    const toml::node* node = table_.get(key);
    if (!node) return out;
    const toml::array* arr = node->as_array();
    if (!arr) {
      fail(node->source(), fmt::format("{} must be an array of inline tables such as "
                                       "{{ after_seconds = 30, kind = \"widen\", "
                                       "min_proficiency = 1 }}",
                                       key));
      return out;
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::table* t = (*arr)[i].as_table();
      const std::string at = fmt::format("{}[{}]", key, i);
      if (!t) {
        fail((*arr)[i].source(), fmt::format("{} must be a table", at));
        continue;
      }
      store::OverflowStep step;
      for (const auto& [k, v] : *t) {
        const std::string name(k.str());
        if (name == "after_seconds" && v.value<std::int64_t>()) {
          step.after = std::chrono::seconds(*v.value<std::int64_t>());
        } else if (name == "kind" && v.value<std::string>()) {
          auto kind = store::parseOverflowKind(*v.value<std::string>());
          if (!kind)
            fail(v.source(), fmt::format("{}.kind must be widen, move_to or leave_to", at));
          step.kind = kind.value_or(store::OverflowStep::Kind::Widen);
        } else if (name == "min_proficiency" && v.value<std::int64_t>()) {
          step.minProficiency = clampToInt(*v.value<std::int64_t>());
        } else if (name == "target" && v.value<std::string>()) {
          step.target = *v.value<std::string>();
        } else {
          fail(v.source(), fmt::format("{}: unknown key '{}' or wrong type (after_seconds, "
                                       "min_proficiency: integers; kind, target: strings)",
                                       at, name));
        }
      }
      if (!t->contains("after_seconds") || !t->contains("kind")) {
        fail(t->source(), fmt::format("{} needs after_seconds and kind", at));
      }
      out.push_back(std::move(step));
    }
    return out;
  }

  /// `key = { code = proficiency, ... }`
  std::vector<store::AgentSkill> skills(std::string_view key) {
    known_.insert(std::string(key));
    std::vector<store::AgentSkill> out;
    const toml::node* node = table_.get(key);
    if (!node) return out;
    const toml::table* t = node->as_table();
    if (!t) {
      fail(node->source(), fmt::format("{} must be a table such as {{ retail = 4 }}", key));
      return out;
    }
    for (const auto& [code, value] : *t) {
      if (auto v = value.value<std::int64_t>()) {
        out.push_back({std::string(code.str()), static_cast<int>(*v)});
      } else {
        fail(value.source(),
             fmt::format("{}.{} must be an integer proficiency 1..5", key, code.str()));
      }
    }
    return out;
  }

  /// A calendar's hours: `weekly = { monday = ["08:00-20:00"], ... }` (required; a day left out
  /// is closed) and `exceptions = [{ date = "2026-10-01", hours = [], note = "国庆节" }, ...]`
  /// (date: a string or a TOML date; hours required, [] for closed; note optional).
  acd::BusinessHoursText businessHours() {
    known_.insert("weekly");
    known_.insert("exceptions");
    acd::BusinessHoursText text;
    const toml::node* weekly = table_.get("weekly");
    if (!weekly) {
      fail(table_.source(), "weekly is required, e.g. weekly = { monday = [\"08:00-20:00\"] }");
    } else if (const toml::table* days = weekly->as_table(); !days) {
      fail(weekly->source(), "weekly must be a table such as { monday = [\"08:00-20:00\"] }");
    } else {
      for (const auto& [day, value] : *days) {
        const std::string label = fmt::format("weekly.{}", day.str());
        if (auto index = acd::weekdayIndex(day.str())) {
          text.weekly[static_cast<std::size_t>(*index)] = stringList(value, label);
        } else {
          fail(value.source(), fmt::format("{}: not a day (monday .. sunday)", label));
        }
      }
    }
    const toml::node* node = table_.get("exceptions");
    if (!node) return text;
    const toml::array* arr = node->as_array();
    if (!arr) {
      fail(node->source(),
           "exceptions must be an array of inline tables such as "
           "{ date = \"2026-10-01\", hours = [], note = \"国庆节\" }");
      return text;
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const std::string at = fmt::format("exceptions[{}]", i);
      const toml::table* t = (*arr)[i].as_table();
      if (!t) {
        fail((*arr)[i].source(), fmt::format("{} must be a table", at));
        continue;
      }
      acd::BusinessHoursText::Exception ex;
      for (const auto& [k, v] : *t) {
        const std::string name(k.str());
        if (name == "date" && v.value<std::string>()) {
          ex.date = *v.value<std::string>();
        } else if (name == "date" && v.is_date()) {
          const toml::date d = *v.value<toml::date>();
          ex.date = fmt::format("{:04}-{:02}-{:02}", unsigned{d.year}, unsigned{d.month},
                                unsigned{d.day});
        } else if (name == "hours") {
          ex.hours = stringList(v, at + ".hours");
        } else if (name == "note" && v.value<std::string>()) {
          ex.note = *v.value<std::string>();
        } else {
          fail(v.source(), fmt::format("{}: unknown key '{}' or wrong type (date: a date or "
                                       "\"YYYY-MM-DD\"; hours: strings; note: a string)",
                                       at, name));
        }
      }
      if (!t->contains("date") || !t->contains("hours")) {
        fail(t->source(), fmt::format("{} needs date and hours (hours = [] for a day closed)", at));
      }
      text.exceptions.push_back(std::move(ex));
    }
    return text;
  }

  /// Fails with the first of `problems` (a calendar's), located at this entry.
  base::Status hoursProblem(const std::vector<acd::HoursProblem>& problems) {
    const auto& p = problems.front();
    fail(table_.source(), fmt::format("{}: {}", p.field, p.message));
    return finish();
  }

  /// Call after reading: reports keys that were not read, then the first error.
  base::Status finish() {
    for (const auto& [k, v] : table_) {
      if (!known_.count(std::string(k.str()))) {
        fail(v.source(), fmt::format("unknown key '{}'", k.str()));
      }
    }
    if (error_.empty()) return {};
    return base::err(Errc::ValidationFailed, error_);
  }

  /// Wraps a repository error with this entry's location.
  base::Error located(const base::Error& e) const {
    return base::Error{e.code, fmt::format("{}: {}", location(), e.message)};
  }
  /// "seed.toml:42:1: queues[3] (vip)"
  std::string location() const {
    return fmt::format("{}: {}", where(file_, table_.source()), label_);
  }

 private:
  void fail(const toml::source_region& src, const std::string& message) {
    if (!error_.empty()) return;  // the first error is enough to fix the entry
    error_ = fmt::format("{}: {}: {}", where(file_, src), label_, message);
  }

  /// `node` as an array of strings, named `label` in errors.
  std::vector<std::string> stringList(const toml::node& node, const std::string& label) {
    std::vector<std::string> out;
    const toml::array* arr = node.as_array();
    if (!arr) {
      fail(node.source(), fmt::format("{} must be an array of strings", label));
      return out;
    }
    for (const auto& item : *arr) {
      if (auto v = item.value<std::string>()) {
        out.push_back(*v);
      } else {
        fail(item.source(), fmt::format("{} must be an array of strings", label));
      }
    }
    return out;
  }

  const std::string& file_;
  std::string label_;
  const toml::table& table_;
  std::set<std::string> known_;
  std::string error_;
};

/// Calls `fn(Entry&)` for each table of the array `key`. Errors for a non-array or a
/// non-table entry, and whatever fn returns.
template <typename Fn>
base::Status forEach(const toml::table& doc, const std::string& file, std::string_view key,
                     std::string_view labelKey, Fn&& fn) {
  const toml::node* node = doc.get(key);
  if (!node) return {};
  const toml::array* arr = node->as_array();
  if (!arr) {
    return base::err(Errc::ValidationFailed, fmt::format("{}: {} must be a list of [[{}]] tables",
                                                         where(file, node->source()), key, key));
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    if (!t) {
      return base::err(
          Errc::ValidationFailed,
          fmt::format("{}: {}[{}] must be a table", where(file, (*arr)[i].source()), key, i));
    }
    std::string label = fmt::format("{}[{}]", key, i);
    if (auto id = (*t)[labelKey].value<std::string>()) label += fmt::format(" ({})", *id);
    Entry entry(file, label, *t);
    BANKCC_TRY(fn(entry));
  }
  return {};
}

template <typename T>
base::Status created(const Entry& entry, base::Result<T> r) {
  if (!r.ok()) return entry.located(r.error());
  return {};
}

base::Status load(soci::session& session, const toml::table& doc, const std::string& file,
                  const base::Clock& clock) {
  static const std::set<std::string> kLists = {"users",  "skills", "teams",        "calendars",
                                               "queues", "agents", "reason_codes", "wrapup_codes"};
  for (const auto& [k, v] : doc) {
    if (!kLists.count(std::string(k.str()))) {
      return base::err(Errc::ValidationFailed,
                       fmt::format("{}: unknown list '{}' (known: agents, calendars, queues, "
                                   "reason_codes, skills, teams, users, wrapup_codes)",
                                   where(file, v.source()), k.str()));
    }
  }

  std::set<std::string> usernames;
  BANKCC_TRY(forEach(doc, file, "users", "username", [&](Entry& e) -> base::Status {
    store::User u;
    u.username = e.string("username");
    u.displayName = e.string("display_name");
    u.roles = e.strings("roles");
    BANKCC_TRY(e.finish());
    usernames.insert(u.username);
    return created(e, store::createUser(session, clock, u));
  }));
  BANKCC_TRY(forEach(doc, file, "skills", "code", [&](Entry& e) -> base::Status {
    store::Skill s;
    s.code = e.string("code");
    s.nameZh = e.string("name_zh");
    s.nameEn = e.string("name_en");
    BANKCC_TRY(e.finish());
    return created(e, store::createSkill(session, clock, s));
  }));
  // Agents' own user accounts (role "agent") unless [[users]] lists them.
  BANKCC_TRY(forEach(doc, file, "agents", "agent_no", [&](Entry& e) -> base::Status {
    const auto username = e.string("username");
    const auto name = e.string("name");
    if (username.empty() || usernames.count(username)) return {};
    store::User u;
    u.username = username;
    u.displayName = name;
    u.roles = {"agent"};
    usernames.insert(username);
    return created(e, store::createUser(session, clock, u));
  }));
  BANKCC_TRY(forEach(doc, file, "teams", "code", [&](Entry& e) -> base::Status {
    store::Team t;
    t.code = e.string("code");
    t.name = e.string("name");
    t.supervisors = e.strings("supervisors");
    BANKCC_TRY(e.finish());
    return created(e, store::createTeam(session, clock, t));
  }));
  // Calendars before the queues that name them.
  BANKCC_TRY(forEach(doc, file, "calendars", "code", [&](Entry& e) -> base::Status {
    store::Calendar c;
    c.code = e.string("code");
    c.name = e.string("name");
    const acd::BusinessHoursText text = e.businessHours();
    BANKCC_TRY(e.finish());
    auto parsed = acd::parseBusinessHours(text);
    if (auto* problems = std::get_if<std::vector<acd::HoursProblem>>(&parsed)) {
      return e.hoursProblem(*problems);
    }
    c.hours = std::move(std::get<acd::BusinessHours>(parsed));
    return created(e, store::createCalendar(session, clock, c));
  }));
  // Queues whose move_to steps may name queues listed later are created without their steps
  // first and get them once every queue exists.
  std::vector<std::pair<store::Queue, std::string>> withMoves;  // the queue, its location
  BANKCC_TRY(forEach(doc, file, "queues", "code", [&](Entry& e) -> base::Status {
    store::Queue q;
    q.code = e.string("code");
    q.nameZh = e.string("name_zh");
    q.nameEn = e.string("name_en");
    q.skillNeeds = e.skillNeeds("skills");
    q.serviceLevelTarget = static_cast<int>(e.integer("service_level_target", 80));
    q.serviceLevelThreshold =
        std::chrono::seconds(e.integer("service_level_threshold_seconds", 20));
    q.shortAbandon = std::chrono::seconds(e.integer("short_abandon_seconds", 5));
    if (const std::string variant = e.string("service_level_variant", false); !variant.empty()) {
      auto parsed = store::parseServiceLevelVariant(variant);
      if (!parsed) {
        return e.located(base::err(Errc::ValidationFailed,
                                   "service_level_variant: must be ignore_abandons, "
                                   "abandons_against or abandons_in_favour"));
      }
      q.serviceLevelVariant = *parsed;
    }
    q.dnis = e.strings("dnis");
    q.language = e.string("language", false);
    const std::string policy = e.string("routing_policy", false);
    if (!policy.empty()) {
      auto parsed = store::parseRoutingPolicy(policy);
      if (!parsed) {
        return e.located(base::err(Errc::ValidationFailed,
                                   "routing_policy: must be longest_idle, most_skilled or "
                                   "round_robin"));
      }
      q.routingPolicy = *parsed;
    }
    q.aging = std::chrono::seconds(e.integer("aging_seconds", 60));
    q.maxSize = clampToInt(e.integer("max_size", 0));
    q.maxWait = std::chrono::seconds(e.integer("max_wait_seconds", 0));
    q.fallback = e.string("fallback", false);
    q.overflowSteps = e.steps("overflow_steps");
    q.ringTimeout = std::chrono::seconds(e.integer("ring_timeout_seconds", 20));
    q.wrapUp = std::chrono::seconds(e.integer("wrap_up_seconds", 15));
    q.readyAfterWrapUp = e.boolean("ready_after_wrap_up", true);
    if (auto music = e.string("music", false); !music.empty()) q.music = music;
    if (auto prompt = e.string("closed_prompt", false); !prompt.empty()) q.closedPrompt = prompt;
    q.averageHandleTime = std::chrono::seconds(e.integer("average_handle_seconds", 180));
    q.calendar = e.string("calendar", false);
    BANKCC_TRY(e.finish());
    const bool moves = std::any_of(q.overflowSteps.begin(), q.overflowSteps.end(), [](auto& s) {
      return s.kind == store::OverflowStep::Kind::MoveTo;
    });
    if (!moves) return created(e, store::createQueue(session, clock, q));
    store::Queue first = q;
    first.overflowSteps.clear();
    auto made = store::createQueue(session, clock, first);
    if (!made.ok()) return e.located(made.error());
    q.version = made->version;
    withMoves.emplace_back(std::move(q), e.location());
    return {};
  }));
  for (const auto& [queue, location] : withMoves) {
    if (auto r = store::updateQueue(session, clock, queue); !r.ok()) {
      return base::Error{r.error().code, fmt::format("{}: {}", location, r.error().message)};
    }
  }
  BANKCC_TRY(forEach(doc, file, "agents", "agent_no", [&](Entry& e) -> base::Status {
    store::Agent a;
    a.agentNo = e.string("agent_no");
    a.name = e.string("name");
    a.username = e.string("username");
    a.teamCode = e.string("team", false);
    a.languages = e.strings("languages");
    a.skills = e.skills("skills");
    for (std::string& x : e.strings("extensions")) a.extensions.push_back({std::move(x), false});
    BANKCC_TRY(e.finish());
    return created(e, store::createAgent(session, clock, a));
  }));
  for (auto [list, kind] : {std::pair{"reason_codes", store::CodeKind::Reason},
                            std::pair{"wrapup_codes", store::CodeKind::Wrapup}}) {
    BANKCC_TRY(forEach(doc, file, list, "code", [&, kind = kind](Entry& e) -> base::Status {
      store::LabelledCode c;
      c.code = e.string("code");
      c.labelZh = e.string("label_zh");
      c.labelEn = e.string("label_en");
      BANKCC_TRY(e.finish());
      return created(e, store::createCode(session, clock, kind, c));
    }));
  }
  return {};
}

}  // namespace

base::Result<bool> seedIfEmpty(soci::session& session, const std::filesystem::path& seedFile,
                               const base::Clock& clock) {
  const std::string file = seedFile.filename().string();
  toml::table doc;
  try {
    doc = toml::parse_file(seedFile.string());
  } catch (const toml::parse_error& e) {
    return base::err(Errc::BadRequest,
                     fmt::format("{}: {}", where(file, e.source()), e.description()));
  }
  auto tx = store::Transaction::begin(session);
  if (!tx.ok()) return std::move(tx).error();
  auto counts = store::countOrganisation(session);
  if (!counts.ok()) return std::move(counts).error();
  if (!counts->empty()) {
    spdlog::info("organisation not empty; seed {} not loaded", seedFile);
    return false;
  }
  BANKCC_TRY(load(session, doc, file, clock));
  BANKCC_TRY(tx->commit());
  spdlog::info("loaded organisation seed {}", seedFile);
  return true;
}

}  // namespace bankcc::server
