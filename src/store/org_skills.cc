// SPDX-License-Identifier: Apache-2.0
#include "store/org_skills.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include "store/org_support.h"
#include "store/sql_error.h"

namespace bankcc::store {
namespace {

using detail::OrgTable;

constexpr const char* kSelect =
    "SELECT id, code, name_zh, name_en, active, version, created_at, updated_at FROM skills";

struct SkillRow {
  long long id = 0;
  std::string code, nameZh, nameEn;
  int active = 0;
  long long version = 0, createdAt = 0, updatedAt = 0;

  // SOCI's comma syntax, continued on a statement being prepared.
  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(code), soci::into(nameZh), soci::into(nameEn), soci::into(active),
        soci::into(version), soci::into(createdAt), soci::into(updatedAt);
  }
  Skill toSkill() const {
    return Skill{.id = id,
                 .code = code,
                 .nameZh = nameZh,
                 .nameEn = nameEn,
                 .active = active != 0,
                 .version = version,
                 .createdAt = detail::fromMicros(createdAt),
                 .updatedAt = detail::fromMicros(updatedAt)};
  }
};

base::Status validate(const Skill& skill) {
  if (auto e = detail::checkCode("code", skill.code)) return *e;
  if (auto e = detail::checkName("name_zh", skill.nameZh)) return *e;
  if (auto e = detail::checkName("name_en", skill.nameEn)) return *e;
  return {};
}

base::Result<Skill> findOrNotFound(soci::session& session, std::string_view code) {
  auto skill = detail::findRow(session, kSelect, "code", code, &SkillRow::toSkill);
  if (!skill) return detail::notFound(OrgTable::Skills, code);
  return *skill;
}

}  // namespace

base::Result<Skill> createSkill(soci::session& session, const base::Clock& clock,
                                const Skill& skill) {
  BANKCC_TRY(validate(skill));
  const std::string doing = fmt::format("creating skill {}", detail::quoted(skill.code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Skill> {
    BANKCC_TRY(detail::checkKeyFree(session, OrgTable::Skills, skill.code));
    const long long now = detail::toMicros(clock.now());
    const int active = skill.active ? 1 : 0;
    session << "INSERT INTO skills (code, name_zh, name_en, active, version, created_at, "
               "updated_at) VALUES (:code, :zh, :en, :active, 1, :created, :updated)",
        soci::use(skill.code, "code"), soci::use(skill.nameZh, "zh"), soci::use(skill.nameEn, "en"),
        soci::use(active, "active"), soci::use(now, "created"), soci::use(now, "updated");
    return findOrNotFound(session, skill.code);
  });
}

base::Result<Skill> getSkill(soci::session& session, std::string_view code) {
  return detail::guarded(session, "reading a skill",
                         [&]() { return findOrNotFound(session, code); });
}

base::Result<Page<Skill>> listSkills(soci::session& session, const PageRequest& request) {
  return detail::listPage(session, request, "listing skills", kSelect, "code", &SkillRow::toSkill,
                          &Skill::code);
}

base::Result<Skill> updateSkill(soci::session& session, const base::Clock& clock,
                                const Skill& skill) {
  BANKCC_TRY(validate(skill));
  const std::string doing = fmt::format("updating skill {}", detail::quoted(skill.code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Skill> {
    const long long now = detail::toMicros(clock.now());
    const int active = skill.active ? 1 : 0;
    const long long version = skill.version;
    soci::statement st =
        (session.prepare << "UPDATE skills SET name_zh = :zh, name_en = :en, active = :active, "
                            "version = version + 1, updated_at = :now "
                            "WHERE code = :code AND version = :version",
         soci::use(skill.nameZh, "zh"), soci::use(skill.nameEn, "en"), soci::use(active, "active"),
         soci::use(now, "now"), soci::use(skill.code, "code"), soci::use(version, "version"));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      return detail::missingOrStale(session, OrgTable::Skills, skill.code, skill.version);
    }
    return findOrNotFound(session, skill.code);
  });
}

base::Result<Skill> setSkillActive(soci::session& session, const base::Clock& clock,
                                   std::string_view code, bool active,
                                   std::int64_t expectedVersion) {
  return detail::setActiveAndReread(session, clock, OrgTable::Skills, code, active, expectedVersion,
                                    [&]() { return findOrNotFound(session, code); });
}

}  // namespace bankcc::store
