-- SPDX-License-Identifier: Apache-2.0
-- The request id of the CTI command that caused an event (events::Event::requestId,
-- CONVENTIONS.md "REST": a command's outcome arrives as an event carrying its request_id).
-- NULL for events nothing asked for and for every event stored before this version, as the
-- other envelope ids are NULL when empty. No index, like the other ids (0002_event_log.sql).
-- Adding a nullable column without a default only changes the catalog: no table rewrite,
-- however long the log. The writer's staging table (events_replay, LIKE events) follows.
-- Keep in step with ../sqlite/0006_event_request_id.sql.

ALTER TABLE events ADD COLUMN request_id TEXT;
