DROP TABLE notification_settings;
--bun:split
DROP TABLE follows;
