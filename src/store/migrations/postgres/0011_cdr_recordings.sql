-- SPDX-License-Identifier: Apache-2.0
-- Every recording of a call in its CDR (reports/cdr.h Cdr::recordingIds): after a transfer or
-- an intercept the call goes on in a new recording, one per agent, and an auditor looking at
-- the CDR must find them all. Comma-separated recording ids in the order they started, as
-- `agents`; recording_id stays the first. Rows stored before this version had only the first:
-- it is copied, so their list is what was known.
-- Keep in step with ../sqlite/0011_cdr_recordings.sql.

ALTER TABLE cdrs ADD COLUMN recording_ids TEXT NOT NULL DEFAULT '';
UPDATE cdrs SET recording_ids = recording_id WHERE recording_id <> '';
