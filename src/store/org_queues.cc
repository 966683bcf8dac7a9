// SPDX-License-Identifier: Apache-2.0
#include "store/org_queues.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "store/org_support.h"
#include "store/sql_error.h"

namespace bankcc::store {
namespace {

using base::Errc;
using detail::OrgTable;

constexpr std::size_t kMaxSkills = 50;
constexpr std::size_t kMaxDnis = 20;
constexpr std::size_t kMaxSteps = 10;
constexpr std::size_t kMaxNumberLength = 32;
constexpr std::size_t kMaxDestinationLength = 64;
constexpr std::size_t kMaxPromptLength = 64;

constexpr std::array<std::pair<RoutingPolicy, std::string_view>, 3> kPolicies{{
    {RoutingPolicy::LongestIdle, "longest_idle"},
    {RoutingPolicy::MostSkilled, "most_skilled"},
    {RoutingPolicy::RoundRobin, "round_robin"},
}};
constexpr std::array<std::pair<OverflowStep::Kind, std::string_view>, 3> kKinds{{
    {OverflowStep::Kind::Widen, "widen"},
    {OverflowStep::Kind::MoveTo, "move_to"},
    {OverflowStep::Kind::LeaveTo, "leave_to"},
}};
// The names reports::serviceLevelVariantName gives (reports/kpi.cc) and migration 0010 admits.
constexpr std::array<std::pair<ServiceLevelVariant, std::string_view>, 3> kVariants{{
    {ServiceLevelVariant::IgnoreAbandons, "ignore_abandons"},
    {ServiceLevelVariant::AbandonsAgainst, "abandons_against"},
    {ServiceLevelVariant::AbandonsInFavour, "abandons_in_favour"},
}};

constexpr const char* kSelect =
    "SELECT id, code, name_zh, name_en, service_level_target, service_level_threshold_seconds, "
    "short_abandon_seconds, service_level_variant, language, routing_policy, aging_seconds, "
    "max_size, max_wait_seconds, fallback, ring_timeout_seconds, wrap_up_seconds, "
    "CASE WHEN ready_after_wrap_up THEN 1 ELSE 0 END, music, closed_prompt, "
    "average_handle_seconds, active, version, created_at, updated_at, "
    "COALESCE((SELECT c.code FROM calendars c WHERE c.id = queues.calendar_id), '') "
    "FROM queues";

struct QueueRow {
  long long id = 0;
  std::string code, nameZh, nameEn;
  int target = 0, thresholdSeconds = 0, shortAbandonSeconds = 0;
  std::string variant, language, policy;
  int agingSeconds = 0, maxSize = 0, maxWaitSeconds = 0;
  std::string fallback;
  int ringSeconds = 0, wrapUpSeconds = 0, readyAfterWrapUp = 0;
  std::string music, closedPrompt;
  int averageHandleSeconds = 0;
  int active = 0;
  long long version = 0, createdAt = 0, updatedAt = 0;
  std::string calendar;

  // SOCI's comma syntax, continued on a statement being prepared.
  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(code), soci::into(nameZh), soci::into(nameEn), soci::into(target),
        soci::into(thresholdSeconds), soci::into(shortAbandonSeconds), soci::into(variant),
        soci::into(language), soci::into(policy), soci::into(agingSeconds), soci::into(maxSize),
        soci::into(maxWaitSeconds), soci::into(fallback), soci::into(ringSeconds),
        soci::into(wrapUpSeconds), soci::into(readyAfterWrapUp), soci::into(music),
        soci::into(closedPrompt), soci::into(averageHandleSeconds), soci::into(active),
        soci::into(version), soci::into(createdAt), soci::into(updatedAt), soci::into(calendar);
  }
  Queue toQueue() const {
    using std::chrono::seconds;
    Queue queue;
    queue.id = id;
    queue.code = code;
    queue.nameZh = nameZh;
    queue.nameEn = nameEn;
    queue.serviceLevelTarget = target;
    queue.serviceLevelThreshold = seconds{thresholdSeconds};
    queue.shortAbandon = seconds{shortAbandonSeconds};
    // The column's CHECK admits only the three names.
    queue.serviceLevelVariant =
        parseServiceLevelVariant(variant).value_or(ServiceLevelVariant::AbandonsAgainst);
    queue.language = language;
    // The column's CHECK admits only the three names.
    queue.routingPolicy = parseRoutingPolicy(policy).value_or(RoutingPolicy::LongestIdle);
    queue.aging = seconds{agingSeconds};
    queue.maxSize = maxSize;
    queue.maxWait = seconds{maxWaitSeconds};
    queue.fallback = fallback;
    queue.ringTimeout = seconds{ringSeconds};
    queue.wrapUp = seconds{wrapUpSeconds};
    queue.readyAfterWrapUp = readyAfterWrapUp != 0;
    queue.music = music;
    queue.closedPrompt = closedPrompt;
    queue.averageHandleTime = seconds{averageHandleSeconds};
    queue.calendar = calendar;
    queue.active = active != 0;
    queue.version = version;
    queue.createdAt = detail::fromMicros(createdAt);
    queue.updatedAt = detail::fromMicros(updatedAt);
    return queue;
  }
};

/// The queue row's values as statement parameters (the same names in INSERT and UPDATE).
struct QueueParams {
  explicit QueueParams(const Queue& q)
      : threshold(static_cast<int>(q.serviceLevelThreshold.count())),
        shortAbandon(static_cast<int>(q.shortAbandon.count())),
        variant(serviceLevelVariantName(q.serviceLevelVariant)),
        policy(routingPolicyName(q.routingPolicy)),
        aging(static_cast<int>(q.aging.count())),
        maxWait(static_cast<int>(q.maxWait.count())),
        ring(static_cast<int>(q.ringTimeout.count())),
        wrapUp(static_cast<int>(q.wrapUp.count())),
        ready(q.readyAfterWrapUp ? 1 : 0),
        averageHandle(static_cast<int>(q.averageHandleTime.count())),
        active(q.active ? 1 : 0) {}

  void bind(soci::details::prepare_temp_type& p, const Queue& q) const {
    p, soci::use(q.nameZh, "zh"), soci::use(q.nameEn, "en"),
        soci::use(q.serviceLevelTarget, "target"), soci::use(threshold, "threshold"),
        soci::use(shortAbandon, "short_abandon"), soci::use(variant, "variant"),
        soci::use(q.language, "language"), soci::use(policy, "policy"), soci::use(aging, "aging"),
        soci::use(q.maxSize, "max_size"), soci::use(maxWait, "max_wait"),
        soci::use(q.fallback, "fallback"), soci::use(ring, "ring"), soci::use(wrapUp, "wrap_up"),
        soci::use(ready, "ready"), soci::use(q.music, "music"),
        soci::use(q.closedPrompt, "closed_prompt"), soci::use(averageHandle, "aht"),
        soci::use(active, "active");
  }

  int threshold, shortAbandon;
  std::string variant, policy;
  int aging, maxWait, ring, wrapUp, ready, averageHandle, active;
};

// --- validation

bool isNumberChar(char c) {
  return (c >= '0' && c <= '9') || c == '*' || c == '#';
}

/// A called number: 1-32 characters of 0-9, '*' and '#', optionally starting with '+'.
bool isPhoneNumber(std::string_view n) {
  if (n.empty() || n.size() > kMaxNumberLength) return false;
  const std::string_view rest = n.front() == '+' ? n.substr(1) : n;
  return !rest.empty() && std::all_of(rest.begin(), rest.end(), isNumberChar);
}

/// A destination (fallback, leave_to): 1-64 printable ASCII characters without spaces, e.g.
/// "95588", "+862195588", "voicemail", "sip:overflow@10.0.0.5".
std::optional<base::Error> checkDestination(const std::string& field, std::string_view d) {
  const bool printable =
      std::all_of(d.begin(), d.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (!d.empty() && d.size() <= kMaxDestinationLength && printable) return std::nullopt;
  return detail::invalid(field, fmt::format("{} is not a destination (1-{} printable characters "
                                            "without spaces: a number, \"voicemail\", a SIP "
                                            "URI)",
                                            detail::quoted(d), kMaxDestinationLength));
}

/// A prompt name: 1-64 characters of A-Z, a-z, 0-9, '_', '-' and '.', not starting with '.'
/// (the file stem of a prompt in [media] prompts_dir).
std::optional<base::Error> checkPrompt(std::string_view field, std::string_view name) {
  const auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  };
  if (!name.empty() && name.size() <= kMaxPromptLength && name.front() != '.' &&
      std::all_of(name.begin(), name.end(), ok)) {
    return std::nullopt;
  }
  return detail::invalid(field, fmt::format("{} is not a prompt name (1-{} characters of A-Z, "
                                            "a-z, 0-9, '_', '-' and '.')",
                                            detail::quoted(name), kMaxPromptLength));
}

std::optional<base::Error> checkSeconds(std::string_view field, std::chrono::seconds value,
                                        long long min, long long max) {
  if (value.count() >= min && value.count() <= max) return std::nullopt;
  return detail::invalid(field,
                         fmt::format("must be {} to {} seconds (got {})", min, max, value.count()));
}

std::optional<base::Error> checkProficiency(const std::string& field, int value) {
  if (value >= 1 && value <= 5) return std::nullopt;
  return detail::invalid(field, fmt::format("must be a proficiency from 1 to 5 (got {})", value));
}

std::optional<base::Error> checkSkillNeeds(const Queue& queue) {
  if (queue.skillNeeds.size() > kMaxSkills) {
    return detail::invalid("skill_needs", fmt::format("at most {} skills per queue", kMaxSkills));
  }
  for (std::size_t i = 0; i < queue.skillNeeds.size(); ++i) {
    const QueueSkillNeed& need = queue.skillNeeds[i];
    if (auto e = detail::checkCode(fmt::format("skill_needs[{}].skill", i), need.skill)) return e;
    if (auto e = checkProficiency(fmt::format("skill_needs[{}].min_proficiency", i),
                                  need.minProficiency)) {
      return e;
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (queue.skillNeeds[k].skill == need.skill) {
        return detail::invalid("skill_needs",
                               fmt::format("{} is listed twice", detail::quoted(need.skill)));
      }
    }
  }
  return std::nullopt;
}

std::optional<base::Error> checkDnis(const Queue& queue) {
  if (queue.dnis.size() > kMaxDnis) {
    return detail::invalid("dnis", fmt::format("at most {} numbers per queue", kMaxDnis));
  }
  for (std::size_t i = 0; i < queue.dnis.size(); ++i) {
    const std::string& number = queue.dnis[i];
    const std::string field = fmt::format("dnis[{}]", i);
    if (!isPhoneNumber(number)) {
      return detail::invalid(field, fmt::format("{} is not a phone number (1-{} characters of "
                                                "0-9, '*' and '#', optionally starting with "
                                                "'+')",
                                                detail::quoted(number), kMaxNumberLength));
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (queue.dnis[k] == number) {
        return detail::invalid(field, fmt::format("{} is listed twice", detail::quoted(number)));
      }
    }
  }
  return std::nullopt;
}

std::optional<base::Error> checkSteps(const Queue& queue) {
  if (queue.overflowSteps.size() > kMaxSteps) {
    return detail::invalid("overflow_steps", fmt::format("at most {} steps per queue", kMaxSteps));
  }
  for (std::size_t i = 0; i < queue.overflowSteps.size(); ++i) {
    const OverflowStep& step = queue.overflowSteps[i];
    const std::string at = fmt::format("overflow_steps[{}]", i);
    if (auto e = checkSeconds(at + ".after_seconds", step.after, 1, 86400)) return e;
    if (i > 0 && step.after <= queue.overflowSteps[i - 1].after) {
      return detail::invalid(at + ".after_seconds",
                             fmt::format("must be greater than the previous step's ({} s); "
                                         "steps are listed in the order they happen",
                                         queue.overflowSteps[i - 1].after.count()));
    }
    if (queue.maxWait.count() > 0 && step.after > queue.maxWait) {
      return detail::invalid(at + ".after_seconds",
                             fmt::format("{} s is after max_wait_seconds ({} s): the step would "
                                         "never happen",
                                         step.after.count(), queue.maxWait.count()));
    }
    switch (step.kind) {
      case OverflowStep::Kind::Widen:
        if (auto e = checkProficiency(at + ".min_proficiency", step.minProficiency)) return e;
        if (!step.target.empty()) {
          return detail::invalid(at + ".target", "a widen step has no target");
        }
        break;
      case OverflowStep::Kind::MoveTo:
        if (auto e = detail::checkCode(at + ".target", step.target)) return e;
        if (step.target == queue.code) {
          return detail::invalid(at + ".target", "a queue cannot move calls to itself");
        }
        break;
      case OverflowStep::Kind::LeaveTo:
        if (auto e = checkDestination(at + ".target", step.target)) return e;
        break;
    }
  }
  return std::nullopt;
}

base::Status validate(const Queue& queue) {
  if (auto e = detail::checkCode("code", queue.code)) return *e;
  if (auto e = detail::checkName("name_zh", queue.nameZh)) return *e;
  if (auto e = detail::checkName("name_en", queue.nameEn)) return *e;
  if (queue.serviceLevelTarget < 1 || queue.serviceLevelTarget > 100) {
    return detail::invalid("service_level_target", fmt::format("must be a percentage from 1 to "
                                                               "100 (got {})",
                                                               queue.serviceLevelTarget));
  }
  if (auto e =
          checkSeconds("service_level_threshold_seconds", queue.serviceLevelThreshold, 1, 3600)) {
    return *e;
  }
  if (auto e = checkSeconds("short_abandon_seconds", queue.shortAbandon, 0, 600)) return *e;
  if (std::none_of(kVariants.begin(), kVariants.end(),
                   [&](const auto& v) { return v.first == queue.serviceLevelVariant; })) {
    return detail::invalid("service_level_variant",
                           fmt::format("must be ignore_abandons, abandons_against or "
                                       "abandons_in_favour (got value {})",
                                       static_cast<int>(queue.serviceLevelVariant)));
  }
  if (auto e = checkSkillNeeds(queue)) return *e;
  if (auto e = checkDnis(queue)) return *e;
  if (!queue.language.empty() &&
      (queue.language.size() > 32 || !detail::isLanguageTag(queue.language))) {
    return detail::invalid("language", fmt::format("{} is not a lower-case language tag such as "
                                                   "zh, en or yue (empty: any language)",
                                                   detail::quoted(queue.language)));
  }
  if (auto e = checkSeconds("aging_seconds", queue.aging, 0, 3600)) return *e;
  if (queue.maxSize < 0 || queue.maxSize > 100000) {
    return detail::invalid("max_size",
                           fmt::format("must be 0 (unlimited) to 100000 (got {})", queue.maxSize));
  }
  if (auto e = checkSeconds("max_wait_seconds", queue.maxWait, 0, 86400)) return *e;
  if (!queue.fallback.empty()) {
    if (auto e = checkDestination("fallback", queue.fallback)) return *e;
  }
  if (auto e = checkSteps(queue)) return *e;
  if (auto e = checkSeconds("ring_timeout_seconds", queue.ringTimeout, 5, 120)) return *e;
  if (auto e = checkSeconds("wrap_up_seconds", queue.wrapUp, 0, 1800)) return *e;
  if (auto e = checkPrompt("music", queue.music)) return *e;
  if (auto e = checkPrompt("closed_prompt", queue.closedPrompt)) return *e;
  if (auto e = checkSeconds("average_handle_seconds", queue.averageHandleTime, 1, 3600)) {
    return *e;
  }
  if (!queue.calendar.empty()) {
    if (auto e = detail::checkCode("calendar", queue.calendar)) return *e;
  }
  return {};
}

/// The key of the queue's calendar, nullopt for none. NotFound "calendar: no calendar 'x'"
/// (decision 0021). Throws soci errors: call inside guarded().
base::Result<std::optional<long long>> calendarIdOf(soci::session& session, const Queue& queue) {
  if (queue.calendar.empty()) return std::optional<long long>{};
  auto id = detail::idOf(session, OrgTable::Calendars, queue.calendar);
  if (!id) {
    return base::err(Errc::NotFound,
                     fmt::format("calendar: no calendar {}", detail::quoted(queue.calendar)));
  }
  return std::optional<long long>{*id};
}

// --- child rows (these throw soci errors: call inside guarded())

/// Loads skill needs, numbers and overflow steps of `queues` (a page ordered by code, or one
/// queue), in three statements over the code range of the page.
void fillChildren(soci::session& session, std::vector<Queue>& queues) {
  if (queues.empty()) return;
  const std::string& first = queues.front().code;
  const std::string& last = queues.back().code;
  std::map<long long, Queue*> byId;
  for (Queue& q : queues) byId[q.id] = &q;
  const auto queueOf = [&](long long id) {
    auto it = byId.find(id);
    return it == byId.end() ? nullptr : it->second;  // in the range but filtered out
  };

  long long queueId = 0;
  std::string text;
  int number = 0;
  {
    soci::statement st =
        (session.prepare << "SELECT qs.queue_id, s.code, qs.min_proficiency FROM queue_skills qs "
                            "JOIN queues q ON q.id = qs.queue_id "
                            "JOIN skills s ON s.id = qs.skill_id "
                            "WHERE q.code >= :first AND q.code <= :last ORDER BY s.code",
         soci::use(first, "first"), soci::use(last, "last"), soci::into(queueId), soci::into(text),
         soci::into(number));
    st.execute();
    while (st.fetch()) {
      if (Queue* q = queueOf(queueId)) q->skillNeeds.push_back({text, number});
    }
  }
  {
    soci::statement st =
        (session.prepare << "SELECT d.queue_id, d.number FROM queue_dnis d "
                            "JOIN queues q ON q.id = d.queue_id "
                            "WHERE q.code >= :first AND q.code <= :last ORDER BY d.number",
         soci::use(first, "first"), soci::use(last, "last"), soci::into(queueId), soci::into(text));
    st.execute();
    while (st.fetch()) {
      if (Queue* q = queueOf(queueId)) q->dnis.push_back(text);
    }
  }
  {
    int after = 0;
    std::string kind, targetCode, destination;
    soci::indicator proficiencyInd = soci::i_null, targetInd = soci::i_null,
                    destinationInd = soci::i_null;
    soci::statement st =
        (session.prepare << "SELECT st.queue_id, st.after_seconds, st.kind, st.min_proficiency, "
                            "t.code, st.destination FROM queue_overflow_steps st "
                            "JOIN queues q ON q.id = st.queue_id "
                            "LEFT JOIN queues t ON t.id = st.target_queue_id "
                            "WHERE q.code >= :first AND q.code <= :last "
                            "ORDER BY st.queue_id, st.after_seconds",
         soci::use(first, "first"), soci::use(last, "last"), soci::into(queueId), soci::into(after),
         soci::into(kind), soci::into(number, proficiencyInd), soci::into(targetCode, targetInd),
         soci::into(destination, destinationInd));
    st.execute();
    while (st.fetch()) {
      Queue* q = queueOf(queueId);
      if (q == nullptr) continue;
      OverflowStep step;
      step.after = std::chrono::seconds{after};
      // The column's CHECK admits only the three names.
      step.kind = parseOverflowKind(kind).value_or(OverflowStep::Kind::Widen);
      if (proficiencyInd == soci::i_ok) step.minProficiency = number;
      if (targetInd == soci::i_ok) step.target = targetCode;
      if (destinationInd == soci::i_ok) step.target = destination;
      q->overflowSteps.push_back(std::move(step));
    }
  }
}

base::Result<Queue> findOrNotFound(soci::session& session, std::string_view code) {
  auto queue = detail::findRow(session, kSelect, "code", code, &QueueRow::toQueue);
  if (!queue) return detail::notFound(OrgTable::Queues, code);
  std::vector<Queue> one{std::move(*queue)};
  fillChildren(session, one);
  return std::move(one.front());
}

/// Replaces the skill needs, numbers and overflow steps of queue `queueId` (`queue.code`).
/// ValidationFailed for an unknown skill or target queue; Conflict for a number that reaches
/// another queue.
base::Status writeChildren(soci::session& session, long long queueId, const Queue& queue) {
  std::vector<std::pair<long long, int>> needs;  // skill id, min proficiency
  for (const QueueSkillNeed& need : queue.skillNeeds) {
    auto id = detail::idOf(session, OrgTable::Skills, need.skill);
    if (!id) {
      return detail::invalid("skill_needs",
                             fmt::format("unknown skill {}", detail::quoted(need.skill)));
    }
    needs.emplace_back(*id, need.minProficiency);
  }
  for (std::size_t i = 0; i < queue.dnis.size(); ++i) {
    std::string other;
    session << "SELECT q.code FROM queue_dnis d JOIN queues q ON q.id = d.queue_id "
               "WHERE d.number = :number AND d.queue_id <> :queue",
        soci::use(queue.dnis[i], "number"), soci::use(queueId, "queue"), soci::into(other);
    if (session.got_data()) {
      return base::err(Errc::Conflict,
                       fmt::format("dnis[{}]: {} already reaches queue {}", i,
                                   detail::quoted(queue.dnis[i]), detail::quoted(other)));
    }
  }
  std::vector<long long> targets(queue.overflowSteps.size(), 0);
  for (std::size_t i = 0; i < queue.overflowSteps.size(); ++i) {
    const OverflowStep& step = queue.overflowSteps[i];
    if (step.kind != OverflowStep::Kind::MoveTo) continue;
    auto id = detail::idOf(session, OrgTable::Queues, step.target);
    if (!id) {
      return detail::invalid(fmt::format("overflow_steps[{}].target", i),
                             fmt::format("unknown queue {}", detail::quoted(step.target)));
    }
    targets[i] = *id;
  }

  session << "DELETE FROM queue_skills WHERE queue_id = :queue", soci::use(queueId, "queue");
  for (const auto& [skillId, minProficiency] : needs) {
    session << "INSERT INTO queue_skills (queue_id, skill_id, min_proficiency) "
               "VALUES (:queue, :skill, :min)",
        soci::use(queueId, "queue"), soci::use(skillId, "skill"), soci::use(minProficiency, "min");
  }
  session << "DELETE FROM queue_dnis WHERE queue_id = :queue", soci::use(queueId, "queue");
  for (const std::string& number : queue.dnis) {
    session << "INSERT INTO queue_dnis (number, queue_id) VALUES (:number, :queue)",
        soci::use(number, "number"), soci::use(queueId, "queue");
  }
  session << "DELETE FROM queue_overflow_steps WHERE queue_id = :queue",
      soci::use(queueId, "queue");
  for (std::size_t i = 0; i < queue.overflowSteps.size(); ++i) {
    const OverflowStep& step = queue.overflowSteps[i];
    const int after = static_cast<int>(step.after.count());
    const std::string kind(overflowKindName(step.kind));
    const bool widen = step.kind == OverflowStep::Kind::Widen;
    const bool moveTo = step.kind == OverflowStep::Kind::MoveTo;
    const bool leaveTo = step.kind == OverflowStep::Kind::LeaveTo;
    soci::indicator proficiencyInd = widen ? soci::i_ok : soci::i_null;
    soci::indicator targetInd = moveTo ? soci::i_ok : soci::i_null;
    soci::indicator destinationInd = leaveTo ? soci::i_ok : soci::i_null;
    session << "INSERT INTO queue_overflow_steps (queue_id, after_seconds, kind, "
               "min_proficiency, target_queue_id, destination) "
               "VALUES (:queue, :after, :kind, :min, :target, :destination)",
        soci::use(queueId, "queue"), soci::use(after, "after"), soci::use(kind, "kind"),
        soci::use(step.minProficiency, proficiencyInd, "min"),
        soci::use(targets[i], targetInd, "target"),
        soci::use(step.target, destinationInd, "destination");
  }
  return {};
}

}  // namespace

std::string_view routingPolicyName(RoutingPolicy policy) {
  for (const auto& [p, name] : kPolicies) {
    if (p == policy) return name;
  }
  return "longest_idle";
}

std::optional<RoutingPolicy> parseRoutingPolicy(std::string_view name) {
  for (const auto& [p, n] : kPolicies) {
    if (n == name) return p;
  }
  return std::nullopt;
}

std::string_view overflowKindName(OverflowStep::Kind kind) {
  for (const auto& [k, name] : kKinds) {
    if (k == kind) return name;
  }
  return "widen";
}

std::optional<OverflowStep::Kind> parseOverflowKind(std::string_view name) {
  for (const auto& [k, n] : kKinds) {
    if (n == name) return k;
  }
  return std::nullopt;
}

std::string_view serviceLevelVariantName(ServiceLevelVariant variant) {
  for (const auto& [v, name] : kVariants) {
    if (v == variant) return name;
  }
  return "abandons_against";
}

std::optional<ServiceLevelVariant> parseServiceLevelVariant(std::string_view name) {
  for (const auto& [v, n] : kVariants) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Queue::skillCodes() const {
  std::vector<std::string> codes;
  codes.reserve(skillNeeds.size());
  for (const QueueSkillNeed& need : skillNeeds) codes.push_back(need.skill);
  return codes;
}

base::Result<Queue> createQueue(soci::session& session, const base::Clock& clock,
                                const Queue& queue) {
  BANKCC_TRY(validate(queue));
  const std::string doing = fmt::format("creating queue {}", detail::quoted(queue.code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Queue> {
    BANKCC_TRY(detail::checkKeyFree(session, OrgTable::Queues, queue.code));
    auto calendar = calendarIdOf(session, queue);
    if (!calendar.ok()) return std::move(calendar).error();
    const long long calendarId = calendar->value_or(0);
    soci::indicator calendarInd = *calendar ? soci::i_ok : soci::i_null;
    const long long now = detail::toMicros(clock.now());
    const QueueParams params(queue);
    long long id = 0;
    soci::details::prepare_temp_type p =
        (session.prepare << "INSERT INTO queues (code, name_zh, name_en, service_level_target, "
                            "service_level_threshold_seconds, short_abandon_seconds, "
                            "service_level_variant, language, routing_policy, aging_seconds, "
                            "max_size, max_wait_seconds, fallback, ring_timeout_seconds, "
                            "wrap_up_seconds, ready_after_wrap_up, music, closed_prompt, "
                            "average_handle_seconds, active, calendar_id, version, created_at, "
                            "updated_at) VALUES "
                            "(:code, :zh, :en, :target, :threshold, :short_abandon, :variant, "
                            ":language, :policy, :aging, :max_size, :max_wait, :fallback, "
                            ":ring, :wrap_up, :ready, :music, :closed_prompt, :aht, :active, "
                            ":calendar, 1, :created, :updated) RETURNING id",
         soci::use(queue.code, "code"));
    params.bind(p, queue);
    p, soci::use(calendarId, calendarInd, "calendar"), soci::use(now, "created"),
        soci::use(now, "updated"), soci::into(id);
    soci::statement st(p);
    st.execute(true);
    BANKCC_TRY(writeChildren(session, id, queue));
    return findOrNotFound(session, queue.code);
  });
}

base::Result<Queue> getQueue(soci::session& session, std::string_view code) {
  return detail::guarded(session, "reading a queue",
                         [&]() { return findOrNotFound(session, code); });
}

base::Result<Page<Queue>> listQueues(soci::session& session, const PageRequest& request) {
  return detail::listPage(session, request, "listing queues", kSelect, "code", &QueueRow::toQueue,
                          &Queue::code,
                          [&](std::vector<Queue>& page) { fillChildren(session, page); });
}

base::Result<Queue> updateQueue(soci::session& session, const base::Clock& clock,
                                const Queue& queue) {
  BANKCC_TRY(validate(queue));
  const std::string doing = fmt::format("updating queue {}", detail::quoted(queue.code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Queue> {
    auto calendar = calendarIdOf(session, queue);
    if (!calendar.ok()) return std::move(calendar).error();
    const long long calendarId = calendar->value_or(0);
    soci::indicator calendarInd = *calendar ? soci::i_ok : soci::i_null;
    const long long now = detail::toMicros(clock.now());
    const QueueParams params(queue);
    const long long version = queue.version;
    soci::details::prepare_temp_type p =
        (session.prepare << "UPDATE queues SET name_zh = :zh, name_en = :en, "
                            "service_level_target = :target, "
                            "service_level_threshold_seconds = :threshold, "
                            "short_abandon_seconds = :short_abandon, "
                            "service_level_variant = :variant, language = :language, "
                            "routing_policy = :policy, aging_seconds = :aging, "
                            "max_size = :max_size, max_wait_seconds = :max_wait, "
                            "fallback = :fallback, ring_timeout_seconds = :ring, "
                            "wrap_up_seconds = :wrap_up, ready_after_wrap_up = :ready, "
                            "music = :music, closed_prompt = :closed_prompt, "
                            "average_handle_seconds = :aht, active = :active, "
                            "calendar_id = :calendar, version = version + 1, updated_at = :now "
                            "WHERE code = :code AND version = :version");
    params.bind(p, queue);
    p, soci::use(calendarId, calendarInd, "calendar"), soci::use(now, "now"),
        soci::use(queue.code, "code"), soci::use(version, "version");
    soci::statement st(p);
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      return detail::missingOrStale(session, OrgTable::Queues, queue.code, queue.version);
    }
    const auto id = detail::idOf(session, OrgTable::Queues, queue.code);
    BANKCC_TRY(writeChildren(session, id.value_or(0), queue));
    return findOrNotFound(session, queue.code);
  });
}

base::Result<Queue> setQueueActive(soci::session& session, const base::Clock& clock,
                                   std::string_view code, bool active,
                                   std::int64_t expectedVersion) {
  return detail::setActiveAndReread(session, clock, OrgTable::Queues, code, active, expectedVersion,
                                    [&]() { return findOrNotFound(session, code); });
}

}  // namespace bankcc::store
