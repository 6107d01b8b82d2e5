-- What a session lookup read is cached per instance under this number
-- (PostgreSQL). Every statement that can make it wrong (a session ended,
-- an account changed, a group membership) moves the number in its own
-- transaction, so a lookup that reads the number first can never keep a
-- stale answer. New sessions and new accounts do not move it: nobody has
-- read them yet. SQLite counts the same changes with a hook on its one
-- write connection instead (app/store/accountwatch.go).
{{if .Postgres}}CREATE TABLE accounts_version (version BIGINT NOT NULL);
--bun:split
INSERT INTO accounts_version (version) VALUES (0);
--bun:split
CREATE FUNCTION accounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM changed) THEN
    UPDATE accounts_version SET version = version + 1;
  END IF;
  RETURN NULL;
END $$;
--bun:split
CREATE TRIGGER sessions_update_version AFTER UPDATE ON sessions REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
--bun:split
CREATE TRIGGER sessions_delete_version AFTER DELETE ON sessions REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
--bun:split
CREATE TRIGGER users_update_version AFTER UPDATE ON users REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
--bun:split
CREATE TRIGGER users_delete_version AFTER DELETE ON users REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
--bun:split
CREATE TRIGGER members_insert_version AFTER INSERT ON expert_group_members REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
--bun:split
CREATE TRIGGER members_update_version AFTER UPDATE ON expert_group_members REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
--bun:split
CREATE TRIGGER members_delete_version AFTER DELETE ON expert_group_members REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION accounts_changed();
{{else}}SELECT 1;
{{end}}
