DROP TABLE email_verifications;
--bun:split
ALTER TABLE users DROP COLUMN email_verified_at;
