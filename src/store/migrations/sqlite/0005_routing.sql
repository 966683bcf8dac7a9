-- SPDX-License-Identifier: Apache-2.0
-- What call control needs to route calls (acd/acd.h QueueConfig, callctl/call_control.h
-- QueueSetup and AgentSetup): the routing settings of queues, the minimum proficiency of each
-- skill a queue asks for, the numbers (DNIS) that reach a queue, its overflow steps, and the
-- extensions an agent may log in with. Existing queues get the defaults below; existing queue
-- skills accept any proficiency (1). Durations are whole seconds; booleans are 0/1.
-- Keep in step with ../postgres/0005_routing.sql.

-- language: '' = any, else a lower-case language tag ("zh", "yue", "zh-min").
-- routing_policy: how the queue picks among qualified agents.
-- aging_seconds: +1 priority per step waited; 0 = strict priority.
-- max_size: waiting calls, 0 = unlimited; max_wait_seconds: 0 = no limit.
-- fallback: where calls go when the queue is full, closed or max_wait passed ('' = none: the
-- closed prompt plays and the call ends). music, closed_prompt: prompt names.
-- average_handle_seconds: the seed of the queue's wait estimate.
ALTER TABLE queues ADD COLUMN language TEXT NOT NULL DEFAULT ''
  CHECK (length(language) <= 32 AND language NOT GLOB '*[^a-z0-9-]*');
ALTER TABLE queues ADD COLUMN routing_policy TEXT NOT NULL DEFAULT 'longest_idle'
  CHECK (routing_policy IN ('longest_idle', 'most_skilled', 'round_robin'));
ALTER TABLE queues ADD COLUMN aging_seconds INTEGER NOT NULL DEFAULT 60
  CHECK (aging_seconds BETWEEN 0 AND 3600);
ALTER TABLE queues ADD COLUMN max_size INTEGER NOT NULL DEFAULT 0
  CHECK (max_size BETWEEN 0 AND 100000);
ALTER TABLE queues ADD COLUMN max_wait_seconds INTEGER NOT NULL DEFAULT 0
  CHECK (max_wait_seconds BETWEEN 0 AND 86400);
ALTER TABLE queues ADD COLUMN fallback TEXT NOT NULL DEFAULT ''
  CHECK (length(fallback) <= 64);
ALTER TABLE queues ADD COLUMN ring_timeout_seconds INTEGER NOT NULL DEFAULT 20
  CHECK (ring_timeout_seconds BETWEEN 5 AND 120);
ALTER TABLE queues ADD COLUMN wrap_up_seconds INTEGER NOT NULL DEFAULT 15
  CHECK (wrap_up_seconds BETWEEN 0 AND 1800);
ALTER TABLE queues ADD COLUMN ready_after_wrap_up INTEGER NOT NULL DEFAULT 1
  CHECK (ready_after_wrap_up IN (0, 1));
ALTER TABLE queues ADD COLUMN music TEXT NOT NULL DEFAULT 'moh'
  CHECK (length(music) BETWEEN 1 AND 64);
ALTER TABLE queues ADD COLUMN closed_prompt TEXT NOT NULL DEFAULT 'queue_closed'
  CHECK (length(closed_prompt) BETWEEN 1 AND 64);
ALTER TABLE queues ADD COLUMN average_handle_seconds INTEGER NOT NULL DEFAULT 180
  CHECK (average_handle_seconds BETWEEN 1 AND 3600);

-- A queue asks for each of its skills at a minimum proficiency (1 novice .. 5 expert).
ALTER TABLE queue_skills ADD COLUMN min_proficiency INTEGER NOT NULL DEFAULT 1
  CHECK (min_proficiency BETWEEN 1 AND 5);

-- Numbers that reach a queue directly (until IVR flows stand in front). A number reaches one
-- queue only: it is the key.
CREATE TABLE queue_dnis (
  number   TEXT    PRIMARY KEY
           CHECK (length(number) BETWEEN 1 AND 32
                  AND substr(number, 2) NOT GLOB '*[^0-9*#]*'
                  AND substr(number, 1, 1) GLOB '[0-9*#+]'),
  queue_id INTEGER NOT NULL REFERENCES queues (id) ON DELETE CASCADE
) STRICT;
CREATE INDEX queue_dnis_queue ON queue_dnis (queue_id);

-- What happens to a call that has waited after_seconds in the queue, in order of
-- after_seconds (strictly increasing: it is part of the key). widen: every skill need accepts
-- min_proficiency; move_to: the call moves to queue target_queue_id; leave_to: the call leaves
-- the ACD for destination (a number, "voicemail", ...).
CREATE TABLE queue_overflow_steps (
  queue_id        INTEGER NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
  after_seconds   INTEGER NOT NULL CHECK (after_seconds BETWEEN 1 AND 86400),
  kind            TEXT    NOT NULL CHECK (kind IN ('widen', 'move_to', 'leave_to')),
  min_proficiency INTEGER CHECK (min_proficiency BETWEEN 1 AND 5),
  target_queue_id INTEGER REFERENCES queues (id),
  destination     TEXT    CHECK (length(destination) BETWEEN 1 AND 64),
  PRIMARY KEY (queue_id, after_seconds),
  CHECK ((kind = 'widen' AND min_proficiency IS NOT NULL AND target_queue_id IS NULL
          AND destination IS NULL)
         OR (kind = 'move_to' AND min_proficiency IS NULL AND target_queue_id IS NOT NULL
             AND destination IS NULL)
         OR (kind = 'leave_to' AND min_proficiency IS NULL AND target_queue_id IS NULL
             AND destination IS NOT NULL))
) STRICT;
CREATE INDEX queue_overflow_steps_target ON queue_overflow_steps (target_queue_id);

-- Extensions (phones, see 0004_phones) an agent may log in with; an extension belongs to one
-- agent at most. Whether the phone auto-answers is the phone's setting (phones.auto_answer),
-- joined by extension: the phone need not be provisioned yet.
CREATE TABLE agent_extensions (
  extension TEXT    PRIMARY KEY
            CHECK (length(extension) BETWEEN 2 AND 20 AND extension NOT GLOB '*[^0-9]*'),
  agent_id  INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE
) STRICT;
CREATE INDEX agent_extensions_agent ON agent_extensions (agent_id);
