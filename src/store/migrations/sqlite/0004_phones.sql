-- SPDX-License-Identifier: Apache-2.0
-- Agent phones (SIP extensions) and their digest credentials (store/phones.h). The registrar
-- needs HA1 = MD5(extension:realm:password); it is kept sealed under a key derived from the
-- master key (crypto_secretbox), never in clear, and the password itself is never stored.
-- Timestamps are UTC microseconds since 1970; booleans are 0/1.
-- Keep in step with ../postgres/0004_phones.sql.
CREATE TABLE phones (
  id          INTEGER PRIMARY KEY,
  extension   TEXT    NOT NULL UNIQUE CHECK (length(extension) BETWEEN 2 AND 20),
  realm       TEXT    NOT NULL,
  ha1_sealed  TEXT    NOT NULL,
  auto_answer INTEGER NOT NULL DEFAULT 0 CHECK (auto_answer IN (0, 1)),
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;
