-- SPDX-License-Identifier: Apache-2.0
-- Call detail records and agent state intervals: the CDR projection of the event log
-- (reports/cdr.h, reports/cdr_projector.h), and the checkpoints of projections.
--
-- Text keys compare byte-wise (COLLATE "C"), as in SQLite, so that the caller-prefix range and
-- the paging cursor mean the same on both backends.
-- Derived tables commit with the last sequence they include (ARCHITECTURE.md "Data"): the
-- projector inserts finished rows and moves `projections.last_seq` in one transaction, so a
-- crash neither loses nor repeats a row. `projections.state` is the fold's open state (calls in
-- progress, open intervals) as JSON, so that a restart resumes exactly where the commit left.
-- Rows are only inserted, never updated. Times are UTC microseconds since 1970 (as the event
-- log), durations whole milliseconds. Empty texts are '' except the nullable columns noted.
-- Keep in step with ../sqlite/0007_cdrs.sql.

CREATE TABLE projections (
  name       TEXT    PRIMARY KEY,
  last_seq   BIGINT  NOT NULL CHECK (last_seq >= 0),
  state      TEXT    NOT NULL,
  updated_at BIGINT  NOT NULL
);

-- One row per call. parent_call_id: the consult's parent (NULL: no event sets it yet).
-- answered_at: NULL when no agent answered. agents: the answering agents, comma-separated, in
-- order (the agent filter reads cdr_segments).
CREATE TABLE cdrs (
  call_id         TEXT    COLLATE "C" PRIMARY KEY,
  parent_call_id  TEXT,
  epoch           BIGINT  NOT NULL,
  ani             TEXT    COLLATE "C" NOT NULL,
  dnis            TEXT    NOT NULL,
  trunk           TEXT    NOT NULL,
  arrived_at      BIGINT  NOT NULL,
  answered_at     BIGINT,
  ended_at        BIGINT  NOT NULL,
  end_cause       TEXT    NOT NULL,
  hung_up_by      TEXT    NOT NULL,
  first_queue     TEXT    NOT NULL,
  answering_queue TEXT    NOT NULL,
  answered_by     TEXT    NOT NULL,
  agents          TEXT    NOT NULL,
  wait_ms         BIGINT  NOT NULL,
  talk_ms         BIGINT  NOT NULL,
  hold_ms         BIGINT  NOT NULL,
  wrap_up_ms      BIGINT  NOT NULL,
  transfers       BIGINT  NOT NULL,
  recording_id    TEXT    NOT NULL,
  tier            TEXT    NOT NULL,
  outcome         TEXT    NOT NULL,
  first_seq       BIGINT  NOT NULL,
  last_seq        BIGINT  NOT NULL
);
-- GET /api/v1/cdrs: newest first within a time range, optionally by caller number.
CREATE INDEX cdrs_arrived ON cdrs (arrived_at, call_id);
CREATE INDEX cdrs_ani ON cdrs (ani, arrived_at);

-- The parts of a call, in order (reports/cdr.h CdrSegment). kind: queue, agent, hold,
-- transfer, wrapup. ended_at: NULL only for a wrap-up still open when its CDR was made final.
CREATE TABLE cdr_segments (
  call_id    TEXT    COLLATE "C" NOT NULL REFERENCES cdrs (call_id),
  ordinal    BIGINT  NOT NULL,
  kind       TEXT    NOT NULL,
  queue      TEXT    COLLATE "C" NOT NULL,
  agent_no   TEXT    COLLATE "C" NOT NULL,
  started_at BIGINT  NOT NULL,
  ended_at   BIGINT,
  detail     TEXT    NOT NULL,
  PRIMARY KEY (call_id, ordinal)
);
-- The agent and queue filters of GET /api/v1/cdrs.
CREATE INDEX cdr_segments_agent ON cdr_segments (agent_no, call_id);
CREATE INDEX cdr_segments_queue ON cdr_segments (queue, call_id);

-- One row per agent state from one agent.state_changed to the next (logged-out time has none).
-- call_id: NULL unless the state belongs to a call. end_cause: '' or 'node_restart'.
CREATE TABLE agent_state_intervals (
  agent_no    TEXT    COLLATE "C" NOT NULL,
  start_seq   BIGINT  NOT NULL,
  state       TEXT    NOT NULL,
  reason      TEXT    NOT NULL,
  started_at  BIGINT  NOT NULL,
  ended_at    BIGINT  NOT NULL,
  duration_ms BIGINT  NOT NULL,
  call_id     TEXT,
  end_cause   TEXT    NOT NULL,
  end_seq     BIGINT  NOT NULL,
  PRIMARY KEY (agent_no, start_seq)
);
CREATE INDEX agent_state_intervals_agent ON agent_state_intervals (agent_no, started_at);
CREATE INDEX agent_state_intervals_started ON agent_state_intervals (started_at);
