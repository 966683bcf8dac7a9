-- SPDX-License-Identifier: Apache-2.0
-- The append-only event log (store/event_log.h) and the boots that number its epochs.
--
-- One writer appends, rows are never updated or deleted. Event identity is (epoch, seq) but
-- seq alone is unique: after a restart seq resumes at the last committed number + 1, so a
-- committed seq never repeats. seq is INTEGER PRIMARY KEY, the rowid itself: no separate
-- index to maintain, and reading "after seq N" walks the table in order. No other index:
-- every index costs insert throughput on the one writer. Readers that filter by call, agent
-- or queue add theirs with their queries. No foreign key from events.epoch to boots for the
-- same reason (the writer inserts the boots row itself, before any event of its epoch).
-- Times are UTC microseconds since 1970.

CREATE TABLE boots (
  epoch      INTEGER PRIMARY KEY,
  started_at BIGINT  NOT NULL,
  version    TEXT    NOT NULL,
  node       TEXT    NOT NULL
);

CREATE TABLE events (
  seq      INTEGER PRIMARY KEY,
  epoch    BIGINT  NOT NULL,
  ts       BIGINT  NOT NULL,
  type     TEXT    NOT NULL,
  call_id  TEXT,
  agent_id TEXT,
  queue_id TEXT,
  payload  TEXT    NOT NULL
);
