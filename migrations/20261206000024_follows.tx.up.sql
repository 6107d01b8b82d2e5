-- Following a measure or an idea: its followers hear what becomes of it
-- (a measure's status, an expert group's answer to an idea).
CREATE TABLE follows (
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  target_kind TEXT NOT NULL CHECK (target_kind IN ('measure', 'idea')),
  target_id BIGINT NOT NULL,
  created_at {{.TS}} NOT NULL,
  PRIMARY KEY (user_id, target_kind, target_id)
);
--bun:split
-- An item's followers, when something happens to it.
CREATE INDEX follows_target ON follows (target_kind, target_id);
--bun:split
-- How each person wants to hear of each kind of notification by mail; a
-- kind without a row has its default (notifications.Defaults).
CREATE TABLE notification_settings (
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('decision', 'answer', 'reply', 'measure_status', 'report_outcome', 'account', 'queue', 'inbox')),
  delivery TEXT NOT NULL CHECK (delivery IN ('immediate', 'daily', 'off')),
  PRIMARY KEY (user_id, kind)
);
