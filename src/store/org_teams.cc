// SPDX-License-Identifier: Apache-2.0
#include "store/org_teams.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <map>

#include "store/org_support.h"
#include "store/sql_error.h"

namespace bankcc::store {
namespace {

using detail::OrgTable;

constexpr const char* kSelect =
    "SELECT id, code, name, active, version, created_at, updated_at FROM teams";

struct TeamRow {
  long long id = 0;
  std::string code, name;
  int active = 0;
  long long version = 0, createdAt = 0, updatedAt = 0;

  // SOCI's comma syntax, continued on a statement being prepared.
  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(code), soci::into(name), soci::into(active), soci::into(version),
        soci::into(createdAt), soci::into(updatedAt);
  }
  Team toTeam() const {
    return Team{.id = id,
                .code = code,
                .name = name,
                .supervisors = {},
                .active = active != 0,
                .version = version,
                .createdAt = detail::fromMicros(createdAt),
                .updatedAt = detail::fromMicros(updatedAt)};
  }
};

base::Status validate(const Team& team) {
  if (auto e = detail::checkCode("code", team.code)) return *e;
  if (auto e = detail::checkName("name", team.name)) return *e;
  std::vector<std::string> seen;
  for (const std::string& user : team.supervisors) {
    if (auto e = detail::checkUsername("supervisors", user)) return *e;
    if (std::find(seen.begin(), seen.end(), user) != seen.end()) {
      return detail::invalid("supervisors",
                             fmt::format("{} is listed twice", detail::quoted(user)));
    }
    seen.push_back(user);
  }
  return {};
}

/// Supervisors of the teams whose codes lie in [first, last], by team id.
std::map<long long, std::vector<std::string>> supervisorsOf(soci::session& session,
                                                            const std::string& first,
                                                            const std::string& last) {
  std::map<long long, std::vector<std::string>> out;
  long long teamId = 0;
  std::string username;
  soci::statement st =
      (session.prepare << "SELECT ts.team_id, u.username FROM team_supervisors ts "
                          "JOIN teams t ON t.id = ts.team_id JOIN users u ON u.id = ts.user_id "
                          "WHERE t.code >= :first AND t.code <= :last ORDER BY u.username",
       soci::use(first, "first"), soci::use(last, "last"), soci::into(teamId),
       soci::into(username));
  st.execute();
  while (st.fetch()) out[teamId].push_back(username);
  return out;
}

base::Result<Team> findOrNotFound(soci::session& session, std::string_view code) {
  auto team = detail::findRow(session, kSelect, "code", code, &TeamRow::toTeam);
  if (!team) return detail::notFound(OrgTable::Teams, code);
  team->supervisors = std::move(supervisorsOf(session, team->code, team->code)[team->id]);
  return *team;
}

/// Replaces the supervisor rows of team `teamId`. ValidationFailed for an unknown user.
base::Status writeSupervisors(soci::session& session, long long teamId,
                              const std::vector<std::string>& usernames) {
  std::vector<long long> userIds;
  for (const std::string& username : usernames) {
    auto id = detail::idOf(session, OrgTable::Users, username);
    if (!id) {
      return detail::invalid("supervisors",
                             fmt::format("unknown user {}", detail::quoted(username)));
    }
    userIds.push_back(*id);
  }
  session << "DELETE FROM team_supervisors WHERE team_id = :team", soci::use(teamId, "team");
  for (long long userId : userIds) {
    session << "INSERT INTO team_supervisors (team_id, user_id) VALUES (:team, :user)",
        soci::use(teamId, "team"), soci::use(userId, "user");
  }
  return {};
}

}  // namespace

base::Result<Team> createTeam(soci::session& session, const base::Clock& clock, const Team& team) {
  BANKCC_TRY(validate(team));
  const std::string doing = fmt::format("creating team {}", detail::quoted(team.code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Team> {
    BANKCC_TRY(detail::checkKeyFree(session, OrgTable::Teams, team.code));
    const long long now = detail::toMicros(clock.now());
    const int active = team.active ? 1 : 0;
    long long id = 0;
    session << "INSERT INTO teams (code, name, active, version, created_at, updated_at) "
               "VALUES (:code, :name, :active, 1, :created, :updated) RETURNING id",
        soci::use(team.code, "code"), soci::use(team.name, "name"), soci::use(active, "active"),
        soci::use(now, "created"), soci::use(now, "updated"), soci::into(id);
    BANKCC_TRY(writeSupervisors(session, id, team.supervisors));
    return findOrNotFound(session, team.code);
  });
}

base::Result<Team> getTeam(soci::session& session, std::string_view code) {
  return detail::guarded(session, "reading a team",
                         [&]() { return findOrNotFound(session, code); });
}

base::Result<Page<Team>> listTeams(soci::session& session, const PageRequest& request) {
  return detail::listPage(session, request, "listing teams", kSelect, "code", &TeamRow::toTeam,
                          &Team::code, [&](std::vector<Team>& page) {
                            auto supervisors =
                                supervisorsOf(session, page.front().code, page.back().code);
                            for (Team& team : page)
                              team.supervisors = std::move(supervisors[team.id]);
                          });
}

base::Result<Team> updateTeam(soci::session& session, const base::Clock& clock, const Team& team) {
  BANKCC_TRY(validate(team));
  const std::string doing = fmt::format("updating team {}", detail::quoted(team.code));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Team> {
    const long long now = detail::toMicros(clock.now());
    const int active = team.active ? 1 : 0;
    const long long version = team.version;
    soci::statement st =
        (session.prepare << "UPDATE teams SET name = :name, active = :active, "
                            "version = version + 1, updated_at = :now "
                            "WHERE code = :code AND version = :version",
         soci::use(team.name, "name"), soci::use(active, "active"), soci::use(now, "now"),
         soci::use(team.code, "code"), soci::use(version, "version"));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      return detail::missingOrStale(session, OrgTable::Teams, team.code, team.version);
    }
    const auto id = detail::idOf(session, OrgTable::Teams, team.code);
    BANKCC_TRY(writeSupervisors(session, id.value_or(0), team.supervisors));
    return findOrNotFound(session, team.code);
  });
}

base::Result<Team> setTeamActive(soci::session& session, const base::Clock& clock,
                                 std::string_view code, bool active, std::int64_t expectedVersion) {
  return detail::setActiveAndReread(session, clock, OrgTable::Teams, code, active, expectedVersion,
                                    [&]() { return findOrNotFound(session, code); });
}

}  // namespace bankcc::store
