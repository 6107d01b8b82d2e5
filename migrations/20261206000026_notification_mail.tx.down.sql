DROP TABLE digest_days;
--bun:split
DROP TABLE unsubscribe_tokens;
--bun:split
DROP INDEX notifications_mail;
--bun:split
ALTER TABLE notifications DROP COLUMN mail;
