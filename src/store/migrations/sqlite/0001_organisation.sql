-- SPDX-License-Identifier: Apache-2.0
-- Organisation data: users and roles, teams, skills, agents, queues, not-ready reason codes
-- and wrap-up codes. Integer keys inside the database, codes in the API; objects are
-- disabled (active = 0), never deleted, while history refers to them. Timestamps are UTC
-- microseconds since 1970. Booleans are 0/1. Keep in step with ../postgres/0001_organisation.sql.

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE
                CHECK (length(username) BETWEEN 1 AND 64),
  display_name  TEXT    NOT NULL,
  password_hash TEXT,
  active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  version       INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT;

-- The built-in roles of CONVENTIONS.md; their permissions are fixed in code.
CREATE TABLE roles (
  id       INTEGER PRIMARY KEY,
  code     TEXT NOT NULL UNIQUE,
  label_zh TEXT NOT NULL,
  label_en TEXT NOT NULL
) STRICT;

INSERT INTO roles (code, label_zh, label_en) VALUES
  ('agent', '座席', 'Agent'),
  ('supervisor', '班长', 'Supervisor'),
  ('qa', '质检员', 'QA inspector'),
  ('planner', '排班员', 'Workforce planner'),
  ('marketing', '营销', 'Marketing'),
  ('admin', '系统管理员', 'Administrator'),
  ('auditor', '审计', 'Auditor');

CREATE TABLE user_roles (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role_id INTEGER NOT NULL REFERENCES roles (id),
  PRIMARY KEY (user_id, role_id)
) STRICT;
CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE teams (
  id         INTEGER PRIMARY KEY,
  code       TEXT    NOT NULL UNIQUE
             CHECK (length(code) BETWEEN 1 AND 32 AND code NOT GLOB '*[^a-z0-9_]*'),
  name       TEXT    NOT NULL,
  active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  version    INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE team_supervisors (
  team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users (id),
  PRIMARY KEY (team_id, user_id)
) STRICT;
CREATE INDEX team_supervisors_user ON team_supervisors (user_id);

CREATE TABLE skills (
  id         INTEGER PRIMARY KEY,
  code       TEXT    NOT NULL UNIQUE
             CHECK (length(code) BETWEEN 1 AND 32 AND code NOT GLOB '*[^a-z0-9_]*'),
  name_zh    TEXT    NOT NULL,
  name_en    TEXT    NOT NULL,
  active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  version    INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

-- languages: the agent's language tags in order of preference, comma-separated ("zh,en").
CREATE TABLE agents (
  id         INTEGER PRIMARY KEY,
  agent_no   TEXT    NOT NULL UNIQUE CHECK (length(agent_no) BETWEEN 1 AND 32),
  name       TEXT    NOT NULL,
  languages  TEXT    NOT NULL,
  team_id    INTEGER REFERENCES teams (id),
  user_id    INTEGER NOT NULL UNIQUE REFERENCES users (id),
  active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  version    INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX agents_team ON agents (team_id);

CREATE TABLE agent_skills (
  agent_id    INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  skill_id    INTEGER NOT NULL REFERENCES skills (id),
  proficiency INTEGER NOT NULL CHECK (proficiency BETWEEN 1 AND 5),
  PRIMARY KEY (agent_id, skill_id)
) STRICT;
CREATE INDEX agent_skills_skill ON agent_skills (skill_id);

CREATE TABLE queues (
  id                              INTEGER PRIMARY KEY,
  code                            TEXT    NOT NULL UNIQUE
                                  CHECK (length(code) BETWEEN 1 AND 32
                                         AND code NOT GLOB '*[^a-z0-9_]*'),
  name_zh                         TEXT    NOT NULL,
  name_en                         TEXT    NOT NULL,
  service_level_target            INTEGER NOT NULL DEFAULT 80
                                  CHECK (service_level_target BETWEEN 1 AND 100),
  service_level_threshold_seconds INTEGER NOT NULL DEFAULT 20
                                  CHECK (service_level_threshold_seconds BETWEEN 1 AND 3600),
  short_abandon_seconds           INTEGER NOT NULL DEFAULT 5
                                  CHECK (short_abandon_seconds BETWEEN 0 AND 600),
  active                          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  version                         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at                      INTEGER NOT NULL,
  updated_at                      INTEGER NOT NULL
) STRICT;

CREATE TABLE queue_skills (
  queue_id INTEGER NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
  skill_id INTEGER NOT NULL REFERENCES skills (id),
  PRIMARY KEY (queue_id, skill_id)
) STRICT;
CREATE INDEX queue_skills_skill ON queue_skills (skill_id);

-- Not-ready reasons (示忙原因) chosen by agents; the system reasons (no_answer, …) are
-- built into call control.
CREATE TABLE reason_codes (
  id         INTEGER PRIMARY KEY,
  code       TEXT    NOT NULL UNIQUE
             CHECK (length(code) BETWEEN 1 AND 32 AND code NOT GLOB '*[^a-z0-9_]*'),
  label_zh   TEXT    NOT NULL,
  label_en   TEXT    NOT NULL,
  active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  version    INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE wrapup_codes (
  id         INTEGER PRIMARY KEY,
  code       TEXT    NOT NULL UNIQUE
             CHECK (length(code) BETWEEN 1 AND 32 AND code NOT GLOB '*[^a-z0-9_]*'),
  label_zh   TEXT    NOT NULL,
  label_en   TEXT    NOT NULL,
  active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  version    INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
