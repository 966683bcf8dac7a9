// SPDX-License-Identifier: Apache-2.0
#include "store/phones.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>

#include "store/org_support.h"
#include "store/sql_error.h"

namespace bankcc::store {

base::Status upsertPhone(soci::session& session, const base::Clock& clock, const Phone& phone) {
  const auto& e = phone.extension;
  if (e.size() < 2 || e.size() > 20 ||
      !std::all_of(e.begin(), e.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return detail::invalid("extension", "must be 2 to 20 digits");
  }
  const std::string doing = fmt::format("saving phone {}", detail::quoted(e));
  return detail::guarded(session, doing, [&]() -> base::Status {
    const long long now = detail::toMicros(clock.now());
    const int autoAnswer = phone.autoAnswer ? 1 : 0;
    const int active = phone.active ? 1 : 0;
    // One statement on both backends (SQLite 3.24+ and PostgreSQL share ON CONFLICT).
    session << "INSERT INTO phones (extension, realm, ha1_sealed, auto_answer, active, "
               "created_at, updated_at) VALUES (:ext, :realm, :ha1, :auto, :active, :created, "
               ":updated) ON CONFLICT (extension) DO UPDATE SET realm = excluded.realm, "
               "ha1_sealed = excluded.ha1_sealed, auto_answer = excluded.auto_answer, "
               "active = excluded.active, updated_at = excluded.updated_at",
        soci::use(e, "ext"), soci::use(phone.realm, "realm"), soci::use(phone.ha1Sealed, "ha1"),
        soci::use(autoAnswer, "auto"), soci::use(active, "active"), soci::use(now, "created"),
        soci::use(now, "updated");
    return {};
  });
}

base::Result<std::vector<Phone>> listPhones(soci::session& session) {
  return detail::guarded(session, "listing phones", [&]() -> base::Result<std::vector<Phone>> {
    std::vector<Phone> out;
    std::string extension, realm, sealed;
    int autoAnswer = 0, active = 0;
    long long created = 0, updated = 0;
    soci::statement st =
        (session.prepare << "SELECT extension, realm, ha1_sealed, CASE WHEN auto_answer THEN 1 "
                            "ELSE 0 END, CASE WHEN active THEN 1 ELSE 0 END, created_at, "
                            "updated_at FROM phones ORDER BY extension",
         soci::into(extension), soci::into(realm), soci::into(sealed), soci::into(autoAnswer),
         soci::into(active), soci::into(created), soci::into(updated));
    st.execute();
    while (st.fetch()) {
      out.push_back(Phone{extension, realm, sealed, autoAnswer != 0, active != 0,
                          detail::fromMicros(created), detail::fromMicros(updated)});
    }
    return out;
  });
}

}  // namespace bankcc::store
