-- How each notification goes out by mail: 'immediate' and 'daily' wait
-- for the notification mailer (notifications.Mailer), 'queued' went to the
-- mail queue, 'off' goes nowhere (the person chose so, or has no address).
-- The notification row is written in its cause's transaction, so the mail
-- it asks for is as durable as the cause.
ALTER TABLE notifications ADD COLUMN mail TEXT NOT NULL DEFAULT 'off' CHECK (mail IN ('immediate', 'daily', 'queued', 'off'));
--bun:split
CREATE INDEX notifications_mail ON notifications (mail, user_id, id) WHERE mail IN ('immediate', 'daily');
--bun:split
-- One-click unsubscribe links (RFC 8058): a token, stored hashed, turns
-- one kind of mail off for one person, without a session.
CREATE TABLE unsubscribe_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  created_at {{.TS}} NOT NULL
);
--bun:split
CREATE INDEX unsubscribe_tokens_user ON unsubscribe_tokens (user_id);
--bun:split
-- The days whose digest went out (Europe/Berlin): the instance that
-- writes the day's row sends the day's digests.
CREATE TABLE digest_days (
  day TEXT PRIMARY KEY,
  created_at {{.TS}} NOT NULL
);
