-- Participation codes: a workshop or counselling centre hands out printed
-- cards, each the lasting credential of one person without e-mail.
CREATE TABLE code_batches (
  id {{.PK}},
  consultation_id BIGINT NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
  label TEXT NOT NULL DEFAULT '',
  count INTEGER NOT NULL,
  created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
  created_at {{.TS}} NOT NULL,
  voided_at {{.TS}}
);
--bun:split
CREATE INDEX code_batches_consultation ON code_batches (consultation_id, id);
--bun:split
-- A code is found by its SHA-256 (codes are random, 12 characters from 24,
-- so a slow hash adds nothing). card holds the code itself only until it
-- is first used, the batch is voided, or PrintableFor has passed: long
-- enough to print the cards, never as the credential's record.
-- user_id is the account the code made; it is cleared when that account
-- is erased, and the code then opens nothing (used_at stays).
CREATE TABLE participation_codes (
  id {{.PK}},
  batch_id BIGINT NOT NULL REFERENCES code_batches (id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL UNIQUE,
  card TEXT,
  user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
  used_at {{.TS}}
);
--bun:split
CREATE INDEX participation_codes_batch ON participation_codes (batch_id, id);
--bun:split
CREATE INDEX participation_codes_user ON participation_codes (user_id);
--bun:split
-- A code account contributes to its consultation only.
ALTER TABLE users ADD COLUMN code_consultation_id BIGINT;
