-- An account still on a password the server generated and printed once
-- (the first administrator's) must set its own before anything else.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- Failed sign-ins per e-mail address (its SHA-256, so that the addresses
-- people mistype are not kept), for the per-account throttle. Rows older
-- than the throttle's window are deleted as new ones come.
CREATE TABLE sign_in_failures (
  id {{.PK}},
  email_hash TEXT NOT NULL,
  created_at {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX sign_in_failures_email ON sign_in_failures (email_hash, created_at);
--bun:split
CREATE INDEX sign_in_failures_created ON sign_in_failures (created_at);
