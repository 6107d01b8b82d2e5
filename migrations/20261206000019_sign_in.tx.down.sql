DROP TABLE sign_in_failures;
--bun:split
ALTER TABLE users DROP COLUMN must_change_password;
