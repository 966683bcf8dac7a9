-- SPDX-License-Identifier: Apache-2.0
-- Business-hours calendars (营业时间, decision 0021; acd/business_hours.h): a weekly schedule of
-- local wall-clock intervals and dated exceptions (holidays, special hours, working-day
-- overrides 调休), and the calendar each queue keeps (none: always open). The intervals are
-- local time in the center's zone; the evaluator turns them into instants. A calendar is
-- deleted only while no queue names it (the REST layer says which queues do).
-- Keep in step with ../postgres/0009_business_hours.sql.

CREATE TABLE calendars (
  id         INTEGER PRIMARY KEY,
  code       TEXT    NOT NULL UNIQUE
             CHECK (length(code) BETWEEN 1 AND 32 AND code NOT GLOB '*[^a-z0-9_]*'),
  name       TEXT    NOT NULL,
  version    INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

-- The weekly schedule. weekday: 0 = Monday .. 6 = Sunday. start_minute, end_minute: minutes
-- since local midnight, [start, end); end_minute 1440 is 24:00. A day's intervals neither
-- overlap nor touch (the repository checks; the key keeps starts unique).
CREATE TABLE calendar_weekly_hours (
  calendar_id  INTEGER NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
  weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
  start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
  end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
  PRIMARY KEY (calendar_id, weekday, start_minute),
  CHECK (start_minute < end_minute)
) STRICT;

-- Dates whose hours replace the weekly ones: a row without calendar_exception_hours is a day
-- closed (a holiday); with them, special hours or a working-day override. day: 'YYYY-MM-DD',
-- a local date; note: free text for people ('' = none).
CREATE TABLE calendar_exceptions (
  calendar_id INTEGER NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
  day         TEXT    NOT NULL
              CHECK (length(day) = 10
                     AND day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
  note        TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (calendar_id, day)
) STRICT;

CREATE TABLE calendar_exception_hours (
  calendar_id  INTEGER NOT NULL,
  day          TEXT    NOT NULL,
  start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
  end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
  PRIMARY KEY (calendar_id, day, start_minute),
  FOREIGN KEY (calendar_id, day) REFERENCES calendar_exceptions (calendar_id, day)
    ON DELETE CASCADE,
  CHECK (start_minute < end_minute)
) STRICT;

-- The queue's business hours; NULL: always open. No cascade: a calendar in use stays.
ALTER TABLE queues ADD COLUMN calendar_id INTEGER REFERENCES calendars (id);
CREATE INDEX queues_calendar ON queues (calendar_id);
