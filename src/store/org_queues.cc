// SPDX-License-Identifier: Apache-2.0
#include "store/org_queues.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <span>

#include "store/org_support.h"
#include "store/sql_error.h"

namespace bankcc::store {
namespace {

using detail::OrgTable;

constexpr std::size_t kMaxSkills = 50;

constexpr const char* kSelect =
    "SELECT id, code, name_zh, name_en, service_level_target, service_level_threshold_seconds, "
    "short_abandon_seconds, active, version, created_at, updated_at FROM queues";

struct QueueRow {
  long long id = 0;
  std::string code, nameZh, nameEn;
  int target = 0, thresholdSeconds = 0, shortAbandonSeconds = 0;
  int active = 0;
  long long version = 0, createdAt = 0, updatedAt = 0;

  // SOCI's comma syntax, continued on a statement being prepared.
  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(code), soci::into(nameZh), soci::into(nameEn), soci::into(target),
        soci::into(thresholdSeconds), soci::into(shortAbandonSeconds), soci::into(active),
        soci::into(version), soci::into(createdAt), soci::into(updatedAt);
  }
  Queue toQueue() const {
    Queue queue;
    queue.id = id;
    queue.code = code;
    queue.nameZh = nameZh;
    queue.nameEn = nameEn;
    queue.serviceLevelTarget = target;
    queue.serviceLevelThreshold = std::chrono::seconds{thresholdSeconds};
    queue.shortAbandon = std::chrono::seconds{shortAbandonSeconds};
    queue.active = active != 0;
    queue.version = version;
    queue.createdAt = detail::fromMicros(createdAt);
    queue.updatedAt = detail::fromMicros(updatedAt);
    return queue;
  }
};

base::Status validate(const Queue& queue) {
  if (auto e = detail::checkCode("code", queue.code)) return *e;
  if (auto e = detail::checkName("name_zh", queue.nameZh)) return *e;
  if (auto e = detail::checkName("name_en", queue.nameEn)) return *e;
  if (queue.serviceLevelTarget < 1 || queue.serviceLevelTarget > 100) {
    return detail::invalid("service_level_target", fmt::format("must be a percentage from 1 to "
                                                               "100 (got {})",
                                                               queue.serviceLevelTarget));
  }
  const auto threshold = queue.serviceLevelThreshold.count();
  if (threshold < 1 || threshold > 3600) {
    return detail::invalid("service_level_threshold_seconds",
                           fmt::format("must be 1 to 3600 seconds (got {})", threshold));
  }
  const auto shortAbandon = queue.shortAbandon.count();
  if (shortAbandon < 0 || shortAbandon > 600) {
    return detail::invalid("short_abandon_seconds",
                           fmt::format("must be 0 to 600 seconds (got {})", shortAbandon));
  }
  if (queue.skills.size() > kMaxSkills) {
    return detail::invalid("skills", fmt::format("at most {} skills per queue", kMaxSkills));
  }
  for (std::size_t i = 0; i < queue.skills.size(); ++i) {
    if (auto e = detail::checkCode("skills", queue.skills[i])) return *e;
    const auto earlier = std::span(queue.skills).first(i);
    if (std::find(earlier.begin(), earlier.end(), queue.skills[i]) != earlier.end()) {
      return detail::invalid("skills",
                             fmt::format("{} is listed twice", detail::quoted(queue.skills[i])));
    }
  }
  return {};
}

/// Skill codes of the queues whose codes lie in [first, last], by queue id.
std::map<long long, std::vector<std::string>> skillsOf(soci::session& session,
                                                       const std::string& first,
                                                       const std::string& last) {
  std::map<long long, std::vector<std::string>> out;
  long long queueId = 0;
  std::string code;
  soci::statement st =
      (session.prepare << "SELECT qs.queue_id, s.code FROM queue_skills qs "
                          "JOIN queues q ON q.id = qs.queue_id JOIN skills s ON s.id = qs.skill_id "
                          "WHERE q.code >= :first AND q.code <= :last ORDER BY s.code",
       soci::use(first, "first"), soci::use(last, "last"), soci::into(queueId), soci::into(code));
  st.execute();
  while (st.fetch()) out[queueId].push_back(code);
  return out;
}

base::Result<Queue> findOrNotFound(soci::session& session, std::string_view code) {
  auto queue = detail::findRow(session, kSelect, "code", code, &QueueRow::toQueue);
  if (!queue) return detail::notFound(OrgTable::Queues, code);
  queue->skills = std::move(skillsOf(session, queue->code, queue->code)[queue->id]);
  return *queue;
}

/// Replaces the skill rows of queue `queueId`. ValidationFailed for an unknown skill.
base::Status writeSkills(soci::session& session, long long queueId,
                         const std::vector<std::string>& skills) {
  std::vector<long long> skillIds;
  for (const std::string& code : skills) {
    auto id = detail::idOf(session, OrgTable::Skills, code);
    if (!id)
      return detail::invalid("skills", fmt::format("unknown skill {}", detail::quoted(code)));
    skillIds.push_back(*id);
  }
  session << "DELETE FROM queue_skills WHERE queue_id = :queue", soci::use(queueId, "queue");
  for (long long skillId : skillIds) {
    session << "INSERT INTO queue_skills (queue_id, skill_id) VALUES (:queue, :skill)",
        soci::use(queueId, "queue"), soci::use(skillId, "skill");
  }
  return {};
}

}  // namespace

base::Result<Queue> createQueue(soci::session& session, const base::Clock& clock,
                                const Queue& queue) {
  BANKCC_TRY(validate(queue));
  const std::string doing = fmt::format("creating queue {}", detail::quoted(queue.code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Queue> {
    BANKCC_TRY(detail::checkKeyFree(session, OrgTable::Queues, queue.code));
    const long long now = detail::toMicros(clock.now());
    const int active = queue.active ? 1 : 0;
    const int threshold = static_cast<int>(queue.serviceLevelThreshold.count());
    const int shortAbandon = static_cast<int>(queue.shortAbandon.count());
    long long id = 0;
    session << "INSERT INTO queues (code, name_zh, name_en, service_level_target, "
               "service_level_threshold_seconds, short_abandon_seconds, active, version, "
               "created_at, updated_at) VALUES (:code, :zh, :en, :target, :threshold, "
               ":short_abandon, :active, 1, :created, :updated) RETURNING id",
        soci::use(queue.code, "code"), soci::use(queue.nameZh, "zh"), soci::use(queue.nameEn, "en"),
        soci::use(queue.serviceLevelTarget, "target"), soci::use(threshold, "threshold"),
        soci::use(shortAbandon, "short_abandon"), soci::use(active, "active"),
        soci::use(now, "created"), soci::use(now, "updated"), soci::into(id);
    BANKCC_TRY(writeSkills(session, id, queue.skills));
    return findOrNotFound(session, queue.code);
  });
}

base::Result<Queue> getQueue(soci::session& session, std::string_view code) {
  return detail::guarded(session, "reading a queue",
                         [&]() { return findOrNotFound(session, code); });
}

base::Result<Page<Queue>> listQueues(soci::session& session, const PageRequest& request) {
  return detail::listPage(session, request, "listing queues", kSelect, "code", &QueueRow::toQueue,
                          &Queue::code, [&](std::vector<Queue>& page) {
                            auto skills = skillsOf(session, page.front().code, page.back().code);
                            for (Queue& queue : page) queue.skills = std::move(skills[queue.id]);
                          });
}

base::Result<Queue> updateQueue(soci::session& session, const base::Clock& clock,
                                const Queue& queue) {
  BANKCC_TRY(validate(queue));
  const std::string doing = fmt::format("updating queue {}", detail::quoted(queue.code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Queue> {
    const long long now = detail::toMicros(clock.now());
    const int active = queue.active ? 1 : 0;
    const int threshold = static_cast<int>(queue.serviceLevelThreshold.count());
    const int shortAbandon = static_cast<int>(queue.shortAbandon.count());
    const long long version = queue.version;
    soci::statement st =
        (session.prepare << "UPDATE queues SET name_zh = :zh, name_en = :en, "
                            "service_level_target = :target, "
                            "service_level_threshold_seconds = :threshold, "
                            "short_abandon_seconds = :short_abandon, active = :active, "
                            "version = version + 1, updated_at = :now "
                            "WHERE code = :code AND version = :version",
         soci::use(queue.nameZh, "zh"), soci::use(queue.nameEn, "en"),
         soci::use(queue.serviceLevelTarget, "target"), soci::use(threshold, "threshold"),
         soci::use(shortAbandon, "short_abandon"), soci::use(active, "active"),
         soci::use(now, "now"), soci::use(queue.code, "code"), soci::use(version, "version"));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      return detail::missingOrStale(session, OrgTable::Queues, queue.code, queue.version);
    }
    const auto id = detail::idOf(session, OrgTable::Queues, queue.code);
    BANKCC_TRY(writeSkills(session, id.value_or(0), queue.skills));
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
