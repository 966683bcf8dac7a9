// SPDX-License-Identifier: Apache-2.0
#include "store/org_common.h"

#include "store/org_support.h"
#include "store/sql_error.h"

namespace bankcc::store {

base::Result<OrgCounts> countOrganisation(soci::session& session) {
  using detail::OrgTable;
  return detail::guarded(session, "counting the organisation", [&]() -> base::Result<OrgCounts> {
    OrgCounts counts;
    counts.users = detail::countRows(session, OrgTable::Users);
    counts.teams = detail::countRows(session, OrgTable::Teams);
    counts.skills = detail::countRows(session, OrgTable::Skills);
    counts.agents = detail::countRows(session, OrgTable::Agents);
    counts.queues = detail::countRows(session, OrgTable::Queues);
    counts.reasonCodes = detail::countRows(session, OrgTable::ReasonCodes);
    counts.wrapupCodes = detail::countRows(session, OrgTable::WrapupCodes);
    counts.calendars = detail::countRows(session, OrgTable::Calendars);
    return counts;
  });
}

}  // namespace bankcc::store
