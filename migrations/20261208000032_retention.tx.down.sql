DROP INDEX participation_codes_card;
--bun:split
DROP INDEX notifications_read;
--bun:split
DROP INDEX mail_queue_failed;
--bun:split
DROP INDEX mail_queue_sent;
