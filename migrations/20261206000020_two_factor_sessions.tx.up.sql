-- Sessions remember the browser they were started in and when they were
-- last used: a session ends 14 days after its last use and 30 days after
-- sign-in at the latest (expires_at). last_seen_at is written at most
-- every 10 minutes per session.
ALTER TABLE sessions ADD COLUMN last_seen_at {{.TS}};
--bun:split
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
--bun:split
{{if .Postgres}}-- A session row is now only ever updated for last_seen_at, which no
-- cached session lookup depends on (the cache checks the idle deadline
-- itself). Moving the accounts version on that update would throw away
-- every cached session of every user every few seconds, so only ending
-- a session (DELETE) moves it now, as on SQLite (app/store/accountwatch.go).
DROP TRIGGER sessions_update_version ON sessions;
{{else}}SELECT 1;
{{end}}
--bun:split
UPDATE sessions SET last_seen_at = created_at;
--bun:split
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
--bun:split
-- Set while the account signs in with a second factor (TOTP).
ALTER TABLE users ADD COLUMN two_factor_at {{.TS}};
--bun:split
-- The TOTP secret of an account: pending while users.two_factor_at is
-- NULL, active once confirmed. last_step is the last time step a code was
-- accepted for, so that no code is accepted twice.
CREATE TABLE two_factor_keys (
  user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret TEXT NOT NULL,
  last_step BIGINT NOT NULL DEFAULT 0,
  created_at {{.TS}} NOT NULL
);
--bun:split
-- Single-use recovery codes, stored as SHA-256 hashes; a used one is deleted.
CREATE TABLE recovery_codes (
  id {{.PK}},
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  created_at {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX recovery_codes_user ON recovery_codes (user_id, code_hash);
--bun:split
-- The step between a right password and the second factor. Kept in the
-- database (only the token's hash), so that every instance sharing it
-- knows the challenge and counts its tries.
CREATE TABLE login_challenges (
  id {{.PK}},
  token_hash TEXT NOT NULL UNIQUE,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  tries INTEGER NOT NULL DEFAULT 0,
  created_at {{.TS}} NOT NULL,
  expires_at {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX login_challenges_user ON login_challenges (user_id, expires_at);
--bun:split
CREATE INDEX login_challenges_expiry ON login_challenges (expires_at);
