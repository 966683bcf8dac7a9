-- SPDX-License-Identifier: Apache-2.0
-- Authentication state (store/auth.h) and the security audit log (store/audit_log.h).
-- Timestamps are UTC microseconds since 1970; booleans are 0/1.
-- Keep in step with ../postgres/0003_auth_audit.sql.

-- Per-user credential state: forced change, when the password last changed, consecutive
-- failed logins and the lockout they caused.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
  CHECK (must_change_password IN (0, 1));
ALTER TABLE users ADD COLUMN password_changed_at INTEGER;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0);
ALTER TABLE users ADD COLUMN locked_until INTEGER;

-- Previous password hashes, so that a new password can be refused when it was used recently.
-- id orders entries written within the same microsecond.
CREATE TABLE password_history (
  id            INTEGER PRIMARY KEY,
  user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  password_hash TEXT    NOT NULL,
  changed_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX password_history_user ON password_history (user_id, changed_at);

-- Login sessions. Only SHA-256 hashes of the bearer and CSRF tokens are kept.
CREATE TABLE sessions (
  id               TEXT    PRIMARY KEY,
  token_hash       TEXT    NOT NULL UNIQUE,
  csrf_hash        TEXT    NOT NULL,
  user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at       INTEGER NOT NULL,
  last_activity_at INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  source_address   TEXT    NOT NULL,
  user_agent       TEXT    NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The audit log: a hash chain with a keyed MAC per record (see store/audit_log.h for the
-- exact encoding). seq is assigned by the writer (head + 1) under the write lock.
CREATE TABLE audit_log (
  seq            INTEGER PRIMARY KEY,
  id             TEXT    NOT NULL UNIQUE,
  at             INTEGER NOT NULL,
  actor          TEXT    NOT NULL,
  source_address TEXT    NOT NULL,
  action         TEXT    NOT NULL,
  target_type    TEXT    NOT NULL,
  target_id      TEXT    NOT NULL,
  outcome        TEXT    NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  details        TEXT    NOT NULL,
  request_id     TEXT    NOT NULL,
  prev_hash      TEXT    NOT NULL,
  hash           TEXT    NOT NULL,
  mac            TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, seq);

-- Append-only. Defence in depth: whoever can drop these triggers can change rows, but not
-- without breaking the chain's MACs.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
