-- SPDX-License-Identifier: Apache-2.0
-- Calls an agent places (decision 0020): a CDR's direction and the agent who placed the call
-- (reports/cdr.h Cdr::direction, Cdr::originAgent).
--
-- direction: 'inbound' (call.arrived), 'outbound' (placed to a number, or a consult to one) or
-- 'internal' (placed to an agent, an extension or a queue, or a consult to an agent).
-- origin_agent: the agent who placed the call (a consult: the consulting agent); '' for inbound
-- calls. The agent filter of GET /api/v1/cdrs reads it besides the agent segments, so that an
-- agent's calls include those nobody answered.
-- Every row stored before this version is an inbound call or a consult. The projector only
-- inserts rows; this one-time update gives the stored consults the values the projection now
-- writes for them: origin_agent is the consult's ani (the consulting agent's number), direction
-- 'outbound' when a number was on the line (a party segment) and 'internal' when an agent was
-- (an agent segment); a consult nobody answered is 'internal' when its target (dnis) is an
-- agent's number.
-- Keep in step with ../postgres/0008_cdr_direction.sql.

ALTER TABLE cdrs ADD COLUMN direction TEXT NOT NULL DEFAULT 'inbound';
ALTER TABLE cdrs ADD COLUMN origin_agent TEXT NOT NULL DEFAULT '';

UPDATE cdrs SET
  origin_agent = ani,
  direction = CASE
    WHEN EXISTS (SELECT 1 FROM cdr_segments s
                 WHERE s.call_id = cdrs.call_id AND s.kind = 'party') THEN 'outbound'
    WHEN EXISTS (SELECT 1 FROM cdr_segments s
                 WHERE s.call_id = cdrs.call_id AND s.kind = 'agent') THEN 'internal'
    WHEN EXISTS (SELECT 1 FROM agents a
                 WHERE a.agent_no = cdrs.dnis) THEN 'internal'
    ELSE 'outbound'
  END
WHERE parent_call_id IS NOT NULL;

-- GET /api/v1/cdrs?agent=: the calls an agent placed.
CREATE INDEX cdrs_origin_agent ON cdrs (origin_agent, arrived_at);
