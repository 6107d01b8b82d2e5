DROP TABLE login_challenges;
--bun:split
DROP TABLE recovery_codes;
--bun:split
DROP TABLE two_factor_keys;
--bun:split
ALTER TABLE users DROP COLUMN two_factor_at;
--bun:split
DROP INDEX sessions_last_seen;
--bun:split
{{if .Postgres}}CREATE TRIGGER sessions_update_version AFTER UPDATE ON sessions REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
{{else}}SELECT 1;
{{end}}
--bun:split
ALTER TABLE sessions DROP COLUMN user_agent;
--bun:split
ALTER TABLE sessions DROP COLUMN last_seen_at;
