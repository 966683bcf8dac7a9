-- SPDX-License-Identifier: Apache-2.0
-- What call control needs to route calls (acd/acd.h QueueConfig, callctl/call_control.h
-- QueueSetup and AgentSetup): the routing settings of queues, the minimum proficiency of each
-- skill a queue asks for, the numbers (DNIS) that reach a queue, its overflow steps, and the
-- extensions an agent may log in with. Existing queues get the defaults below; existing queue
-- skills accept any proficiency (1). Durations are whole seconds.
-- Keep in step with ../sqlite/0005_routing.sql (the column comments are there).

ALTER TABLE queues
  ADD COLUMN language TEXT COLLATE "C" NOT NULL DEFAULT ''
    CHECK (length(language) <= 32 AND language ~ '^[a-z0-9-]*$'),
  ADD COLUMN routing_policy TEXT NOT NULL DEFAULT 'longest_idle'
    CHECK (routing_policy IN ('longest_idle', 'most_skilled', 'round_robin')),
  ADD COLUMN aging_seconds INTEGER NOT NULL DEFAULT 60
    CHECK (aging_seconds BETWEEN 0 AND 3600),
  ADD COLUMN max_size INTEGER NOT NULL DEFAULT 0
    CHECK (max_size BETWEEN 0 AND 100000),
  ADD COLUMN max_wait_seconds INTEGER NOT NULL DEFAULT 0
    CHECK (max_wait_seconds BETWEEN 0 AND 86400),
  ADD COLUMN fallback TEXT NOT NULL DEFAULT ''
    CHECK (length(fallback) <= 64),
  ADD COLUMN ring_timeout_seconds INTEGER NOT NULL DEFAULT 20
    CHECK (ring_timeout_seconds BETWEEN 5 AND 120),
  ADD COLUMN wrap_up_seconds INTEGER NOT NULL DEFAULT 15
    CHECK (wrap_up_seconds BETWEEN 0 AND 1800),
  ADD COLUMN ready_after_wrap_up BOOLEAN NOT NULL DEFAULT TRUE,
  ADD COLUMN music TEXT NOT NULL DEFAULT 'moh'
    CHECK (length(music) BETWEEN 1 AND 64),
  ADD COLUMN closed_prompt TEXT NOT NULL DEFAULT 'queue_closed'
    CHECK (length(closed_prompt) BETWEEN 1 AND 64),
  ADD COLUMN average_handle_seconds INTEGER NOT NULL DEFAULT 180
    CHECK (average_handle_seconds BETWEEN 1 AND 3600);

ALTER TABLE queue_skills ADD COLUMN min_proficiency SMALLINT NOT NULL DEFAULT 1
  CHECK (min_proficiency BETWEEN 1 AND 5);

CREATE TABLE queue_dnis (
  number   TEXT   COLLATE "C" PRIMARY KEY CHECK (number ~ '^[0-9*#+][0-9*#]{0,31}$'),
  queue_id BIGINT NOT NULL REFERENCES queues (id) ON DELETE CASCADE
);
CREATE INDEX queue_dnis_queue ON queue_dnis (queue_id);

CREATE TABLE queue_overflow_steps (
  queue_id        BIGINT   NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
  after_seconds   INTEGER  NOT NULL CHECK (after_seconds BETWEEN 1 AND 86400),
  kind            TEXT     NOT NULL CHECK (kind IN ('widen', 'move_to', 'leave_to')),
  min_proficiency SMALLINT CHECK (min_proficiency BETWEEN 1 AND 5),
  target_queue_id BIGINT   REFERENCES queues (id),
  destination     TEXT     CHECK (length(destination) BETWEEN 1 AND 64),
  PRIMARY KEY (queue_id, after_seconds),
  CHECK ((kind = 'widen' AND min_proficiency IS NOT NULL AND target_queue_id IS NULL
          AND destination IS NULL)
         OR (kind = 'move_to' AND min_proficiency IS NULL AND target_queue_id IS NOT NULL
             AND destination IS NULL)
         OR (kind = 'leave_to' AND min_proficiency IS NULL AND target_queue_id IS NULL
             AND destination IS NOT NULL))
);
CREATE INDEX queue_overflow_steps_target ON queue_overflow_steps (target_queue_id);

CREATE TABLE agent_extensions (
  extension TEXT   COLLATE "C" PRIMARY KEY CHECK (extension ~ '^[0-9]{2,20}$'),
  agent_id  BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE
);
CREATE INDEX agent_extensions_agent ON agent_extensions (agent_id);
