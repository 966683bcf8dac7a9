// SPDX-License-Identifier: Apache-2.0
#include "store/org_codes.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include "store/org_support.h"
#include "store/sql_error.h"

namespace bankcc::store {
namespace {

using detail::OrgTable;

OrgTable tableOf(CodeKind kind) {
  return kind == CodeKind::Reason ? OrgTable::ReasonCodes : OrgTable::WrapupCodes;
}

// Table names come from this function only, never from input.
const char* tableName(CodeKind kind) {
  return kind == CodeKind::Reason ? "reason_codes" : "wrapup_codes";
}

std::string selectFrom(CodeKind kind) {
  return fmt::format(
      "SELECT id, code, label_zh, label_en, active, version, created_at, updated_at FROM {}",
      tableName(kind));
}

struct CodeRow {
  long long id = 0;
  std::string code, labelZh, labelEn;
  int active = 0;
  long long version = 0, createdAt = 0, updatedAt = 0;

  // SOCI's comma syntax, continued on a statement being prepared.
  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(code), soci::into(labelZh), soci::into(labelEn),
        soci::into(active), soci::into(version), soci::into(createdAt), soci::into(updatedAt);
  }
  LabelledCode toCode() const {
    return LabelledCode{.id = id,
                        .code = code,
                        .labelZh = labelZh,
                        .labelEn = labelEn,
                        .active = active != 0,
                        .version = version,
                        .createdAt = detail::fromMicros(createdAt),
                        .updatedAt = detail::fromMicros(updatedAt)};
  }
};

base::Status validate(const LabelledCode& code) {
  if (auto e = detail::checkCode("code", code.code)) return *e;
  if (auto e = detail::checkName("label_zh", code.labelZh)) return *e;
  if (auto e = detail::checkName("label_en", code.labelEn)) return *e;
  return {};
}

base::Result<LabelledCode> findOrNotFound(soci::session& session, CodeKind kind,
                                          std::string_view code) {
  auto found = detail::findRow(session, selectFrom(kind), "code", code, &CodeRow::toCode);
  if (!found) return detail::notFound(tableOf(kind), code);
  return *found;
}

}  // namespace

base::Result<LabelledCode> createCode(soci::session& session, const base::Clock& clock,
                                      CodeKind kind, const LabelledCode& code) {
  BANKCC_TRY(validate(code));
  const std::string doing =
      fmt::format("creating {} {}", detail::nounOf(tableOf(kind)), detail::quoted(code.code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<LabelledCode> {
    BANKCC_TRY(detail::checkKeyFree(session, tableOf(kind), code.code));
    const long long now = detail::toMicros(clock.now());
    const int active = code.active ? 1 : 0;
    session << fmt::format(
        "INSERT INTO {} (code, label_zh, label_en, active, version, "
        "created_at, updated_at) VALUES (:code, :zh, :en, :active, 1, "
        ":created, :updated)",
        tableName(kind)),
        soci::use(code.code, "code"), soci::use(code.labelZh, "zh"), soci::use(code.labelEn, "en"),
        soci::use(active, "active"), soci::use(now, "created"), soci::use(now, "updated");
    return findOrNotFound(session, kind, code.code);
  });
}

base::Result<LabelledCode> getCode(soci::session& session, CodeKind kind, std::string_view code) {
  return detail::guarded(session, "reading a code",
                         [&]() { return findOrNotFound(session, kind, code); });
}

base::Result<Page<LabelledCode>> listCodes(soci::session& session, CodeKind kind,
                                           const PageRequest& request) {
  return detail::listPage(session, request, "listing codes", selectFrom(kind), "code",
                          &CodeRow::toCode, &LabelledCode::code);
}

base::Result<LabelledCode> updateCode(soci::session& session, const base::Clock& clock,
                                      CodeKind kind, const LabelledCode& code) {
  BANKCC_TRY(validate(code));
  const std::string doing =
      fmt::format("updating {} {}", detail::nounOf(tableOf(kind)), detail::quoted(code.code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<LabelledCode> {
    const long long now = detail::toMicros(clock.now());
    const int active = code.active ? 1 : 0;
    const long long version = code.version;
    soci::statement st =
        (session.prepare << fmt::format("UPDATE {} SET label_zh = :zh, label_en = :en, "
                                        "active = :active, version = version + 1, "
                                        "updated_at = :now WHERE code = :code AND "
                                        "version = :version",
                                        tableName(kind)),
         soci::use(code.labelZh, "zh"), soci::use(code.labelEn, "en"), soci::use(active, "active"),
         soci::use(now, "now"), soci::use(code.code, "code"), soci::use(version, "version"));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      return detail::missingOrStale(session, tableOf(kind), code.code, code.version);
    }
    return findOrNotFound(session, kind, code.code);
  });
}

base::Result<LabelledCode> setCodeActive(soci::session& session, const base::Clock& clock,
                                         CodeKind kind, std::string_view code, bool active,
                                         std::int64_t expectedVersion) {
  return detail::setActiveAndReread(session, clock, tableOf(kind), code, active, expectedVersion,
                                    [&]() { return findOrNotFound(session, kind, code); });
}

}  // namespace bankcc::store
