-- Contributions count once the address is confirmed (MITREDEN_EMAIL_VERIFICATION).
-- Accounts that exist now count as verified.
ALTER TABLE users ADD COLUMN email_verified_at {{.TS}};
--bun:split
UPDATE users SET email_verified_at = created_at WHERE email IS NOT NULL;
--bun:split
-- Links that confirm an address, stored hashed: single use, 48 hours.
CREATE TABLE email_verifications (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  created_at {{.TS}} NOT NULL,
  expires_at {{.TS}} NOT NULL,
  used_at {{.TS}}
);
--bun:split
CREATE INDEX email_verifications_user ON email_verifications (user_id);
