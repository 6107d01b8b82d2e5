-- What people are told (notifications.Notify): kept per person, newest
-- first, read or not. The text is kept as the item's translated title and
-- a message key with its arguments, and shown in the reader's language.
CREATE TABLE notifications (
  id {{.PK}},
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('decision', 'answer', 'reply', 'measure_status', 'report_outcome', 'account', 'queue', 'inbox')),
  title TEXT NOT NULL,
  body_key TEXT NOT NULL,
  body_args TEXT NOT NULL,
  url TEXT NOT NULL,
  created_at {{.TS}} NOT NULL,
  read_at {{.TS}}
);
--bun:split
-- A person's list, newest first, paged by id.
CREATE INDEX notifications_user ON notifications (user_id, id);
--bun:split
-- A person's unread count.
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
