-- Mails waiting to be sent, written in the transaction of their cause.
-- Once sent (sent_at) or given up (failed_at) a row loses its bodies and
-- is deleted after 30 days. A worker claims due rows by setting
-- claimed_until (a lease): another instance takes a row only once the
-- lease has run out, so a mail goes out once however many instances
-- share the database, and again only after an instance died while
-- sending it. message_id is fixed when queued, so a retry
-- carries the same Message-ID. headers is a JSON object of extra headers
-- (List-Unsubscribe on notifications).
CREATE TABLE mail_queue (
  id {{.PK}},
  user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  html_body TEXT NOT NULL,
  headers TEXT NOT NULL DEFAULT '{}',
  message_id TEXT NOT NULL,
  created_at {{.TS}} NOT NULL,
  next_attempt_at {{.TS}} NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  claimed_until {{.TS}},
  sent_at {{.TS}},
  failed_at {{.TS}},
  last_error TEXT NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
--bun:split
CREATE INDEX mail_queue_user ON mail_queue (user_id);
--bun:split
-- Password reset links: only the token's SHA-256 is kept. A token works
-- until expires_at, and once (used_at). A request for an address without
-- an account writes a row without user_id that opens nothing, so that
-- both answers take the same work and time.
CREATE TABLE password_resets (
  id {{.PK}},
  token_hash TEXT NOT NULL UNIQUE,
  user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
  created_at {{.TS}} NOT NULL,
  expires_at {{.TS}} NOT NULL,
  used_at {{.TS}}
);
--bun:split
CREATE INDEX password_resets_user ON password_resets (user_id);
--bun:split
CREATE INDEX password_resets_expiry ON password_resets (expires_at);
