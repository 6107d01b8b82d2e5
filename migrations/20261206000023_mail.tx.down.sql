DROP TABLE password_resets;
--bun:split
DROP TABLE mail_queue;
