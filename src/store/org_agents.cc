// SPDX-License-Identifier: Apache-2.0
#include "store/org_agents.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <span>

#include "store/org_support.h"
#include "store/sql_error.h"

namespace bankcc::store {
namespace {

using base::Errc;
using detail::OrgTable;

constexpr std::size_t kMaxLanguages = 8;
constexpr std::size_t kMaxSkills = 100;
constexpr std::size_t kMaxExtensions = 10;

constexpr const char* kSelect =
    "SELECT a.id, a.agent_no, a.name, a.languages, t.code, u.username, a.active, a.version, "
    "a.created_at, a.updated_at FROM agents a JOIN users u ON u.id = a.user_id "
    "LEFT JOIN teams t ON t.id = a.team_id";

std::vector<std::string> splitLanguages(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string joinLanguages(const std::vector<std::string>& languages) {
  return fmt::format("{}", fmt::join(languages, ","));
}

struct AgentRow {
  long long id = 0;
  std::string agentNo, name, languages, teamCode, username;
  soci::indicator teamIndicator = soci::i_null;
  int active = 0;
  long long version = 0, createdAt = 0, updatedAt = 0;

  // SOCI's comma syntax, continued on a statement being prepared.
  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(id), soci::into(agentNo), soci::into(name), soci::into(languages),
        soci::into(teamCode, teamIndicator), soci::into(username), soci::into(active),
        soci::into(version), soci::into(createdAt), soci::into(updatedAt);
  }
  Agent toAgent() const {
    Agent agent;
    agent.id = id;
    agent.agentNo = agentNo;
    agent.name = name;
    agent.languages = splitLanguages(languages);
    if (teamIndicator == soci::i_ok) agent.teamCode = teamCode;
    agent.username = username;
    agent.active = active != 0;
    agent.version = version;
    agent.createdAt = detail::fromMicros(createdAt);
    agent.updatedAt = detail::fromMicros(updatedAt);
    return agent;
  }
};

base::Status validate(const Agent& agent) {
  const auto agentNoChar = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  };
  if (agent.agentNo.empty() || agent.agentNo.size() > 32 || agent.agentNo.front() == '-' ||
      agent.agentNo.front() == '_' ||
      !std::all_of(agent.agentNo.begin(), agent.agentNo.end(), agentNoChar)) {
    return detail::invalid("agent_no", fmt::format("must be 1-32 characters of A-Z, a-z, 0-9, '_' "
                                                   "and '-', starting with a letter or digit "
                                                   "(got {})",
                                                   detail::quoted(agent.agentNo)));
  }
  if (auto e = detail::checkName("name", agent.name)) return *e;
  if (agent.languages.empty() || agent.languages.size() > kMaxLanguages) {
    return detail::invalid("languages", fmt::format("must list 1 to {} languages", kMaxLanguages));
  }
  for (std::size_t i = 0; i < agent.languages.size(); ++i) {
    const std::string& tag = agent.languages[i];
    if (!detail::isLanguageTag(tag)) {
      return detail::invalid("languages", fmt::format("{} is not a lower-case language tag such "
                                                      "as zh, en or yue",
                                                      detail::quoted(tag)));
    }
    const auto earlier = std::span(agent.languages).first(i);
    if (std::find(earlier.begin(), earlier.end(), tag) != earlier.end()) {
      return detail::invalid("languages", fmt::format("{} is listed twice", detail::quoted(tag)));
    }
  }
  if (!agent.teamCode.empty()) {
    if (auto e = detail::checkCode("team_code", agent.teamCode)) return *e;
  }
  if (auto e = detail::checkUsername("username", agent.username)) return *e;
  if (agent.skills.size() > kMaxSkills) {
    return detail::invalid("skills", fmt::format("at most {} skills per agent", kMaxSkills));
  }
  for (std::size_t i = 0; i < agent.skills.size(); ++i) {
    const AgentSkill& skill = agent.skills[i];
    if (auto e = detail::checkCode("skills", skill.code)) return *e;
    if (skill.proficiency < 1 || skill.proficiency > 5) {
      return detail::invalid("skills", fmt::format("proficiency of {} must be 1 to 5 (got {})",
                                                   detail::quoted(skill.code), skill.proficiency));
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (agent.skills[k].code == skill.code) {
        return detail::invalid("skills",
                               fmt::format("{} is listed twice", detail::quoted(skill.code)));
      }
    }
  }
  if (agent.extensions.size() > kMaxExtensions) {
    return detail::invalid("extensions",
                           fmt::format("at most {} extensions per agent", kMaxExtensions));
  }
  for (std::size_t i = 0; i < agent.extensions.size(); ++i) {
    const std::string& e = agent.extensions[i].extension;
    const std::string field = fmt::format("extensions[{}]", i);
    // The syntax of phones' extensions (store/phones.h).
    if (e.size() < 2 || e.size() > 20 ||
        !std::all_of(e.begin(), e.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return detail::invalid(
          field, fmt::format("{} is not an extension (2 to 20 digits)", detail::quoted(e)));
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (agent.extensions[k].extension == e) {
        return detail::invalid(field, fmt::format("{} is listed twice", detail::quoted(e)));
      }
    }
  }
  return {};
}

/// Skills of the agents whose numbers lie in [first, last], by agent id, sorted by code.
std::map<long long, std::vector<AgentSkill>> skillsOf(soci::session& session,
                                                      const std::string& first,
                                                      const std::string& last) {
  std::map<long long, std::vector<AgentSkill>> out;
  long long agentId = 0;
  AgentSkill skill;
  soci::statement st =
      (session.prepare << "SELECT k.agent_id, s.code, k.proficiency FROM agent_skills k "
                          "JOIN agents a ON a.id = k.agent_id JOIN skills s ON s.id = k.skill_id "
                          "WHERE a.agent_no >= :first AND a.agent_no <= :last ORDER BY s.code",
       soci::use(first, "first"), soci::use(last, "last"), soci::into(agentId),
       soci::into(skill.code), soci::into(skill.proficiency));
  st.execute();
  while (st.fetch()) out[agentId].push_back(skill);
  return out;
}

/// Extensions of the agents whose numbers lie in [first, last], by agent id, sorted, with
/// their phones' auto-answer setting (false for a phone not provisioned).
std::map<long long, std::vector<AgentExtension>> extensionsOf(soci::session& session,
                                                              const std::string& first,
                                                              const std::string& last) {
  std::map<long long, std::vector<AgentExtension>> out;
  long long agentId = 0;
  std::string extension;
  int autoAnswer = 0;
  soci::statement st =
      (session.prepare << "SELECT x.agent_id, x.extension, "
                          "CASE WHEN p.auto_answer THEN 1 ELSE 0 END FROM agent_extensions x "
                          "JOIN agents a ON a.id = x.agent_id "
                          "LEFT JOIN phones p ON p.extension = x.extension "
                          "WHERE a.agent_no >= :first AND a.agent_no <= :last "
                          "ORDER BY x.extension",
       soci::use(first, "first"), soci::use(last, "last"), soci::into(agentId),
       soci::into(extension), soci::into(autoAnswer));
  st.execute();
  while (st.fetch()) out[agentId].push_back({extension, autoAnswer != 0});
  return out;
}

/// Loads skills and extensions of `agents` (a page ordered by agent number, or one agent).
void fillChildren(soci::session& session, std::vector<Agent>& agents) {
  if (agents.empty()) return;
  const std::string& first = agents.front().agentNo;
  const std::string& last = agents.back().agentNo;
  auto skills = skillsOf(session, first, last);
  auto extensions = extensionsOf(session, first, last);
  for (Agent& agent : agents) {
    agent.skills = std::move(skills[agent.id]);
    agent.extensions = std::move(extensions[agent.id]);
  }
}

base::Result<Agent> findOrNotFound(soci::session& session, std::string_view agentNo) {
  auto agent = detail::findRow(session, kSelect, "a.agent_no", agentNo, &AgentRow::toAgent);
  if (!agent) return detail::notFound(OrgTable::Agents, agentNo);
  std::vector<Agent> one{std::move(*agent)};
  fillChildren(session, one);
  return std::move(one.front());
}

/// The database keys `agent` refers to, checked.
struct References {
  long long userId = 0;
  long long teamId = 0;
  soci::indicator teamIndicator = soci::i_null;
  std::vector<std::pair<long long, int>> skills;  // skill id, proficiency
};

base::Result<References> resolve(soci::session& session, const Agent& agent) {
  References refs;
  if (!agent.teamCode.empty()) {
    auto team = detail::idOf(session, OrgTable::Teams, agent.teamCode);
    if (!team) {
      return detail::invalid("team_code",
                             fmt::format("unknown team {}", detail::quoted(agent.teamCode)));
    }
    refs.teamId = *team;
    refs.teamIndicator = soci::i_ok;
  }
  auto user = detail::idOf(session, OrgTable::Users, agent.username);
  if (!user) {
    return detail::invalid("username",
                           fmt::format("unknown user {}", detail::quoted(agent.username)));
  }
  refs.userId = *user;
  std::string other;
  session << "SELECT agent_no FROM agents WHERE user_id = :user AND agent_no <> :no",
      soci::use(refs.userId, "user"), soci::use(agent.agentNo, "no"), soci::into(other);
  if (session.got_data()) {
    return base::err(Errc::Conflict,
                     fmt::format("username: user {} already acts as agent {}",
                                 detail::quoted(agent.username), detail::quoted(other)));
  }
  for (const AgentSkill& skill : agent.skills) {
    auto id = detail::idOf(session, OrgTable::Skills, skill.code);
    if (!id)
      return detail::invalid("skills", fmt::format("unknown skill {}", detail::quoted(skill.code)));
    refs.skills.emplace_back(*id, skill.proficiency);
  }
  for (std::size_t i = 0; i < agent.extensions.size(); ++i) {
    const std::string& extension = agent.extensions[i].extension;
    session << "SELECT a.agent_no FROM agent_extensions x JOIN agents a ON a.id = x.agent_id "
               "WHERE x.extension = :extension AND a.agent_no <> :no",
        soci::use(extension, "extension"), soci::use(agent.agentNo, "no"), soci::into(other);
    if (session.got_data()) {
      return base::err(Errc::Conflict,
                       fmt::format("extensions[{}]: extension {} belongs to agent {}", i,
                                   detail::quoted(extension), detail::quoted(other)));
    }
  }
  return refs;
}

/// Replaces the skill and extension rows of agent `agentId`.
void writeChildren(soci::session& session, long long agentId, const Agent& agent,
                   const References& refs) {
  session << "DELETE FROM agent_skills WHERE agent_id = :agent", soci::use(agentId, "agent");
  for (const auto& [skillId, proficiency] : refs.skills) {
    session << "INSERT INTO agent_skills (agent_id, skill_id, proficiency) "
               "VALUES (:agent, :skill, :proficiency)",
        soci::use(agentId, "agent"), soci::use(skillId, "skill"),
        soci::use(proficiency, "proficiency");
  }
  session << "DELETE FROM agent_extensions WHERE agent_id = :agent", soci::use(agentId, "agent");
  for (const AgentExtension& e : agent.extensions) {
    session << "INSERT INTO agent_extensions (extension, agent_id) VALUES (:extension, :agent)",
        soci::use(e.extension, "extension"), soci::use(agentId, "agent");
  }
}

}  // namespace

base::Result<Agent> createAgent(soci::session& session, const base::Clock& clock,
                                const Agent& agent) {
  BANKCC_TRY(validate(agent));
  const std::string doing = fmt::format("creating agent {}", detail::quoted(agent.agentNo));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Agent> {
    BANKCC_TRY(detail::checkKeyFree(session, OrgTable::Agents, agent.agentNo));
    auto refs = resolve(session, agent);
    if (!refs.ok()) return std::move(refs).error();
    const long long now = detail::toMicros(clock.now());
    const int active = agent.active ? 1 : 0;
    const std::string languages = joinLanguages(agent.languages);
    long long id = 0;
    session << "INSERT INTO agents (agent_no, name, languages, team_id, user_id, active, version, "
               "created_at, updated_at) VALUES (:no, :name, :languages, :team, :user, :active, 1, "
               ":created, :updated) RETURNING id",
        soci::use(agent.agentNo, "no"), soci::use(agent.name, "name"),
        soci::use(languages, "languages"), soci::use(refs->teamId, refs->teamIndicator, "team"),
        soci::use(refs->userId, "user"), soci::use(active, "active"), soci::use(now, "created"),
        soci::use(now, "updated"), soci::into(id);
    writeChildren(session, id, agent, *refs);
    return findOrNotFound(session, agent.agentNo);
  });
}

base::Result<Agent> getAgent(soci::session& session, std::string_view agentNo) {
  return detail::guarded(session, "reading an agent",
                         [&]() { return findOrNotFound(session, agentNo); });
}

base::Result<Page<Agent>> listAgents(soci::session& session, const PageRequest& request) {
  return detail::listPage(session, request, "listing agents", kSelect, "a.agent_no",
                          &AgentRow::toAgent, &Agent::agentNo,
                          [&](std::vector<Agent>& page) { fillChildren(session, page); });
}

base::Result<Agent> updateAgent(soci::session& session, const base::Clock& clock,
                                const Agent& agent) {
  BANKCC_TRY(validate(agent));
  const std::string doing = fmt::format("updating agent {}", detail::quoted(agent.agentNo));
  return detail::guardedTransaction(session, doing, [&]() -> base::Result<Agent> {
    const auto id = detail::idOf(session, OrgTable::Agents, agent.agentNo);
    if (!id) return detail::notFound(OrgTable::Agents, agent.agentNo);
    auto refs = resolve(session, agent);
    if (!refs.ok()) return std::move(refs).error();
    const long long now = detail::toMicros(clock.now());
    const int active = agent.active ? 1 : 0;
    const std::string languages = joinLanguages(agent.languages);
    const long long version = agent.version;
    soci::statement st =
        (session.prepare << "UPDATE agents SET name = :name, languages = :languages, "
                            "team_id = :team, user_id = :user, active = :active, "
                            "version = version + 1, updated_at = :now "
                            "WHERE agent_no = :no AND version = :version",
         soci::use(agent.name, "name"), soci::use(languages, "languages"),
         soci::use(refs->teamId, refs->teamIndicator, "team"), soci::use(refs->userId, "user"),
         soci::use(active, "active"), soci::use(now, "now"), soci::use(agent.agentNo, "no"),
         soci::use(version, "version"));
    st.execute(true);
    if (st.get_affected_rows() == 0) {
      return detail::missingOrStale(session, OrgTable::Agents, agent.agentNo, agent.version);
    }
    writeChildren(session, *id, agent, *refs);
    return findOrNotFound(session, agent.agentNo);
  });
}

base::Result<Agent> setAgentActive(soci::session& session, const base::Clock& clock,
                                   std::string_view agentNo, bool active,
                                   std::int64_t expectedVersion) {
  return detail::setActiveAndReread(session, clock, OrgTable::Agents, agentNo, active,
                                    expectedVersion,
                                    [&]() { return findOrNotFound(session, agentNo); });
}

}  // namespace bankcc::store
